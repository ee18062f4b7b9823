import fc from 'fast-check';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Account } from '../../src/data/database.ts';
import type { Actor } from '../../src/domain/access.ts';
import { addDays, addMonthsUtc } from '../../src/domain/calendar.ts';
import { ArchivedAccountError, AuthenticationError } from '../../src/domain/errors.ts';
import { ERASED } from '../../src/domain/erasure.ts';
import { typeDefaults } from '../../src/domain/privileges.ts';
import { escapeHtml } from '../../src/mail/templates/render.ts';
import { isoWeek } from '../../src/services/lifecycle/digest-service.ts';
import { loadPrincipal } from '../../src/services/sign-in/principal.ts';
import type { RequestContext } from '../../src/services/request-context.ts';
import { createAccount, createOrganisation, TEST_PASSWORD, type FixtureAccount } from '../support/fixtures.ts';
import { signInAs } from '../support/sign-in.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';

/**
 * Issue 10: deleting an account (R31) touches no row of any other account, and leaves no trace
 * of its name, username or email anywhere — the stored bodies of other people's emails included —
 * except the security alert evidence (R52), which keeps the username and address for
 * SECURITY_ALERT_RETENTION_MONTHS after the attempt and is erased by the nightly job after that.
 *
 * One database for the file; every case starts from empty tables.
 */

const NOW = new Date('2026-11-16T10:30:00Z'); // a Monday: the digest's week is NOW's
const HOUR = 3_600_000;
const DAY = 86_400_000;
let t: TestApp;
let tables: string[];
let primaryKeys: Map<string, string[]>;
/** Lookup tables the migrations fill: never emptied. */
const LOOKUP = new Set([
  'privileges',
  'user_types',
  'user_type_defaults',
  'communication_topics',
  'kysely_migration',
  'kysely_migration_lock',
]);

const db = () => t.handle.db;
const ctx = (ip: string | null = '192.0.2.10'): RequestContext => ({ ip, userAgent: 'test', requestId: null });

beforeAll(async () => {
  t = await createTestApp({ now: NOW.toISOString() });
  tables = (
    await sql<{ table_name: string }>`
    SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY table_name`.execute(
      db(),
    )
  ).rows.map((r) => r.table_name);
  const keys = await sql<{ table_name: string; column_name: string }>`
    SELECT tc.table_name, kcu.column_name FROM information_schema.table_constraints tc
    JOIN information_schema.key_column_usage kcu
      ON kcu.constraint_name = tc.constraint_name AND kcu.table_schema = tc.table_schema AND kcu.table_name = tc.table_name
    WHERE tc.constraint_type = 'PRIMARY KEY' AND tc.table_schema = 'public' ORDER BY tc.table_name, kcu.ordinal_position`.execute(
    db(),
  );
  primaryKeys = new Map();
  for (const k of keys.rows) primaryKeys.set(k.table_name, [...(primaryKeys.get(k.table_name) ?? []), k.column_name]);
});
afterAll(async () => t?.close());

async function emptyTables(): Promise<void> {
  const names = tables.filter((n) => !LOOKUP.has(n));
  await sql`TRUNCATE ${sql.join(names.map((n) => sql.table(n)))} RESTART IDENTITY CASCADE`.execute(db());
}

// ---------------------------------------------------------------------------------------------
// Snapshots of every table, compared whole row by whole row.

type Row = Record<string, unknown>;
type Snapshot = Map<string, Map<string, Row>>;

