import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { sql } from 'kysely';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Account } from '../../src/data/database.ts';
import type { Actor } from '../../src/domain/access.ts';
import { addDays, addMonthsUtc } from '../../src/domain/calendar.ts';
import { ArchivedAccountError, ForbiddenError, RuleError, ValidationError } from '../../src/domain/errors.ts';
import {
  nextDueAt,
  scheduledRun,
  upcomingEvents,
  type AccountHistory,
  type RunSchedule,
} from '../../src/domain/lifecycle.ts';
import { typeDefaults, type UserType } from '../../src/domain/privileges.ts';
import { generateTotp } from '../../src/domain/totp.ts';
import { CronRunSchedule } from '../../src/domain/cron-runs.ts';
import { lifecycleRuns } from '../../src/services/lifecycle/schedule.ts';
import { historyFrom } from '../../src/services/lifecycle/schedule.ts';
import { hashPassword } from '../../src/services/sign-in/password-hasher.ts';
import { loadPrincipal } from '../../src/services/sign-in/principal.ts';
import type { RequestContext } from '../../src/services/request-context.ts';
import { createApiToken } from '../support/api-client.ts';
import { createOrganisation, TEST_PASSWORD } from '../support/fixtures.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';

/**
 * The stored next-event time (`accounts.lifecycle_due_at`) against the one schedule (R34–R42):
 * 1. after every kind of change, through the real services, it is exactly the pure `nextDueAt`;
 * 2. the job's candidate query, run at every nightly run over two years, acts on each account on
 *    the very run the schedule names: not a night early, not a night late.
 */

let t: TestApp;
const CTX: RequestContext = { ip: null, userAgent: 'lifecycle-due property test', requestId: null };
const SYSTEM: Actor = { kind: 'system', label: 'command line' };
const DAY = 86_400_000;

beforeAll(async () => {
  // Sign-in attempts on archived accounts count against the account name; a generated sequence may make many.
  t = await createTestApp({ env: { THROTTLE_ACCOUNT_LIMIT: '100000' } });
});
afterAll(async () => t?.close());

beforeEach(async () => {
  await sql`TRUNCATE organisations, schools, school_groups, accounts, account_tokens, api_tokens, email_outbox, email_mentions, audit_events,
    lifecycle_notices, lifecycle_policy, sessions, sign_in_throttle, access_reviews, access_review_items RESTART IDENTITY CASCADE`.execute(
    t.handle.db,
  );
});

type HistoryRow = Pick<
  Account,
  | 'id'
  | 'username'
  | 'organisation_id'
  | 'status'
  | 'created_at'
  | 'last_sign_in_at'
  | 'restored_at'
  | 'access_end_date'
  | 'deletion_due_at'
  | 'lifecycle_due_at'
>;

/** Every account with its history as the database holds it (rows and current-period notices, read here, not through the services). */
async function storedHistories(): Promise<{ row: HistoryRow; history: AccountHistory }[]> {
  const db = t.handle.db;
  const rows = await db
    .selectFrom('accounts')
    .select([
      'id',
      'username',
      'organisation_id',
      'status',
      'created_at',
      'last_sign_in_at',
      'restored_at',
      'access_end_date',
      'deletion_due_at',
      'lifecycle_due_at',
    ])
    .orderBy('username')
    .execute();
  const notices = await db
    .selectFrom('lifecycle_notices')
    .select(['account_id', 'period_start', 'stage', 'sent_at'])
    .execute();
  return rows.map((row) => ({
    row,
    history: historyFrom(
      row,
      notices.filter((n) => n.account_id === row.id),
    ),
  }));
}

const iso = (d: Date | null | undefined) => (d ? d.toISOString() : null);

/** Accounts whose stored next-event time is not the pure function's answer. */
async function mismatches(): Promise<string[]> {
  const policy = t.services.schedule.policy;
  const wrong: string[] = [];
  for (const { row, history } of await storedHistories()) {
    const expected = nextDueAt(history, policy);
    if (iso(row.lifecycle_due_at) !== iso(expected)) {
      wrong.push(
        `${row.username} (${row.status}): stored ${iso(row.lifecycle_due_at)}, nextDueAt ${iso(expected)}; history ${JSON.stringify(history)}`,
      );
    }
  }
  return wrong;
}