async function snapshot(): Promise<Snapshot> {
  const out: Snapshot = new Map();
  for (const table of tables) {
    const rows = (await sql<Row>`SELECT * FROM ${sql.table(table)}`.execute(db())).rows;
    const key = primaryKeys.get(table) ?? Object.keys(rows[0] ?? {});
    out.set(table, new Map(rows.map((r) => [JSON.stringify(key.map((k) => r[k])), r])));
  }
  return out;
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** The columns whose values differ. */
function changedColumns(before: Row, after: Row): string[] {
  return Object.keys(before).filter((k) => !same(before[k], after[k]));
}

/** Every string in a row, with where it is (a jsonb column is walked into). */
function stringsOf(
  value: unknown,
  path: string,
  out: { path: string; text: string }[] = [],
): { path: string; text: string }[] {
  if (typeof value === 'string') out.push({ path, text: value });
  else if (Array.isArray(value)) value.forEach((v, i) => stringsOf(v, `${path}[${i}]`, out));
  else if (value && typeof value === 'object' && !(value instanceof Date)) {
    for (const [k, v] of Object.entries(value)) stringsOf(v, path ? `${path}.${k}` : k, out);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Whole occurrences, with the word boundaries of src/domain/erasure.ts, written again here.

const PART = 'A-Za-z0-9\u00C0-\u00D6\u00D8-\u00F6\u00F8-\u024F_@+\\-';
const escapeRegExp = (v: string) => v.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const formsOf = (values: readonly string[]) =>
  [...new Set(values.flatMap((v) => [v, escapeHtml(v)]))].sort((a, b) => b.length - a.length);
const regexCache = new Map<string, RegExp>();

/** Whole occurrences of any of the values (and their HTML-escaped forms), leftmost-longest. */
function wholeWords(values: readonly string[], caseInsensitive = true): RegExp {
  const forms = formsOf(values.filter((v) => v.length >= 2));
  const key = `${caseInsensitive}:${forms.join('\u0000')}`;
  let re = regexCache.get(key);
  if (!re) {
    re = new RegExp(
      forms.length === 0
        ? '(?!)'
        : `(?<![${PART}.'\u2019]|&#39;|&amp;)(?:${forms.map(escapeRegExp).join('|')})(?![${PART}]|\\.[${PART}])`,
      caseInsensitive ? 'gi' : 'g',
    );
    regexCache.set(key, re);
  }
  re.lastIndex = 0;
  return re;
}

/**
 * Of a living account's values, those that can hold one of the deleted person's as a whole
 * occurrence (equal to it, or longer and containing it): the only ones whose occurrences are
 * theirs rather than a trace. (A shorter one — the username `lee` — may sit inside the deleted
 * person's name, "Mary Ann Lee", and must not hide it.)
 */
function holding(values: readonly string[], of: readonly string[], strictly = false): string[] {
  return values.filter((v) =>
    of.some((x) => (strictly ? v.length > x.length : v.length >= x.length) && wholeWords([x]).test(v)),
  );
}

const MASK = '\u2591';
/** The text with every whole occurrence of the values replaced by a neutral mark. */
function masked(text: string, values: readonly string[]): string {
  return values.length === 0 ? text : text.replace(wholeWords(values), MASK);
}

// ---------------------------------------------------------------------------------------------
// The world: a few LAs whose accounts collide nastily in their names, usernames and addresses.

const FIRST = ['Sam', 'Samantha', 'Ann', 'Mary Ann', 'Pat', 'Jo', 'Zoë'];
const LAST = ['Jones', 'Jones-Smith', 'Jones Smith', 'Jonesy', "O'Brien", 'Brien', 'Lee', 'Ann Lee'];
/** `system` is also the label of the nightly job's own audit events. */
const USERNAMES = [
  'sam',
  'sam.jones',
  'samantha.jones',
  'sam-j',
  'sam_j',
  'jo.sam',
  'ann',
  'ann.lee',
  'mary.ann.lee',
  'pob',
  'p.obrien',
  'obrien',
  'sam@camden',
  'jones',
  'zoe',
  'lee',
  'system',
];
const EMAILS = [
  'sam@camden.gov.uk',
  'Sam@Camden.gov.uk',
  'samantha.jones@camden.gov.uk',
  'sam.jones@camden.gov.uk',
  'jo+sam@camden.gov.uk',
  "o'brien@camden.gov.uk",
  'p.obrien@camden.gov.uk',
  'ann.lee@camden.gov.uk',
  'mary.ann.lee@camden.gov.uk',
  'shared@kent.gov.uk',
];
const PHONES = [null, '07700 900461', '+44 7700 900462'];
const IPS = ['198.51.100.7', '203.0.113.42', '192.0.2.99'];
const LAS = [
  ['202', 'Camden'],
  ['886', 'Kent'],
  ['383', 'Leeds'],
] as const;

type Activity = 'recent' | 'warn' | 'final' | 'never' | 'access-end';
type Role = 'admin' | 'nexus' | 'officer';
type Path = 'admin' | 'support' | 'review' | 'lifecycle';

const personArb = fc.record({
  first: fc.constantFrom(...FIRST),
  last: fc.constantFrom(...LAST),
  email: fc.constantFrom(...EMAILS),
  phone: fc.constantFrom(...PHONES),
});

const accountArb = fc.record({
  la: fc.nat({ max: 2 }),
  person: personArb,
  role: fc.constantFrom<Role>('admin', 'nexus', 'officer', 'officer'),
  activity: fc.constantFrom<Activity>('recent', 'warn', 'final', 'never', 'access-end'),
  lateDays: fc.nat({ max: 25 }),
  manualArchive: fc.nat({ max: 4 }).map((n) => n === 0),
  viaService: fc.nat({ max: 5 }).map((n) => n === 0),
  rename: fc.option(personArb, { freq: 3 }),
  resetTwoFactor: fc.nat({ max: 5 }).map((n) => n === 0),
  passwordReset: fc.nat({ max: 5 }).map((n) => n === 0),
  topics: fc.subarray(['news', 'training']),
});

const worldArb = fc.record({
  laCount: fc.integer({ min: 2, max: 3 }),
  accounts: fc.array(accountArb, { minLength: 6, maxLength: 15 }),
  usernames: fc.shuffledSubarray(USERNAMES, { minLength: USERNAMES.length, maxLength: USERNAMES.length }),
  attempts: fc.array(
    fc.record({
      account: fc.nat(),
      daysAgo: fc.integer({ min: 1, max: 5 }),
      hour: fc.integer({ min: 7, max: 20 }),
      right: fc.boolean(),
      ip: fc.constantFrom(...IPS),
    }),
    { maxLength: 8 },
  ),
  /** Attempts on the account to delete: its alerts are what the evidence rules are about. */
  targetAttempts: fc.array(
    fc.record({
      daysAgo: fc.integer({ min: 1, max: 5 }),
      hour: fc.integer({ min: 7, max: 20 }),
      right: fc.boolean(),
      ip: fc.constantFrom(...IPS),
    }),
    { maxLength: 3 },
  ),
  target: fc.nat(),
  path: fc.constantFrom<Path>('admin', 'support', 'review', 'lifecycle'),
  pick: fc.nat(),
  review: fc.boolean(),
  token: fc.boolean(),
});

type WorldSpec = typeof worldArb extends fc.Arbitrary<infer W> ? W : never;

interface Person {
  first: string;
  last: string;
  email: string;
  phone: string | null;
}

/** What the test knows of the account it deletes, independently of the code under test. */
interface Deleted {
  id: string;
  username: string;
  organisationId: number;
  names: string[];
  emails: string[];
  phones: string[];
}

const T1 = new Date(NOW.getTime() - 26 * DAY - 8.5 * HOUR); // 02:00, the first nightly run
const T2 = new Date(NOW.getTime() - 6 * DAY - 8.5 * HOUR); // 02:00, 20 days later: archives
const MANUAL_ARCHIVE = new Date(NOW.getTime() - 30 * DAY); // 10:30: deleted by the nightly job exactly at NOW
const ACCESS_END = new Date(NOW.getTime() - 8 * DAY).toISOString().slice(0, 10);

function lastSignIn(activity: Activity, lateDays: number): Date | null {
  switch (activity) {
    case 'recent':
    case 'access-end':
      return addMonthsUtc(NOW, -2);
    case 'warn':
      return addDays(addMonthsUtc(T1, -15), -lateDays);
    case 'final':
      return addDays(addMonthsUtc(T1, -18), -lateDays);
    case 'never':
      return null;
  }
}

async function actorOf(id: string): Promise<Actor> {
  const principal = await loadPrincipal(db(), id);
  if (!principal)
    throw new Error(
      `account ${id} cannot act: ${JSON.stringify(await db().selectFrom('accounts').select(['username', 'status', 'organisation_id']).where('id', '=', id).executeTakeFirst())}`,
    );
  return principal.actor;
}

/** An active holder of manage_users of the LA other than `except`, chosen by `pick`; else central support. */
async function someAdministrator(organisationId: number, pick: number, except?: string): Promise<Actor> {
  const rows = await db()
    .selectFrom('accounts')
    .innerJoin('account_privileges', 'account_privileges.account_id', 'accounts.id')
    .select('accounts.id')
    .where('accounts.organisation_id', '=', organisationId)
    .where('accounts.status', '=', 'active')
    .where('account_privileges.privilege', '=', 'manage_users')
    .where('accounts.id', '<>', except ?? '00000000-0000-0000-0000-000000000000')
    .orderBy('accounts.username')
    .execute();
  if (rows.length > 0) return actorOf(rows[pick % rows.length]!.id);
  const support = await db()
    .selectFrom('accounts')
    .select('id')
    .where('username', '=', 'support')
    .executeTakeFirstOrThrow();
  return actorOf(support.id);
}

async function accountRow(id: string): Promise<Account | undefined> {
  return db().selectFrom('accounts').selectAll().where('id', '=', id).executeTakeFirst();
}

/**
 * Builds the world through the services, in time order, and returns the account to delete and how.
 * History: privileges and access end dates; the nightly job warns (T1), manual archives, the job
 * archives and alerts (T2); an access review; an API token; two-factor resets and password
 * resets; changes of name and address; new accounts (invitations); sign-in attempts — security
 * alerts on archived accounts; the weekly digest; the nightly job once more just before NOW.
 */
async function buildWorld(w: WorldSpec) {
  await emptyTables();
  const key = t.config.secretKey;
  const organisations: number[] = [];
  for (let i = 0; i < w.laCount; i++) organisations.push(await createOrganisation(db(), LAS[i]![0], LAS[i]![1]));
  const central = await createOrganisation(db(), 'central', 'NCER Support');
  const support = await createAccount(db(), key, {
    organisationId: central,
    username: 'support',
    userType: 'support',
    firstName: 'Central',
    lastName: 'Support',
    email: 'help@ncer.invalid',
    lastSignInAt: addDays(NOW, -20),
  });

  // Each LA's first account is an administrator who signs in: the LA always keeps one.
  const specs = w.accounts.map((a, i) =>
    i < w.laCount
      ? { ...a, la: i, role: 'admin' as const, activity: 'recent' as const, manualArchive: false, viaService: false }
      : { ...a, la: a.la % w.laCount, rename: a.viaService ? null : a.rename },
  ); // a new account is created after the renames
  const targetIndex = w.laCount + (w.target % (specs.length - w.laCount));
  let path = w.path;
  if (path === 'lifecycle') specs[targetIndex] = { ...specs[targetIndex]!, manualArchive: true, viaService: false };
  const ids: (string | null)[] = specs.map(() => null);
  /** Everything each account was ever called, for the checks (what a living account holds is theirs). */
  const held = new Map<string, { username: string; people: Person[] }>();
  const hold = (i: number) =>
    held.set(ids[i]!, {
      username: w.usernames[i]!,
      people: [specs[i]!.person, ...(specs[i]!.rename ? [specs[i]!.rename] : [])],
    });

  t.clock.set(addDays(NOW, -60));
  for (const [i, s] of specs.entries()) {
    if (s.viaService) continue;
    const fixture = await createAccount(db(), key, {
      organisationId: organisations[s.la]!,
      username: w.usernames[i]!,
      firstName: s.person.first,
      lastName: s.person.last,
      email: s.person.email,
      userType: s.role === 'admin' ? 'la_admin' : 'la_officer',
      createdAt: new Date('2022-01-03T09:00:00Z'),
      lastSignInAt: lastSignIn(s.activity, s.lateDays),
    });
    if (s.person.phone)
      await db().updateTable('accounts').set({ phone: s.person.phone }).where('id', '=', fixture.id).execute();
    ids[i] = fixture.id;
    hold(i);
  }

  const events: { at: Date; run: () => Promise<unknown> }[] = [];
  const at = (when: Date, run: () => Promise<unknown>) => events.push({ at: when, run });
  const detailsOf = (a: Account, change: Partial<Person> & { accessEndDate?: string } = {}) => ({
    firstName: change.first ?? a.first_name,
    lastName: change.last ?? a.last_name,
    email: change.email ?? a.email,
    phone: change.phone === undefined ? (a.phone ?? '') : (change.phone ?? ''),
    jobTitle: a.job_title ?? '',
    accessEndDate: change.accessEndDate,
  });

  // 50 days before: privileges, access end dates and communication preferences.
  at(addDays(NOW, -50), async () => {
    for (const [i, s] of specs.entries()) {
      const id = ids[i];
      if (!id) continue;
      const admin = await someAdministrator(organisations[s.la]!, w.pick + i, id);
      if (s.role === 'nexus') {
        await t.services.userChanges.setPrivileges(
          admin,
          id,
          { userType: 'la_officer', privileges: [...typeDefaults('la_officer'), 'nexus_admin'] },
          ctx(),
        );
      }
      if (s.activity === 'access-end')
        await t.services.userChanges.editDetails(
          admin,
          id,
          detailsOf((await accountRow(id))!, { accessEndDate: ACCESS_END }),
          ctx(),
        );
      if (s.topics.length > 0) await t.services.communications.setMine(await actorOf(id), s.topics, ctx());
    }
  });
  at(T1, () => t.services.lifecycle.run({ now: T1 }));
  for (const [i, s] of specs.entries()) {
    if (!s.manualArchive) continue;
    // The one the nightly job is to delete at NOW exactly at 10:30; others an hour earlier, so the
    // job deletes them before NOW — but the one to delete some other way, later, so that it is still there.
    const when =
      i !== targetIndex
        ? new Date(MANUAL_ARCHIVE.getTime() - HOUR)
        : path === 'lifecycle'
          ? MANUAL_ARCHIVE
          : addDays(NOW, -20);
    at(when, async () => {
      const row = await accountRow(ids[i]!);
      if (row?.status !== 'active') return;
      await t.services.userStatus.archive(
        await someAdministrator(row.organisation_id, w.pick + i, row.id),
        row.id,
        ctx(),
      );
    });
  }
  at(T2, () => t.services.lifecycle.run({ now: T2 }));
  let reviewId: string | undefined;
  at(addDays(NOW, -15), async () => {
    const la = specs[targetIndex]!.la;
    const opener = await someAdministrator(organisations[la]!, w.pick);
    if (w.review || path === 'review') {
      reviewId = await t.services.reviews.open(
        opener,
        LAS[la]![0],
        { name: 'Autumn review', dueOn: addDays(NOW, 30).toISOString().slice(0, 10) },
        ctx(),
      );
      const items = await db()
        .selectFrom('access_review_items')
        .selectAll()
        .where('review_id', '=', reviewId)
        .orderBy('account_id')
        .execute();
      for (const item of items.slice(0, 2)) {
        const decider = await someAdministrator(organisations[la]!, w.pick + 1, item.account_id);
        await t.services.reviews.decide(
          decider,
          reviewId,
          item.account_id,
          {
            answers: { stillEmployed: 'yes', postNeedsAccess: 'yes', pupilLevelRight: 'yes', cinClaRight: 'yes' },
            decision: 'keep',
            note: '',
            version: String(item.version),
          },
          ctx(),
        );
      }
    }
    if (w.token) {
      const maker = await someAdministrator(organisations[(w.pick + 1) % w.laCount]!, w.pick);
      await t.services.apiTokens.create(maker, { name: 'Reporting' }, ctx());
    }
  });
  at(addDays(NOW, -10), async () => {
    for (const [i, s] of specs.entries()) {
      const row = ids[i] ? await accountRow(ids[i]) : undefined;
      if (!row) continue;
      if (s.resetTwoFactor && row.totp_secret) {
        await t.services.userStatus.resetTwoFactor(
          await someAdministrator(row.organisation_id, w.pick + i, row.id),
          row.id,
          ctx(),
        );
      }
      if (s.passwordReset) await t.services.passwords.requestPasswordReset(row.username, ctx('192.0.2.50'));
    }
  });
  at(addDays(NOW, -3), async () => {
    for (const [i, s] of specs.entries()) {
      const row = ids[i] ? await accountRow(ids[i]) : undefined;
      if (!row || !s.rename) continue;
      await t.services.userChanges.editDetails(
        await someAdministrator(row.organisation_id, w.pick + i, row.id),
        row.id,
        detailsOf(row, s.rename),
        ctx(),
      );
    }
  });
  at(addDays(NOW, -2), async () => {
    for (const [i, s] of specs.entries()) {
      if (!s.viaService) continue;
      const creator = await someAdministrator(organisations[s.la]!, w.pick + i);
      const userType = s.role === 'admin' ? 'la_admin' : 'la_officer';
      const account = await t.services.accounts.createAccount(
        creator,
        {
          organisationId: organisations[s.la]!,
          username: w.usernames[i]!,
          firstName: s.person.first,
          lastName: s.person.last,
          email: s.person.email,
          phone: s.person.phone ?? '',
          jobTitle: '',
          userType,
          privileges: s.role === 'nexus' ? [...typeDefaults('la_officer'), 'nexus_admin'] : typeDefaults(userType),
        },
        ctx(),
      );
      ids[i] = account.id;
      hold(i);
    }
  });
  for (const a of [...w.attempts, ...w.targetAttempts.map((a) => ({ ...a, account: targetIndex }))]) {
    at(new Date(NOW.getTime() - a.daysAgo * DAY - 10.5 * HOUR + a.hour * HOUR), async () => {
      const i = a.account % specs.length;
      const row = ids[i] ? await accountRow(ids[i]) : undefined;
      if (!row) return;
      await t.services.signIn
        .signInWithPassword(
          { username: row.username, password: a.right ? TEST_PASSWORD : 'not-the-password-at-all' },
          ctx(a.ip),
        )
        .catch((error: unknown) => {
          if (!(error instanceof ArchivedAccountError || error instanceof AuthenticationError)) throw error;
        });
    });
  }
  at(new Date(NOW.getTime() - HOUR), () => t.services.digest.send({ now: new Date(NOW.getTime() - HOUR) }));
  at(new Date(NOW.getTime() - 60_000), () => t.services.lifecycle.run({ now: new Date(NOW.getTime() - 60_000) }));

  events.sort((a, b) => a.at.getTime() - b.at.getTime());
  for (const e of events) {
    t.clock.set(e.at);
    await e.run();
  }
  t.clock.set(NOW);

  const target = (await accountRow(ids[targetIndex]!))!;
  if (path === 'lifecycle' && (target.status !== 'archived' || target.deletion_due_at?.getTime() !== NOW.getTime()))
    path = 'admin';
  const item =
    reviewId === undefined
      ? undefined
      : await db()
          .selectFrom('access_review_items')
          .selectAll()
          .where('review_id', '=', reviewId)
          .where('account_id', '=', target.id)
          .executeTakeFirst();
  if (
    path === 'review' &&
    (!item || target.status !== 'active' || item.decision === 'archive' || item.decision === 'delete')
  )
    path = 'admin';

  const s = specs[targetIndex]!;
  const people: Person[] = [s.person, ...(s.rename ? [s.rename] : [])];
  const deleted: Deleted = {
    id: target.id,
    username: target.username,
    organisationId: target.organisation_id,
    names: [...new Set(people.map((p) => `${p.first} ${p.last}`))],
    emails: [...new Set(people.map((p) => p.email))],
    phones: [...new Set(people.map((p) => p.phone).filter((p): p is string => !!p))],
  };
  held.set(support.id, {
    username: 'support',
    people: [{ first: 'Central', last: 'Support', email: 'help@ncer.invalid', phone: null }],
  });
  return { target, deleted, path, reviewId, item, support, pick: w.pick, held };
}

/** Deletes the account the way the world says: an administrator, central support, a review decision or the nightly job. */
async function deleteThroughService(world: Awaited<ReturnType<typeof buildWorld>>): Promise<void> {
  const { target, path } = world;
  switch (path) {
    case 'admin':
      await t.services.userStatus.delete(
        await someAdministrator(target.organisation_id, world.pick, target.id),
        target.id,
        ctx(),
      );
      return;
    case 'support':
      await t.services.userStatus.delete(await actorOf(world.support.id), target.id, ctx());
      return;
    case 'review':
      await t.services.reviews.decide(
        await someAdministrator(target.organisation_id, world.pick, target.id),
        world.reviewId!,
        target.id,
        {
          answers: { stillEmployed: 'no', postNeedsAccess: 'no', pupilLevelRight: 'yes', cinClaRight: 'yes' },
          decision: 'delete',
          note: 'Left in October',
          version: String(world.item!.version),
        },
        ctx(),
      );
      return;
    case 'lifecycle': {
      const result = await t.services.lifecycle.run({ now: NOW });
      expect(result.items.map((i) => [i.accountId, i.action])).toEqual([[target.id, 'delete']]);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// The checks.

/** Another account of the world (living, or deleted earlier), with everything it was ever called. */
interface Other {
  id: string;
  /** First and last names, now and before. */
  parts: string[];
  /** Whole names, username, addresses and phone numbers, now and before. */
  whole: string[];
}

type Held = Map<string, { username: string; people: Person[] }>;

function othersThan(deletedId: string, held: Held): Other[] {
  return [...held]
    .filter(([id]) => id !== deletedId)
    .map(([id, { username, people }]) => ({
      id,
      parts: people.flatMap((p) => [p.first, p.last]),
      whole: [
        ...new Set([
          username,
          ...people.flatMap((p) => [`${p.first} ${p.last}`, p.email, ...(p.phone ? [p.phone] : [])]),
        ]),
      ],
    }));
}

/** Accounts whose rows these are: by the account columns, and for an email, by its recipient and the accounts it names. */
function ownersOf(table: string, row: Row, mentions: Map<string, Set<string>>): Set<string> {
  const owners = new Set<string>();
  const columns =
    table === 'accounts'
      ? ['id']
      : [
          'account_id',
          'subject_account_id',
          'actor_account_id',
          'created_by',
          'decided_by',
          'opened_by',
          'finished_by',
        ];
  for (const c of columns) if (typeof row[c] === 'string') owners.add(row[c]);
  if (table === 'email_outbox') for (const id of mentions.get(row.id as string) ?? []) owners.add(id);
  return owners;
}

function mentionsIn(s: Snapshot): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const m of s.get('email_mentions')!.values())
    out.set(m.email_id as string, new Set([...(out.get(m.email_id as string) ?? []), m.account_id as string]));
  return out;
}

/**
 * Whole, case-insensitive occurrences of the deleted person's name, username, email or phone in
 * every table. Values a living account holds are theirs in their own rows (the same address, a
 * first name equal to the username), and a living account's longer value that contains one of
 * them (Mary Ann Lee, Sam Jones for `sam`) is theirs anywhere.
 */
function traces(s: Snapshot, x: Deleted, held: Held, options: { evidenceSince?: Date }): string[] {
  const others = othersThan(x.id, held);
  const kinds = { name: x.names, email: x.emails, username: [x.username], phone: x.phones };
  const everyone = others.flatMap((o) => o.whole);
  const longer = Object.fromEntries(
    Object.entries(kinds).map(([kind, values]) => [kind, holding(everyone, values, true)]),
  );
  const byId = new Map(others.map((o) => [o.id, o]));
  const mentions = mentionsIn(s);
  const needles = formsOf(Object.values(kinds).flat()).map((v) => v.toLowerCase());
  const found: string[] = [];
  for (const [table, rows] of s) {
    for (const [key, row] of rows) {
      const owners = [...ownersOf(table, row, mentions)].map((id) => byId.get(id)).filter((o): o is Other => !!o);
      const evidence =
        options.evidenceSince !== undefined &&
        table === 'audit_events' &&
        row.security_alert === true &&
        row.subject_account_id === x.id &&
        (row.occurred_at as Date) >= options.evidenceSince;
      // The nightly job's own label, where it acted (not an attempt under a typed username).
      const systemLabel =
        table === 'audit_events' &&
        row.actor_account_id === null &&
        !/^(sign-in|password-reset)\./.test(row.action as string);
      for (const { path, text } of stringsOf(row, '')) {
        if (systemLabel && text === 'system' && (path === 'actor_label' || path === 'details.tombstone.deletedBy'))
          continue;
        const lower = text.toLowerCase();
        if (!needles.some((n) => lower.includes(n))) continue;
        // What may stay here: the evidence's username, for its retention period.
        const allowed = (evidence && path === 'details.username' ? ['username'] : []) as (keyof typeof kinds)[];
        const rest = masked(
          text,
          allowed.flatMap((k) => kinds[k]),
        );
        for (const [kind, values] of Object.entries(kinds)) {
          if ((allowed as string[]).includes(kind)) continue;
          // The owners' own values, their first and last names too ("Dear Sam," for `sam`; the last name "Ann Lee").
          const mine = holding(
            owners.flatMap((o) => [...o.whole, ...o.parts]),
            values,
          );
          const hit = masked(rest, [...mine, ...longer[kind]!]).match(wholeWords(values));
          if (hit)
            found.push(
              `${table} ${key} ${path}: ${kind} ${JSON.stringify(hit[0])} in ${JSON.stringify(text.slice(Math.max(0, text.indexOf(hit[0]) - 150), text.indexOf(hit[0]) + 150))}`,
            );
        }
      }
    }
  }
  return found;
}

interface Span {
  start: number;
  end: number;
}

function spansOf(text: string, re: RegExp): Span[] {
  return [...text.matchAll(re)].map((m) => ({ start: m.index, end: m.index + m[0].length }));
}

/**
 * The only change to an email that names the deleted person: each occurrence of their values
 * replaced by the erasure text — except where it lies within a value of someone who remains in
 * the email (the recipient, the others it names), which is theirs — and nothing else.
 */
function onlyErased(before: string, after: string, x: Deleted, keep: readonly string[]): boolean {
  const SENTINEL = '\u00A7';
  // (An account deleted earlier may have been erased from the same email already.)
  const text = before.split(ERASED).join(SENTINEL);
  const kept = spansOf(text, wholeWords(keep));
  const found = [
    ...spansOf(text, wholeWords([...x.names, ...x.emails, ...x.phones])),
    ...spansOf(text, wholeWords([x.username], false)),
  ].sort((a, b) => a.start - b.start || b.end - a.end);
  let expected = '';
  let at = 0;
  for (const span of found) {
    if (span.start < at || kept.some((k) => k.start <= span.start && span.end <= k.end)) continue;
    expected += text.slice(at, span.start) + SENTINEL;
    at = span.end;
  }
  expected += text.slice(at);
  const actual = after.split(ERASED).join(SENTINEL);
  return actual === expected;
}

/** Where two values first differ, for the failure message. */
function difference(a: unknown, b: unknown): string {
  const x = typeof a === 'string' ? a : JSON.stringify(a);
  const y = typeof b === 'string' ? b : JSON.stringify(b);
  let i = 0;
  while (i < x.length && x[i] === y[i]) i++;
  return `${JSON.stringify(x.slice(Math.max(0, i - 60), i + 100))} -> ${JSON.stringify(y.slice(Math.max(0, i - 60), i + 100))}`;
}

/** Property 1: every row that changed or went is the deleted account's, or an erasure from an email that names it. */
function unexpectedChanges(before: Snapshot, after: Snapshot, x: Deleted, held: Held, evidenceSince: Date): string[] {
  const problems: string[] = [];
  const mentionedBefore = mentionsIn(before);
  const others = othersThan(x.id, held);
  const byId = new Map(others.map((o) => [o.id, o]));
  const all = [...x.names, ...x.emails, x.username, ...x.phones];
  // (Not one equal to one of the person's: that is theirs only where its holder is named.)
  const longer = holding(
    others.flatMap((o) => o.whole),
    all,
    true,
  ).filter((v) => !all.some((value) => value.toLowerCase() === v.toLowerCase()));
  const removedEmails = new Set(
    [...before.get('email_outbox')!.keys()]
      .filter((k) => !after.get('email_outbox')!.has(k))
      .map((k) => (JSON.parse(k) as string[])[0]!),
  );
  const throttleKeys = new Set([`account:${x.username}`, `reset-account:${x.username}`]);

  for (const table of tables) {
    const b = before.get(table)!;
    const a = after.get(table)!;
    for (const [key, row] of b) {
      const now = a.get(key);
      const where = `${table} ${key}`;
      if (!now) {
        // Gone: only the account's own rows.
        const ok =
          table === 'accounts'
            ? row.id === x.id
            : table === 'sign_in_throttle'
              ? throttleKeys.has(row.key as string)
              : table === 'api_tokens'
                ? row.created_by === x.id
                : table === 'email_mentions'
                  ? row.account_id === x.id || removedEmails.has(row.email_id as string)
                  : table === 'email_outbox'
                    ? row.account_id === x.id
                    : [
                        'account_privileges',
                        'school_assignments',
                        'account_school_groups',
                        'communication_subscriptions',
                        'sessions',
                        'account_tokens',
                        'lifecycle_notices',
                      ].includes(table) && row.account_id === x.id;
        if (!ok) problems.push(`${where} was deleted: ${JSON.stringify(row).slice(0, 300)}`);
        continue;
      }
      const changed = changedColumns(row, now);
      if (changed.length === 0) continue;
      const only = (columns: string[]) => changed.every((c) => columns.includes(c));
      let ok = false;
      switch (table) {
        case 'email_outbox': {
          const names = mentionedBefore.get(row.id as string);
          if (names?.has(x.id) && only(['subject', 'text_body', 'html_body'])) {
            const living = (id: string) => after.get('accounts')!.has(JSON.stringify([id]));
            const keepers = [...names, row.account_id as string]
              .filter((id) => id !== x.id && living(id))
              .map((id) => byId.get(id))
              .filter((o): o is Other => !!o);
            const keep = [...keepers.flatMap((o) => o.whole), ...longer];
            ok = changed.every((c) => onlyErased(row[c] as string, now[c] as string, x, keep));
          }
          break;
        }
        case 'audit_events': {
          // An attempt under its username (sign-in, password reset), about it or about no account.
          const anonymousUnderName =
            row.actor_account_id === null &&
            (row.actor_label as string).toLowerCase() === x.username &&
            /^(sign-in|password-reset)\./.test(row.action as string) &&
            (row.subject_account_id === x.id || row.subject_account_id === null);
          const isEvidence = row.security_alert === true && (row.occurred_at as Date) >= evidenceSince;
          ok =
            only(['details', 'actor_label']) &&
            (!changed.includes('actor_label') ||
              (now.actor_label === 'deleted account' && (row.actor_account_id === x.id || anonymousUnderName))) &&
            (!changed.includes('details') ||
              (same(now.details, { redacted: 'account deleted' }) &&
                !isEvidence &&
                (row.subject_account_id === x.id || anonymousUnderName)));
          break;
        }
        case 'access_review_items':
          ok =
            row.account_id === x.id ||
            (row.decided_by === x.id && only(['decided_by_label']) && now.decided_by_label === 'deleted account');
          break;
        case 'access_reviews':
          ok =
            only(['opened_by_label', 'finished_by_label']) &&
            changed.every((c) => now[c] === 'deleted account' && row[c.replace('_label', '')] === x.id);
          break;
      }
      if (!ok)
        problems.push(
          `${where} changed ${changed.join(', ')}: ${changed.map((c) => difference(row[c], now[c])).join('; ')}`,
        );
    }
    for (const [key, row] of a) {
      if (b.has(key)) continue;
      // New: only the tombstone and what a review decision records about the account.
      const ok =
        table === 'audit_events' &&
        row.subject_account_id === x.id &&
        ['account.deleted', 'review.item-decided'].includes(row.action as string);
      if (!ok) problems.push(`${table} ${key} was added: ${JSON.stringify(row).slice(0, 300)}`);
    }
  }
  const tombstones = [...after.get('audit_events')!.values()].filter(
    (r) => r.action === 'account.deleted' && r.subject_account_id === x.id,
  );
  if (tombstones.length !== 1) problems.push(`${tombstones.length} tombstones`);
  for (const r of after.get('email_mentions')!.values())
    if (r.account_id === x.id)
      problems.push(`email ${r.email_id as string} still records a mention of the deleted account`);
  return problems;
}

/** Security alerts about the account in the snapshot. */
function alertsAbout(s: Snapshot, id: string): Row[] {
  return [...s.get('audit_events')!.values()].filter((r) => r.security_alert === true && r.subject_account_id === id);
}

describe('deleting an account (R31, issue 10)', () => {
  it('touches no row of another account, and leaves no trace of the person but the alert evidence, which the nightly job erases after its retention', async () => {
    const retention = t.config.securityAlertRetentionMonths;
    const evidenceSince = addMonthsUtc(NOW, -retention);
    const runs = Number(process.env.ERASURE_RUNS ?? 20);
    const seen = { paths: new Map<string, number>(), alerts: 0, mentioned: 0, rewritten: 0 };
    await fc.assert(
      fc.asyncProperty(worldArb, async (w) => {
        const world = await buildWorld(w);
        const { deleted } = world;
        const before = await snapshot();
        await deleteThroughService(world);
        const after = await snapshot();

        // 1. Nothing of anyone else changed but the erasure from emails that name the person.
        expect(unexpectedChanges(before, after, deleted, world.held, evidenceSince)).toEqual([]);
        expect(after.get('accounts')!.has(JSON.stringify([deleted.id]))).toBe(false);

        // 2. No trace left but the security alerts' evidence, which keeps the username and the address.
        expect(traces(after, deleted, world.held, { evidenceSince })).toEqual([]);
        const alertsBefore = alertsAbout(before, deleted.id);
        for (const alert of alertsAbout(after, deleted.id)) {
          const was = alertsBefore.find((r) => r.id === alert.id)!;
          expect(alert.details).toMatchObject({ username: deleted.username });
          expect(alert.details).toEqual(was.details);
          expect(alert.ip).toBe(was.ip);
          expect(alert.ip).not.toBeNull();
        }

        // 3. Past the retention, the nightly job erases the evidence too: then nothing is left at all.
        const later = addDays(addMonthsUtc(NOW, retention), 1);
        t.clock.set(later);
        const run = await t.services.lifecycle.run({ now: later });
        expect(run.failures).toEqual([]);
        const final = await snapshot();
        expect(traces(final, deleted, world.held, {})).toEqual([]);
        for (const alert of alertsAbout(final, deleted.id)) {
          expect(alert.ip).toBeNull();
          expect(JSON.stringify(alert.details)).not.toContain(deleted.username);
        }

        seen.paths.set(world.path, (seen.paths.get(world.path) ?? 0) + 1);
        seen.alerts += alertsBefore.length;
        const mentioning = [...before.get('email_mentions')!.values()].filter(
          (m) => m.account_id === deleted.id,
        ).length;
        seen.mentioned += mentioning;
        seen.rewritten += [...before.get('email_outbox')!.values()].filter((e) => {
          const now = after.get('email_outbox')!.get(JSON.stringify([e.id]));
          return now && now.text_body !== e.text_body;
        }).length;
        // A world takes seconds to build: a failure is reported as found (replay it with its seed
        // and path) rather than shrunk, which would take many minutes.
      }),
      {
        numRuns: runs,
        endOnFailure: true,
        // To replay a failure: ERASURE_SEED=<seed> ERASURE_PATH=<path> npx vitest run test/db/account-erasure.test.ts
        ...(process.env.ERASURE_SEED ? { seed: Number(process.env.ERASURE_SEED), path: process.env.ERASURE_PATH } : {}),
      },
    );
    // The worlds did reach what the property is about (over enough of them to be sure).
    if (runs >= 10) {
      expect(seen.alerts).toBeGreaterThan(0);
      expect(seen.mentioned).toBeGreaterThan(0);
      expect(seen.rewritten).toBeGreaterThan(0);
      expect(seen.paths.size).toBeGreaterThan(1);
    }
  }, 600_000);
});

// ---------------------------------------------------------------------------------------------
// Examples.

interface Camden {
  camden: number;
  kent: number;
  alice: FixtureAccount;
  bob: FixtureAccount;
}

/** Camden with two administrators, and Kent with one. */
async function camdenAndKent(at: Date): Promise<Camden> {
  await emptyTables();
  t.clock.set(at);
  const key = t.config.secretKey;
  const camden = await createOrganisation(db(), '202', 'Camden');
  const kent = await createOrganisation(db(), '886', 'Kent');
  const alice = await createAccount(db(), key, {
    organisationId: camden,
    username: 'alice.admin',
    userType: 'la_admin',
    firstName: 'Alice',
    lastName: 'Adeyemi',
    email: 'alice.adeyemi@camden.gov.uk',
    lastSignInAt: at,
  });
  const bob = await createAccount(db(), key, {
    organisationId: camden,
    username: 'bob.admin',
    userType: 'la_admin',
    firstName: 'Bob',
    lastName: 'Brennan',
    email: 'bob.brennan@camden.gov.uk',
    lastSignInAt: at,
  });
  await createAccount(db(), key, {
    organisationId: kent,
    username: 'kent.admin',
    userType: 'la_admin',
    firstName: 'Kim',
    lastName: 'Kent',
    email: 'kim@kent.gov.uk',
    lastSignInAt: at,
  });
  return { camden, kent, alice, bob };
}

const wholeWord = (value: string) =>
  new RegExp(`(?<![${PART}.'])${escapeRegExp(value)}(?![${PART}]|\\.[${PART}])`, 'i');

describe('deleting an account whose username is a label the service writes itself', () => {
  it("leaves the nightly job's events about other accounts alone when deleting an account called `system`", async () => {
    const now = new Date('2026-11-17T02:00:00Z');
    const { camden, alice } = await camdenAndKent(now);
    const key = t.config.secretKey;
    const system = await createAccount(db(), key, {
      organisationId: camden,
      username: 'system',
      lastSignInAt: addDays(now, -3),
    });
    const ollie = await createAccount(db(), key, {
      organisationId: camden,
      username: 'ollie',
      lastSignInAt: addMonthsUtc(now, -15),
    });
    await t.services.lifecycle.run({ now });
    const warned = () =>
      db()
        .selectFrom('audit_events')
        .selectAll()
        .where('subject_account_id', '=', ollie.id)
        .where('action', '=', 'lifecycle.warning-sent')
        .executeTakeFirstOrThrow();
    const before = await warned();
    expect(before.actor_label).toBe('system');
    await t.services.userStatus.delete(await actorOf(alice.id), system.id, ctx());
    expect(await warned()).toEqual(before);
  });
});

describe('security alerts outlive the account (R52)', () => {
  it('emails the administrators once per account per day; the alerts page and the digest keep the username and address after the deletion', async () => {
    const day = new Date('2026-11-17T09:00:00Z'); // a Tuesday
    const { camden, kent, alice } = await camdenAndKent(addDays(day, -40));
    const key = t.config.secretKey;
    const nina = await createAccount(db(), key, {
      organisationId: camden,
      username: 'nina.nexus',
      userType: 'read_only',
      privileges: ['summary_reports', 'nexus_admin'],
      lastSignInAt: day,
    });
    const olly = await createAccount(db(), key, {
      organisationId: camden,
      username: 'olly.officer',
      userType: 'la_officer',
      lastSignInAt: day,
    });
    const sam = await createAccount(db(), key, {
      organisationId: camden,
      username: 'sam',
      userType: 'la_officer',
      firstName: 'Sam',
      lastName: "O'Brien",
      email: 'sam@camden.gov.uk',
      lastSignInAt: addMonthsUtc(day, -2),
    });
    t.clock.set(addDays(day, -10));
    await t.services.userStatus.archive(await actorOf(alice.id), sam.id, ctx());

    const alertEmails = () =>
      db()
        .selectFrom('email_outbox')
        .selectAll()
        .where('template', '=', 'security-alert')
        .orderBy('created_at')
        .orderBy('to_address')
        .execute();
    const attempt = async (at: Date, password: string, ip: string) => {
      t.clock.set(at);
      await expect(t.services.signIn.signInWithPassword({ username: 'sam', password }, ctx(ip))).rejects.toThrow();
    };
    await attempt(day, TEST_PASSWORD, '198.51.100.7');
    const first = await alertEmails();
    expect(first.map((e) => e.to_address)).toEqual(['alice.adeyemi@camden.gov.uk', 'bob.brennan@camden.gov.uk']);
    expect(first[0]!.text_body).toContain("sign in to Nexus as sam (Sam O'Brien) from the address 198.51.100.7");
    expect(first[0]!.html_body).toContain('sam (Sam O&#39;Brien)');
    // A second and a third attempt the same day (a wrong password counts too) send nothing new.
    await attempt(new Date(day.getTime() + HOUR), 'not-the-password-at-all', '203.0.113.42');
    await attempt(new Date(day.getTime() + 2 * HOUR), TEST_PASSWORD, '203.0.113.42');
    expect(await alertEmails()).toHaveLength(2);
    // The next day, one more to each administrator.
    await attempt(addDays(day, 1), TEST_PASSWORD, '192.0.2.99');
    expect(await alertEmails()).toHaveLength(4);
    const alerts = await db()
      .selectFrom('audit_events')
      .selectAll()
      .where('security_alert', '=', true)
      .orderBy('occurred_at')
      .execute();
    expect(alerts.map((a) => [a.action, a.ip, a.details.username])).toEqual([
      ['sign-in.archived-account', '198.51.100.7', 'sam'],
      ['sign-in.failed', '203.0.113.42', 'sam'],
      ['sign-in.archived-account', '203.0.113.42', 'sam'],
      ['sign-in.archived-account', '192.0.2.99', 'sam'],
    ]);

    // Who sees the alerts page: holders of manage_users or nexus_admin, of their own LA.
    t.clock.set(new Date(addDays(day, 1).getTime() + 2 * HOUR));
    expect((await t.services.securityAlerts.list(await actorOf(nina.id), { page: 1 })).total).toBe(4);
    await expect(t.services.securityAlerts.list(await actorOf(olly.id), { page: 1 })).rejects.toThrow();
    const kentAdmin = await db()
      .selectFrom('accounts')
      .select('id')
      .where('username', '=', 'kent.admin')
      .executeTakeFirstOrThrow();
    expect((await t.services.securityAlerts.list(await actorOf(kentAdmin.id), { page: 1 })).total).toBe(0);
    await expect(t.services.securityAlerts.list(await actorOf(kentAdmin.id), { page: 1, la: '202' })).rejects.toThrow();
    void kent;

    const browser = await signInAs(t, alice);
    const before = await browser.get('/admin/security-alerts');
    expect(before.statusCode).toBe(200);
    expect(before.body).toContain('Sam O&#39;Brien');

    t.clock.advance(5 * 60_000);
    await t.services.userStatus.delete(await actorOf(alice.id), sam.id, ctx());

    // The page: every attempt, with the username and the address, but no longer the name.
    const after = await browser.get('/admin/security-alerts');
    expect(after.statusCode).toBe(200);
    expect(after.body).toContain('4 alerts');
    expect(after.body.match(/>\s*sam<br>/g)).toHaveLength(4);
    expect(after.body.match(/account deleted since/g)).toHaveLength(4);
    for (const ip of ['198.51.100.7', '203.0.113.42', '192.0.2.99']) expect(after.body).toContain(ip);
    expect(after.body).not.toMatch(/O&#39;Brien|O'Brien/);
    // The evidence itself: unchanged but for the actor label.
    const kept = await db()
      .selectFrom('audit_events')
      .selectAll()
      .where('security_alert', '=', true)
      .orderBy('occurred_at')
      .execute();
    expect(kept.map((a) => [a.ip, a.details])).toEqual(alerts.map((a) => [a.ip, a.details]));
    expect(kept.map((a) => a.actor_label)).toEqual([
      'deleted account',
      'deleted account',
      'deleted account',
      'deleted account',
    ]);
    // The alert emails no longer name the person.
    for (const email of await alertEmails()) {
      for (const text of [email.subject, email.text_body, email.html_body]) {
        expect(text).not.toMatch(wholeWord('sam'));
        expect(text).not.toMatch(/O'Brien|O&#39;Brien/);
      }
      expect(email.text_body).toContain(`as ${ERASED} (${ERASED}) from the address`);
    }

    // The digest's security section that week still shows the username and the addresses.
    const digestDay = addDays(day, 2);
    t.clock.set(digestDay);
    await t.services.digest.send({ now: digestDay });
    const digest = await db()
      .selectFrom('email_outbox')
      .selectAll()
      .where('dedup_key', '=', `digest:${alice.id}:${isoWeek(digestDay)}`)
      .executeTakeFirstOrThrow();
    expect(digest.text_body).toContain('sign-in attempt on the archived account sam from 198.51.100.7');
    expect(digest.text_body).toContain('sign-in attempt on the archived account sam from 192.0.2.99');
    expect(digest.text_body).not.toContain("O'Brien");
  });
});

// ---------------------------------------------------------------------------------------------
// Emails that name another account as a contact, an inviter or an actor record the mention, so
// deleting that account finds and erases them.

describe('emails naming another account as contact, inviter or actor', () => {
  it('a lifecycle warning names the administrators as contacts; deleting one erases its name and address from it', async () => {
    const now = new Date('2026-11-17T02:00:00Z');
    const { camden, alice, bob } = await camdenAndKent(now);
    await createAccount(db(), t.config.secretKey, {
      organisationId: camden,
      username: 'ollie',
      lastSignInAt: addMonthsUtc(now, -15),
    });
    await t.services.lifecycle.run({ now });
    const warning = await db()
      .selectFrom('email_outbox')
      .selectAll()
      .where('template', '=', 'inactivity-warning-1')
      .executeTakeFirstOrThrow();
    expect(warning.text_body).toContain('Bob Brennan (bob.brennan@camden.gov.uk)');
    await t.services.userStatus.delete(await actorOf(alice.id), bob.id, ctx());
    const after = await db()
      .selectFrom('email_outbox')
      .selectAll()
      .where('id', '=', warning.id)
      .executeTakeFirstOrThrow();
    expect(after.text_body).not.toContain('Bob Brennan');
    expect(after.text_body).not.toContain('bob.brennan@camden.gov.uk');
    expect(after.text_body).toContain('Alice Adeyemi');
  });

  it('an invitation names the administrator who created the account; deleting them erases their name from it', async () => {
    const { camden, alice, bob } = await camdenAndKent(new Date('2026-11-17T10:00:00Z'));
    await t.services.accounts.createAccount(
      await actorOf(alice.id),
      {
        organisationId: camden,
        username: 'new.person',
        firstName: 'New',
        lastName: 'Person',
        email: 'new.person@camden.gov.uk',
        userType: 'read_only',
      },
      ctx(),
    );
    const invitation = await db()
      .selectFrom('email_outbox')
      .selectAll()
      .where('template', '=', 'invitation')
      .executeTakeFirstOrThrow();
    expect(invitation.text_body).toContain('Alice Adeyemi has created');
    await t.services.userStatus.delete(await actorOf(bob.id), alice.id, ctx());
    const after = await db()
      .selectFrom('email_outbox')
      .selectAll()
      .where('id', '=', invitation.id)
      .executeTakeFirstOrThrow();
    expect(after.text_body).not.toContain('Alice Adeyemi');
    expect(after.text_body).toContain('has created');
  });

  it('a two-factor reset email names the administrator by username; deleting them erases it', async () => {
    const { camden, alice, bob } = await camdenAndKent(new Date('2026-11-17T10:00:00Z'));
    const olly = await createAccount(db(), t.config.secretKey, {
      organisationId: camden,
      username: 'olly.officer',
      lastSignInAt: new Date('2026-11-01T10:00:00Z'),
    });
    await t.services.userStatus.resetTwoFactor(await actorOf(alice.id), olly.id, ctx());
    const email = await db()
      .selectFrom('email_outbox')
      .selectAll()
      .where('template', '=', 'two-factor-reset')
      .executeTakeFirstOrThrow();
    expect(email.text_body).toContain('alice.admin reset');
    await t.services.userStatus.delete(await actorOf(bob.id), alice.id, ctx());
    const after = await db()
      .selectFrom('email_outbox')
      .selectAll()
      .where('id', '=', email.id)
      .executeTakeFirstOrThrow();
    expect(after.text_body).not.toMatch(wholeWord('alice.admin'));
    expect(after.text_body).toContain(' reset');
  });

  it('a digest sent after the deletion shows the alert evidence; the nightly job erases the evidence after its retention, from that digest too', async () => {
    const day = new Date('2026-11-17T09:00:00Z');
    const { camden, alice } = await camdenAndKent(addDays(day, -10));
    const sam = await createAccount(db(), t.config.secretKey, {
      organisationId: camden,
      username: 'sam',
      userType: 'la_officer',
      lastSignInAt: addMonthsUtc(day, -2),
    });
    await t.services.userStatus.archive(await actorOf(alice.id), sam.id, ctx());
    t.clock.set(day);
    await expect(
      t.services.signIn.signInWithPassword({ username: 'sam', password: TEST_PASSWORD }, ctx('198.51.100.7')),
    ).rejects.toThrow();
    await t.services.userStatus.delete(await actorOf(alice.id), sam.id, ctx());
    await t.services.digest.send({ now: addDays(day, 1) });
    const digest = await db()
      .selectFrom('email_outbox')
      .selectAll()
      .where('dedup_key', '=', `digest:${alice.id}:${isoWeek(addDays(day, 1))}`)
      .executeTakeFirstOrThrow();
    expect(digest.text_body).toContain('archived account sam from 198.51.100.7');
    const later = addDays(addMonthsUtc(day, t.config.securityAlertRetentionMonths), 1);
    t.clock.set(later);
    expect((await t.services.lifecycle.run({ now: later })).alertsErased).toBe(1);
    const after = await db()
      .selectFrom('email_outbox')
      .selectAll()
      .where('id', '=', digest.id)
      .executeTakeFirstOrThrow();
    expect(after.text_body).not.toMatch(wholeWord('sam'));
    expect(after.text_body).toContain('from 198.51.100.7');
  });
});