describe('lifecycle_due_at (the stored next-event time)', () => {
  it(
    "The next-event column equals the pure function's answer for every account after every kind of change (a property test)",
    { timeout: 600_000 },
    async () => {
      const db = t.handle.db;
      const runs = t.services.schedule.runs;
      const passwordHash = await hashPassword(TEST_PASSWORD);

      const by = fc.constantFrom('la' as const, 'la' as const, 'support' as const, 'system' as const);
      const target = fc.nat({ max: 40 });
      const la = fc.constantFrom(0, 1);
      // Types these operations create: virtual_school needs the agreement of CiN/CLA (R16), which they do not record.
      const creatable = fc.constantFrom<UserType>(
        'la_admin',
        'la_officer',
        'school_improvement',
        'commissioned',
        'read_only',
      );
      const endDays = fc.option(fc.integer({ min: 1, max: 700 }), { nil: null });
      const op = fc.oneof(
        { weight: 3, arbitrary: fc.record({ kind: fc.constant('create' as const), la, type: creatable, by }) },
        { weight: 1, arbitrary: fc.record({ kind: fc.constant('scim-create' as const), la, active: fc.boolean() }) },
        {
          weight: 1,
          arbitrary: fc.record({
            kind: fc.constant('import' as const),
            la,
            rows: fc.array(fc.record({ type: creatable, end: endDays }), { minLength: 1, maxLength: 3 }),
            by,
          }),
        },
        {
          weight: 5,
          arbitrary: fc.record({
            kind: fc.constant('sign-in' as const),
            target,
            minutes: fc.integer({ min: 1, max: 24 * 60 }),
          }),
        },
        // end: a number of days ahead, null to clear it, 'keep' for an edit that does not send it (provisioning).
        {
          weight: 3,
          arbitrary: fc.record({
            kind: fc.constant('edit' as const),
            target,
            end: fc.oneof(endDays, fc.constant('keep' as const)),
            by,
          }),
        },
        {
          weight: 2,
          arbitrary: fc.record({
            kind: fc.constant('privileges' as const),
            target,
            type: fc.constantFrom<UserType>('la_admin', 'la_officer', 'virtual_school', 'read_only'),
            by,
          }),
        },
        {
          weight: 2,
          arbitrary: fc.record({
            kind: fc.constant('archive' as const),
            target,
            reason: fc.constantFrom('manual' as const, 'provisioning' as const),
            by,
          }),
        },
        { weight: 2, arbitrary: fc.record({ kind: fc.constant('restore' as const), target, by }) },
        {
          weight: 2,
          arbitrary: fc.record({ kind: fc.constant('scim-active' as const), target, active: fc.boolean() }),
        },
        { weight: 1, arbitrary: fc.record({ kind: fc.constant('delete' as const), target, by }) },
        // An access review's decision (R49) archives or deletes through the same rules.
        {
          weight: 1,
          arbitrary: fc.record({
            kind: fc.constant('review' as const),
            target,
            decision: fc.constantFrom('archive' as const, 'archive' as const, 'delete' as const),
            by,
          }),
        },
        {
          weight: 3,
          arbitrary: fc.record({ kind: fc.constant('days' as const), days: fc.integer({ min: 1, max: 45 }) }),
        },
        {
          weight: 4,
          arbitrary: fc.record({ kind: fc.constant('months' as const), months: fc.integer({ min: 1, max: 9 }) }),
        },
        // The nightly run: the clock moves to the next run of the schedule and the job runs then.
        {
          weight: 4,
          arbitrary: fc.record({ kind: fc.constant('nightly' as const), nights: fc.integer({ min: 1, max: 3 }) }),
        },
        // The job on demand (`lifecycle --now`), whenever the clock stands.
        { weight: 1, arbitrary: fc.record({ kind: fc.constant('job' as const) }) },
        // Nights pass with nothing to do: the clock moves to the run that handles the earliest stored next event, and the job runs.
        { weight: 3, arbitrary: fc.record({ kind: fc.constant('next-event' as const) }) },
      );
      type Op = typeof op extends fc.Arbitrary<infer T> ? T : never;
      const everyKind: Op[] = [
        { kind: 'create', la: 0, type: 'la_admin', by: 'support' },
        { kind: 'create', la: 0, type: 'la_officer', by: 'la' },
        { kind: 'scim-create', la: 0, active: true },
        { kind: 'scim-create', la: 0, active: false },
        { kind: 'import', la: 1, rows: [{ type: 'read_only', end: 30 }], by: 'support' },
        { kind: 'sign-in', target: 0, minutes: 5 },
        { kind: 'sign-in', target: 0, minutes: 5 },
        { kind: 'edit', target: 1, end: 200, by: 'la' },
        { kind: 'privileges', target: 1, type: 'virtual_school', by: 'la' },
        { kind: 'archive', target: 1, reason: 'manual', by: 'la' },
        { kind: 'restore', target: 0, by: 'la' },
        { kind: 'scim-active', target: 0, active: true },
        { kind: 'review', target: 2, decision: 'archive', by: 'la' },
        { kind: 'days', days: 31 },
        { kind: 'months', months: 9 },
        { kind: 'nightly', nights: 2 },
        { kind: 'months', months: 7 },
        { kind: 'job' },
        { kind: 'next-event' },
        { kind: 'delete', target: 0, by: 'support' },
      ];

      // Start anywhere in 2023–2025, often at a month end or the first instant of a month.
      const start = fc.oneof(
        fc.integer({ min: Date.UTC(2023, 0, 1), max: Date.UTC(2025, 11, 31) }).map((ms) => new Date(ms)),
        fc
          .record({
            year: fc.integer({ min: 2023, max: 2025 }),
            month: fc.integer({ min: 0, max: 11 }),
            last: fc.boolean(),
            ms: fc.constantFrom(0, 3_600_000, 53_688_000, DAY - 1),
          })
          .map(
            ({ year, month, last, ms }) =>
              new Date((last ? Date.UTC(year, month + 1, 0) : Date.UTC(year, month, 1)) + ms),
          ),
      );

      let runsDone = 0;
      let opsDone = 0;
      const tally = new Map<string, number>();
      await fc.assert(
        fc.asyncProperty(start, fc.array(op, { minLength: 8, maxLength: 40, size: 'medium' }), async (startAt, ops) => {
          await sql`TRUNCATE organisations, accounts, account_tokens, api_tokens, email_outbox, email_mentions, audit_events, lifecycle_notices, lifecycle_policy,
        sessions, sign_in_throttle, access_reviews, access_review_items RESTART IDENTITY CASCADE`.execute(db);
          t.clock.set(startAt);
          runsDone++;
          const camden = await createOrganisation(db, '202', 'Camden');
          const kent = await createOrganisation(db, '886', 'Kent');
          const central = await createOrganisation(db, 'central', 'NCER Support');
          const las = [camden, kent];
          const secrets = new Map<string, string>();
          let serial = 0;
          const person = (prefix: string) => {
            const username = `${prefix}.${++serial}`;
            return {
              username,
              firstName: 'Pat',
              lastName: `Person ${serial}`,
              email: `${username}@example.gov.uk`,
              jobTitle: '',
              phone: '',
              cinClaAgreedBy: 'Jane Doe',
              cinClaAgreedRole: 'Virtual Head',
              cinClaAgreedOn: '2020-01-01',
            };
          };
          // Everyone through the services: the administrators as `create-admin` makes them, support likewise.
          const supportId = (
            await t.services.accounts.createAccount(
              SYSTEM,
              { organisationId: central, ...person('support'), userType: 'support' },
              CTX,
            )
          ).id;
          for (const organisationId of [...las, ...las])
            await t.services.accounts.createAccount(
              SYSTEM,
              { organisationId, ...person('admin'), userType: 'la_admin' },
              CTX,
            );

          const accounts = () =>
            db
              .selectFrom('accounts')
              .select([
                'id',
                'organisation_id',
                'status',
                'username',
                'first_name',
                'last_name',
                'email',
                'job_title',
                'phone',
              ])
              .orderBy('created_at')
              .orderBy('username')
              .execute();
          const activeAdmin = async (organisationId: number, except: string | null) =>
            (
              await db
                .selectFrom('accounts')
                .innerJoin('account_privileges', 'account_privileges.account_id', 'accounts.id')
                .select('accounts.id')
                .where('accounts.organisation_id', '=', organisationId)
                .where('accounts.status', '=', 'active')
                .where('account_privileges.privilege', '=', 'manage_users')
                .where('accounts.id', '!=', except ?? '00000000-0000-0000-0000-000000000000')
                .orderBy('accounts.username')
                .executeTakeFirst()
            )?.id;
          /** Who acts: an administrator of the LA (as the pages), else central support, else the command line. */
          const actorFor = async (
            organisationId: number,
            targetId: string | null,
            who: 'la' | 'support' | 'system',
          ): Promise<Actor> => {
            if (who === 'la') {
              const admin = await activeAdmin(organisationId, targetId);
              const principal = admin ? await loadPrincipal(db, admin) : undefined;
              if (principal) return principal.actor;
            }
            if (who !== 'system' && supportId !== targetId) {
              const principal = await loadPrincipal(db, supportId);
              if (principal) return principal.actor;
            }
            return SYSTEM;
          };
          /** A SCIM client of the LA: a token of one of its active administrators (not the target), or none. */
          const scimToken = async (organisationId: number, targetId: string | null) => {
            const admin = await activeAdmin(organisationId, targetId);
            return admin ? createApiToken(db, { organisationId, accountId: admin }) : undefined;
          };
          const scim = async (method: 'POST' | 'PATCH', url: string, token: string, body: unknown) => {
            const response = await t.app.inject({
              method,
              url: `/scim/v2${url}`,
              payload: JSON.stringify(body),
              headers: { authorization: `Bearer ${token}`, 'content-type': 'application/scim+json' },
            });
            if (response.statusCode >= 300)
              throw new Error(`SCIM ${method} ${url}: ${response.statusCode} ${response.body}`);
          };
          /** Refusals the rules allow (already archived, not archived, the last administrator, R15); anything else fails the property. */
          const allowing = async (
            errors: (new (...args: never[]) => Error)[],
            action: () => Promise<unknown>,
          ): Promise<string> => {
            try {
              await action();
              return 'done';
            } catch (error) {
              if (errors.some((e) => error instanceof e)) return (error as Error).constructor.name;
              throw error;
            }
          };

          /** The whole sign-in: password, then the authenticator (enrolled on the first sign-in, R9), as the pages call it. */
          const signIn = async (id: string): Promise<string> => {
            const row = await db
              .selectFrom('accounts')
              .select(['username', 'status', 'password_hash'])
              .where('id', '=', id)
              .executeTakeFirstOrThrow();
            // The invited person chose TEST_PASSWORD (the invitation's link is not followed here: only the password hash is set).
            if (!row.password_hash)
              await db.updateTable('accounts').set({ password_hash: passwordHash }).where('id', '=', id).execute();
            let step;
            try {
              step = await t.services.signIn.signInWithPassword(
                { username: row.username, password: TEST_PASSWORD },
                CTX,
              );
            } catch (error) {
              if (row.status === 'archived' && error instanceof ArchivedAccountError) return 'archived';
              throw error;
            }
            if (row.status !== 'active')
              throw new Error(`${row.username} is ${row.status} but its password was accepted`);
            if (step.next === 'two-factor-setup') {
              const setup = (await t.services.signIn.twoFactorSetup(step.token))!;
              secrets.set(id, setup.secret);
              await t.services.signIn.confirmTwoFactorSetup(step.token, generateTotp(setup.secret, t.clock.now()), CTX);
              return 'enrolled';
            }
            await t.services.signIn.verifyTwoFactor(step.token, generateTotp(secrets.get(id)!, t.clock.now()), CTX);
            return 'signed-in';
          };

          const apply = async (o: Op): Promise<string> => {
            const all = await accounts();
            // Archive picks among active accounts, restore among archived ones, the rest among all.
            const among =
              o.kind === 'archive' || (o.kind === 'scim-active' && !o.active)
                ? all.filter((a) => a.status === 'active')
                : o.kind === 'review'
                  ? all.filter((a) => a.status === 'active' && a.organisation_id !== central)
                  : o.kind === 'restore' || (o.kind === 'scim-active' && o.active)
                    ? all.filter((a) => a.status === 'archived')
                    : all;
            if ('target' in o && among.length === 0) return 'no such account';
            const pick = (n: number) => among[n % among.length]!;
            const now = t.clock.now();
            const dateAhead = (days: number) => addDays(now, days).toISOString().slice(0, 10);
            switch (o.kind) {
              case 'create': {
                const actor = await actorFor(las[o.la]!, null, o.by);
                await t.services.accounts.createAccount(
                  actor,
                  { organisationId: las[o.la]!, ...person('user'), userType: o.type },
                  CTX,
                );
                return 'done';
              }
              case 'scim-create': {
                const token = await scimToken(las[o.la]!, null);
                const p = person('scim');
                if (!token) return 'no administrator';
                await scim('POST', '/Users', token, {
                  schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
                  userName: p.username,
                  externalId: p.username,
                  active: o.active,
                  name: { givenName: p.firstName, familyName: p.lastName },
                  emails: [{ value: p.email, type: 'work', primary: true }],
                });
                return o.active ? 'created' : 'created archived';
              }
              case 'import': {
                const actor = await actorFor(las[o.la]!, null, o.by);
                const csv =
                  [
                    'username,first_name,last_name,email,job_title,phone,user_type,privileges,cin_cla_agreed_by,schools,school_groups,access_end_date',
                    ...o.rows.map((r) => {
                      const p = person('imported');
                      return [
                        p.username,
                        p.firstName,
                        p.lastName,
                        p.email,
                        '',
                        '',
                        r.type,
                        '',
                        '',
                        '',
                        '',
                        r.end === null ? '' : dateAhead(r.end),
                      ].join(',');
                    }),
                  ].join('\r\n') + '\r\n';
                await t.services.userImport.importAccounts(
                  actor,
                  ['202', '886'][o.la],
                  { name: 'users.csv', bytes: Buffer.from(csv, 'utf8') },
                  CTX,
                );
                return 'done';
              }
              case 'sign-in': {
                // Someone signs in a little later (a fresh authenticator code each time).
                t.clock.advance(o.minutes * 60_000);
                return signIn(pick(o.target).id);
              }
              case 'edit': {
                const a = pick(o.target);
                const actor = await actorFor(a.organisation_id, a.id, o.by);
                return allowing([RuleError], () =>
                  t.services.userChanges.editDetails(
                    actor,
                    a.id,
                    {
                      firstName: a.first_name,
                      lastName: a.last_name,
                      email: a.email,
                      jobTitle: a.job_title ?? '',
                      phone: a.phone ?? '',
                      ...(o.end === 'keep' ? {} : { accessEndDate: o.end === null ? '' : dateAhead(o.end) }),
                    },
                    CTX,
                  ),
                );
              }
              case 'privileges': {
                const a = pick(o.target);
                if (a.organisation_id === central) return 'central';
                const actor = await actorFor(a.organisation_id, a.id, o.by);
                return allowing([RuleError, ValidationError], () =>
                  t.services.userChanges.setPrivileges(
                    actor,
                    a.id,
                    {
                      userType: o.type,
                      privileges: [...typeDefaults(o.type)],
                      cinClaAgreedBy: 'Jane Doe',
                      cinClaAgreedRole: 'Virtual Head',
                      cinClaAgreedOn: '2020-01-01',
                    },
                    CTX,
                  ),
                );
              }
              case 'archive': {
                const a = pick(o.target);
                const actor = await actorFor(a.organisation_id, a.id, o.by);
                return allowing([RuleError, ForbiddenError], () =>
                  t.services.userStatus.archive(actor, a.id, CTX, o.reason),
                );
              }
              case 'restore': {
                const a = pick(o.target);
                const actor = await actorFor(a.organisation_id, a.id, o.by);
                return allowing([RuleError], () => t.services.userStatus.restore(actor, a.id, CTX));
              }
              case 'scim-active': {
                const a = pick(o.target);
                const token = a.organisation_id === central ? undefined : await scimToken(a.organisation_id, a.id);
                if (!token) return 'no administrator';
                await scim('PATCH', `/Users/${a.id}`, token, {
                  schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
                  Operations: [{ op: 'replace', path: 'active', value: o.active }],
                });
                return 'done';
              }
              case 'delete': {
                const a = pick(o.target);
                const actor = await actorFor(a.organisation_id, a.id, o.by);
                return allowing([RuleError, ForbiddenError], () => t.services.userStatus.delete(actor, a.id, CTX));
              }
              case 'review': {
                const a = pick(o.target);
                const actor = await actorFor(a.organisation_id, a.id, o.by);
                const la = ['202', '886'][las.indexOf(a.organisation_id)];
                const open = await db
                  .selectFrom('access_reviews')
                  .select('id')
                  .where('organisation_id', '=', a.organisation_id)
                  .where('status', '=', 'open')
                  .executeTakeFirst();
                const reviewId =
                  open?.id ??
                  (await t.services.reviews.open(actor, la, { name: 'Termly review', dueOn: dateAhead(30) }, CTX));
                const item = await db
                  .selectFrom('access_review_items')
                  .select('version')
                  .where('review_id', '=', reviewId)
                  .where('account_id', '=', a.id)
                  .executeTakeFirst();
                // Accounts created after the review opened are not in it.
                if (!item) return 'not in the review';
                return allowing([RuleError, ForbiddenError], () =>
                  t.services.reviews.decide(
                    actor,
                    reviewId,
                    a.id,
                    {
                      answers: {
                        stillEmployed: 'no',
                        postNeedsAccess: 'no',
                        pupilLevelRight: 'yes',
                        cinClaRight: 'yes',
                      },
                      decision: o.decision,
                      note: 'Has left the LA',
                      version: String(item.version),
                    },
                    CTX,
                  ),
                );
              }
              case 'days':
                t.clock.advance(o.days * DAY);
                return 'done';
              case 'months':
                t.clock.set(addMonthsUtc(now, o.months));
                return 'done';
              case 'nightly':
              case 'job':
              case 'next-event': {
                const nights = o.kind === 'nightly' ? o.nights : 1;
                let acted = 0;
                for (let n = 0; n < nights; n++) {
                  if (o.kind === 'nightly') t.clock.set(runs.nextRunAtOrAfter(new Date(t.clock.now().getTime() + 1)));
                  if (o.kind === 'next-event') {
                    const next = await db
                      .selectFrom('accounts')
                      .select((eb) => eb.fn.min('lifecycle_due_at').as('at'))
                      .executeTakeFirstOrThrow();
                    if (!next.at) return 'nothing scheduled';
                    t.clock.set(scheduledRun(new Date(next.at), runs, new Date(t.clock.now().getTime() + 1)));
                  }
                  const result = await t.services.lifecycle.run({ now: t.clock.now() });
                  expect(result.failures).toEqual([]);
                  acted += result.items.length;
                  // The job leaves nothing due at its own `now`: every candidate was acted on, and is due again only later.
                  const overdue = await db
                    .selectFrom('accounts')
                    .select('username')
                    .where('lifecycle_due_at', '<=', t.clock.now())
                    .execute();
                  if (overdue.length > 0)
                    throw new Error(
                      `after the job at ${t.clock.now().toISOString()}, still due: ${overdue.map((r) => r.username).join(', ')}`,
                    );
                }
                return `${acted} actions`;
              }
            }
          };

          for (const [i, o] of ops.entries()) {
            const outcome = await apply(o);
            opsDone++;
            const key = `${o.kind}: ${outcome}`;
            tally.set(key, (tally.get(key) ?? 0) + 1);
            const wrong = await mismatches();
            if (wrong.length > 0) {
              throw new Error(
                `after step ${i} ${JSON.stringify(o)} (${outcome}) at ${t.clock.now().toISOString()}:\n${wrong.join('\n')}`,
              );
            }
          }
          // Never NULL: no service path leaves the time for the job to compute.
          const unknown = await db
            .selectFrom('accounts')
            .select('username')
            .where('lifecycle_due_at', 'is', null)
            .execute();
          expect(unknown).toEqual([]);
          // The check has teeth: a sign-in recorded without the refresh (the old way) is caught.
          const someone = await db
            .selectFrom('accounts')
            .select('id')
            .where('status', '=', 'active')
            .where('access_end_date', 'is', null)
            .executeTakeFirst();
          if (someone) {
            // Ten days, not one: adding months clamps at a month's end (30 and 31 January + 15 months
            // are both 30 April), so a shift of up to three days can leave the right answer unchanged.
            await db
              .updateTable('accounts')
              .set({ last_sign_in_at: addDays(t.clock.now(), 10) })
              .where('id', '=', someone.id)
              .execute();
            expect(await mismatches()).toHaveLength(1);
          }
        }),
        {
          numRuns: Number(process.env.LIFECYCLE_DUE_RUNS ?? 20),
          // One history reaches every kind of change in a fixed order, so that the check below on the
          // kinds reached does not depend on the draw: one kind in 38 is a SCIM create, and a run of
          // short sequences once had none.
          examples: [[new Date(Date.UTC(2024, 0, 31, 14, 54, 48)), everyKind]],
          // A failure prints its seed and path: LIFECYCLE_DUE_PROPERTY_SEED=… LIFECYCLE_DUE_PROPERTY_PATH=… replays it.
          ...(process.env.LIFECYCLE_DUE_PROPERTY_SEED ? { seed: Number(process.env.LIFECYCLE_DUE_PROPERTY_SEED) } : {}),
          ...(process.env.LIFECYCLE_DUE_PROPERTY_PATH ? { path: process.env.LIFECYCLE_DUE_PROPERTY_PATH } : {}),
          // Each run replays a whole history against the database: shrinking a failure is stopped
          // after a while, and fast-check reports the smallest counterexample found by then.
          interruptAfterTimeLimit: 420_000,
        },
      );

      console.log(
        `lifecycle-due: ${runsDone} sequences, ${opsDone} steps: ${[...tally]
          .sort()
          .map(([k, n]) => `${k} ×${n}`)
          .join('; ')}`,
      );
      // The generated sequences did reach every kind of change, and the job did act in them.
      const kinds = new Set([...tally.keys()].map((k) => k.split(':')[0]));
      expect([...kinds].sort()).toEqual(
        [
          'archive',
          'create',
          'delete',
          'edit',
          'import',
          'job',
          'months',
          'days',
          'next-event',
          'nightly',
          'privileges',
          'restore',
          'review',
          'scim-active',
          'scim-create',
          'sign-in',
        ].sort(),
      );
      expect([...tally.keys()].some((k) => /^(nightly|job|next-event): [1-9]/.test(k))).toBe(true);
      expect(tally.get('sign-in: signed-in') ?? 0).toBeGreaterThan(0);
      expect(runsDone).toBeGreaterThanOrEqual(Math.min(5, Number(process.env.LIFECYCLE_DUE_RUNS ?? 20)));
      expect(opsDone).toBeGreaterThan(0);
    },
  );
});

// ---------------------------------------------------------------------------------------------
// Part 2: every day of a common and a leap year, through the job's candidate query.

/** Days of a month, written out (not Date arithmetic): the Gregorian leap rule. */
function daysInMonth(year: number, month0: number): number {
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  return [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month0]!;
}

/** R42 written independently of src/domain/calendar.ts: same time of day, day clamped to the month's last. */
function plusMonths(instant: Date, months: number): Date {
  const y = instant.getUTCFullYear();
  const m = instant.getUTCMonth();
  const d = instant.getUTCDate();
  const timeOfDay = instant.getTime() - Date.UTC(y, m, d);
  const total = y * 12 + m + months;
  const ty = Math.floor(total / 12);
  const tm = total - ty * 12;
  return new Date(Date.UTC(ty, tm, Math.min(d, daysInMonth(ty, tm))) + timeOfDay);
}

/** The last Sunday of a month (the UK's clock changes: March and October, at 01:00 UTC). */
function lastSunday(year: number, month0: number): number {
  const last = daysInMonth(year, month0);
  return last - new Date(Date.UTC(year, month0, last)).getUTCDay();
}

/**
 * The default nightly run (02:00 Europe/London) on a UTC calendar day, written from the UK rule
 * rather than with croner: 01:00Z in British Summer Time (last Sunday of March up to the last
 * Sunday of October), 02:00Z otherwise. 02:00 local exists once on both change days.
 */
function ukRunOn(dayStartUtc: number): number {
  const date = new Date(dayStartUtc);
  const y = date.getUTCFullYear();
  const bstFrom = Date.UTC(y, 2, lastSunday(y, 2));
  const bstUntil = Date.UTC(y, 9, lastSunday(y, 9));
  return dayStartUtc + (dayStartUtc >= bstFrom && dayStartUtc < bstUntil ? 1 : 2) * 3_600_000;
}

function nightlyRunAtOrAfter(instant: Date): Date {
  const day = Date.UTC(instant.getUTCFullYear(), instant.getUTCMonth(), instant.getUTCDate());
  for (let k = -1; k <= 2; k++) {
    const run = ukRunOn(day + k * DAY);
    if (run >= instant.getTime()) return new Date(run);
  }
  throw new Error('unreachable');
}

/** Times of day where an off-by-one would show: midnight, the runs' own instants (01:00Z in summer, 02:00Z in winter) and either side, the day's end. */
const BOUNDARY_TIMES = [
  '00:00:00.000',
  '23:59:59.000',
  '00:59:59.999',
  '01:00:00.000',
  '01:00:00.001',
  '01:59:59.999',
  '02:00:00.000',
  '02:00:00.001',
  '23:59:59.999',
  '12:00:00.000',
];

describe('every due date is hit on its night', () => {
  it(
    'Every due date is hit on its night for inactive-since instants on every day of a leap and a common year (a property test over the candidate query, not only the pure function)',
    { timeout: 600_000 },
    async () => {
      const db = t.handle.db;
      const { policy, retention } = t.services.schedule;
      // The running service's own schedule must be the default one this test re-derives.
      expect(t.config.lifecycle).toMatchObject({
        schedule: '0 2 * * *',
        timezone: 'Europe/London',
        warningMonths: [15, 16, 17],
        archiveMonths: 18,
        minimumNoticeDays: 14,
      });
      const runs = t.services.schedule.runs;
      expect(runs).toBeInstanceOf(CronRunSchedule);

      const seed = Number(process.env.LIFECYCLE_DUE_SEED ?? Date.now() % 2 ** 31);
      const why = `(seed ${seed}: LIFECYCLE_DUE_SEED=${seed} repeats it)`;
      const days: number[] = [];
      for (let ms = Date.UTC(2023, 0, 1); ms < Date.UTC(2025, 0, 1); ms += DAY) days.push(ms);
      expect(days).toHaveLength(731);
      const [draws] = fc.sample(
        fc.array(
          fc.record({
            boundary: fc.integer({ min: 0, max: 99 }),
            pick: fc.nat({ max: BOUNDARY_TIMES.length - 1 }),
            ms: fc.integer({ min: 0, max: DAY - 1 }),
          }),
          { minLength: days.length, maxLength: days.length },
        ),
        { seed, numRuns: 1 },
      );
      const timeMs = (hms: string) => Date.parse(`1970-01-01T${hms}Z`);
      let cycle = 0;
      const inactiveSince = days.map((day, i) => {
        const date = new Date(day);
        const monthEdge = date.getUTCDate() === 1 || date.getUTCDate() >= 28;
        const draw = draws![i]!;
        // 2023's month ends walk through every boundary time; other days: mostly random, often a boundary.
        if (date.getUTCFullYear() === 2023 && date.getUTCDate() === daysInMonth(2023, date.getUTCMonth()))
          return new Date(day + timeMs(BOUNDARY_TIMES[cycle++ % BOUNDARY_TIMES.length]!));
        return new Date(day + (draw.boundary < (monthEdge ? 70 : 25) ? timeMs(BOUNDARY_TIMES[draw.pick]!) : draw.ms));
      });
      // The old bug's case: last sign-in 2023-02-28T14:48Z, first warning due on the 2024-05-29 run.
      inactiveSince[days.indexOf(Date.UTC(2023, 1, 28))] = new Date('2023-02-28T14:48:00Z');
      // R42's first example is from 2022.
      inactiveSince.push(new Date('2022-11-30T00:00:00Z'));

      // R42's examples, in both the independent arithmetic and the service's.
      for (const [from, to] of [
        ['2022-11-30', '2024-02-29'],
        ['2023-11-30', '2025-02-28'],
        ['2024-05-31', '2025-08-31'],
      ] as const) {
        const at = inactiveSince.find((d) => d.toISOString().startsWith(from))!;
        expect(plusMonths(at, 15).toISOString().slice(0, 10)).toBe(to);
        expect(addMonthsUtc(at, 15).toISOString()).toBe(plusMonths(at, 15).toISOString());
      }

      const setupStarted = performance.now();
      const camden = await createOrganisation(db, '202', 'Camden');
      const created = new Date('2022-01-01T00:00:00Z');
      // As the fixtures insert accounts (bypassing the services, so lifecycle_due_at is NULL until the
      // job's first run computes it), in a few statements rather than 732 round trips.
      const rows = inactiveSince.map((since, i) => {
        // Half inactive since their last sign-in, half since their creation (never signed in): R34.
        const bySignIn = i % 2 === 0;
        const createdAt = bySignIn ? created : since;
        const username = `inactive.${since.toISOString().slice(0, 10)}.${i}`;
        return {
          id: randomUUID(),
          organisation_id: camden,
          username,
          first_name: 'Test',
          last_name: username,
          email: `${username}@example.gov.uk`,
          user_type: 'la_officer',
          status: 'active' as const,
          created_at: createdAt,
          last_sign_in_at: bySignIn ? since : null,
          updated_at: createdAt,
        };
      });
      for (let i = 0; i < rows.length; i += 250)
        await db
          .insertInto('accounts')
          .values(rows.slice(i, i + 250))
          .execute();
      await db
        .insertInto('account_privileges')
        .values(rows.flatMap((r) => typeDefaults('la_officer').map((privilege) => ({ account_id: r.id, privilege }))))
        .execute();
      const ids: string[] = rows.map((r) => r.id);
      expect(await db.selectFrom('accounts').select('id').where('lifecycle_due_at', 'is not', null).execute()).toEqual(
        [],
      );

      // What should happen, and on which run: once independently, once from the pure schedule.
      // Stages: the three warnings, the archive (after the 14-day notice), and the deletion 18
      // months after the archive (R33, R39) for the accounts archived early enough to see it.
      type Stage = 'warning_1' | 'warning_2' | 'warning_3' | 'archived' | 'deleted';
      const windowStart = nightlyRunAtOrAfter(new Date('2024-02-27T00:00:00Z'));
      const archiveRuns: number[] = [];
      const plans = inactiveSince.map((since) => {
        const w = [15, 16, 17].map((m) => nightlyRunAtOrAfter(plusMonths(since, m)).getTime());
        const archive = nightlyRunAtOrAfter(
          new Date(Math.max(plusMonths(since, 18).getTime(), w[2]! + policy.minimumNoticeDays * DAY)),
        ).getTime();
        archiveRuns.push(archive);
        return { w, archive };
      });
      // From before the first 15-month point to two nights after the last archive.
      const until = Math.max(...archiveRuns) + 2 * DAY;
      const expected = new Map<string, Map<Stage, number>>();
      const byRun = new Map<number, string[]>();
      const scheduleDisagrees: string[] = [];
      // The pure schedule is asked with the service's own kind of run schedule (the configured cron,
      // CronRunSchedule), as two instances: one answers each account's warnings and archive, the
      // other its deletion 18 months further on. One instance asked both, account after account,
      // drops its cache of runs at every jump and takes ~30 s here instead of ~1 s.
      const near = lifecycleRuns(t.config);
      const far = lifecycleRuns(t.config);
      let asked = 0;
      const pureRuns: RunSchedule = {
        nextRunAtOrAfter: (instant) => (++asked <= 4 ? near : far).nextRunAtOrAfter(instant),
      };
      for (const [i, since] of inactiveSince.entries()) {
        const { w, archive } = plans[i]!;
        const stages = new Map<Stage, number>([
          ['warning_1', w[0]!],
          ['warning_2', w[1]!],
          ['warning_3', w[2]!],
          ['archived', archive],
        ]);
        const deletion = nightlyRunAtOrAfter(
          plusMonths(new Date(archive), retention.automaticRetentionMonths),
        ).getTime();
        if (deletion <= until) stages.set('deleted', deletion);
        expected.set(ids[i]!, stages);
        for (const [stage, at] of stages) byRun.set(at, [...(byRun.get(at) ?? []), `${ids[i]}:${stage}`]);

        const history: AccountHistory = {
          status: 'active',
          createdAt: i % 2 === 0 ? created : since,
          lastSignInAt: i % 2 === 0 ? since : null,
          restoredAt: null,
          accessEndDate: null,
          deletionDueAt: null,
          notices: [],
        };
        asked = 0;
        const pure = upcomingEvents(history, policy, retention, pureRuns, windowStart, new Date(until), 5).map(
          (e) =>
            `${e.event.kind === 'warn' ? e.event.stage : e.event.kind === 'archive' ? 'archived' : 'deleted'}@${e.at.toISOString()}`,
        );
        const independent = [...stages].map(([stage, at]) => `${stage}@${new Date(at).toISOString()}`);
        if (pure.join() !== independent.join())
          scheduleDisagrees.push(
            `${since.toISOString()}: schedule ${pure.join(' ')} | expected ${independent.join(' ')}`,
          );
        // The task's own wording: the first warning is on scheduledRun(addMonthsUtc(inactiveSince, 15)).
        if (scheduledRun(addMonthsUtc(since, 15), near, windowStart).getTime() !== w[0])
          scheduleDisagrees.push(`${since.toISOString()}: first warning run`);
      }
      expect(scheduleDisagrees.slice(0, 20), why).toEqual([]);
      const oldBug = expected.get(ids[days.indexOf(Date.UTC(2023, 1, 28))]!)!;
      expect(new Date(oldBug.get('warning_1')!).toISOString()).toBe('2024-05-29T01:00:00.000Z');
      const r42 = expected.get(ids[ids.length - 1]!)!;
      expect(new Date(r42.get('warning_1')!).toISOString()).toBe('2024-02-29T02:00:00.000Z');

      // Every nightly run of the service's schedule in the window, the job run at each.
      const off: string[] = [];
      const stageOf = (item: { action: string; detail: string }) =>
        item.action === 'warn'
          ? `warning_${['first warning', 'second warning', 'final warning'].indexOf(item.detail) + 1}`
          : item.action === 'archive'
            ? 'archived'
            : 'deleted';
      let run = windowStart;
      let previous: Date | undefined;
      let nights = 0;
      let busiest = 0;
      const started = performance.now();
      while (run.getTime() <= until) {
        // The cron schedule's runs are the UK rule's runs, one a night (the clock-change nights included).
        if (previous && nightlyRunAtOrAfter(new Date(previous.getTime() + 1)).getTime() !== run.getTime()) {
          off.push(
            `after ${previous.toISOString()} the schedule runs at ${run.toISOString()}, not at 02:00 Europe/London the next night`,
          );
        }
        t.clock.set(run);
        const result = await t.services.lifecycle.run({ now: run });
        expect(result.failures, run.toISOString()).toEqual([]);
        const did = result.items.map((item) => `${item.accountId}:${stageOf(item)}`).sort();
        const want = [...(byRun.get(run.getTime()) ?? [])].sort();
        if (did.join() !== want.join())
          off.push(`${run.toISOString()}: did [${did.join(' ')}], expected [${want.join(' ')}]`);
        // The first run computes every account's time (fixtures leave it NULL); after that the
        // candidate query yields exactly the accounts with something due tonight.
        if (nights === 0) expect(result.visited).toBe(ids.length);
        else if (result.visited !== want.length)
          off.push(`${run.toISOString()}: visited ${result.visited} accounts for ${want.length} due`);
        busiest = Math.max(busiest, want.length);
        nights++;
        previous = run;
        run = runs.nextRunAtOrAfter(new Date(run.getTime() + 1));
      }
      const seconds = (performance.now() - started) / 1000;
      const setupSeconds = (started - setupStarted) / 1000;
      expect(off.slice(0, 20), why).toEqual([]);
      expect(nights).toBeGreaterThan(800);

      // What the database recorded: each stage once, sent on exactly its run; deleted accounts gone.
      const notices = await db
        .selectFrom('lifecycle_notices')
        .select(['account_id', 'stage', 'sent_at'])
        .where('stage', 'in', ['warning_1', 'warning_2', 'warning_3', 'archived'])
        .execute();
      const remaining = new Set(
        (
          await db
            .selectFrom('accounts')
            .select('id')
            .where('status', '=', 'archived')
            .where('archive_reason', '=', 'inactivity')
            .execute()
        ).map((r) => r.id),
      );
      const wrong: string[] = [];
      const seen = new Set<string>();
      for (const n of notices) {
        const key = `${n.account_id}:${n.stage}`;
        if (seen.has(key)) wrong.push(`${key} twice`);
        seen.add(key);
        const at = expected.get(n.account_id)?.get(n.stage as Stage);
        if (at !== n.sent_at.getTime()) {
          const since = inactiveSince[ids.indexOf(n.account_id)]!;
          const nightsLate = at === undefined ? NaN : Math.round((n.sent_at.getTime() - at) / DAY);
          wrong.push(
            `inactive since ${since.toISOString()}: ${n.stage} sent ${n.sent_at.toISOString()}, due on the ${at === undefined ? '?' : new Date(at).toISOString()} run (${nightsLate} nights late)`,
          );
        }
      }
      for (const [id, stages] of expected) {
        if (stages.has('deleted') === remaining.has(id))
          wrong.push(`${inactiveSince[ids.indexOf(id)]!.toISOString()}: ${remaining.has(id) ? 'still there' : 'gone'}`);
      }
      expect(wrong.slice(0, 20), why).toEqual([]);
      const deleted = [...expected.values()].filter((s) => s.has('deleted')).length;
      expect(deleted).toBeGreaterThan(0);
      expect(seen.size).toBe((ids.length - deleted) * 4);
      // Cheap nights: a handful of accounts each, a few more where month ends clamp together (the
      // time is printed, not asserted: benchmarks are not tests).
      expect(busiest).toBeLessThanOrEqual(25);
      expect([...byRun.values()].reduce((n, v) => n + v.length, 0) / nights).toBeLessThan(6);
      console.log(
        `lifecycle-due: ${nights} nightly runs over ${ids.length} accounts (${deleted} deleted in the window) in ${seconds.toFixed(1)} s (accounts and expectations: ${setupSeconds.toFixed(1)} s); at most ${busiest} actions a night ${why}`,
      );
    },
  );
});
