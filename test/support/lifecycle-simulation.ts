import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Account } from '../../src/data/database.ts';
import type { Actor } from '../../src/domain/access.ts';
import { addDays, addMonthsUtc, wholeMonthsBetween } from '../../src/domain/calendar.ts';
import { inactiveSince } from '../../src/domain/lifecycle.ts';
import { PRIVILEGE_CODES } from '../../src/domain/privileges.ts';
import { formatDate } from '../../src/services/deps.ts';
import { recordSignIn } from '../../src/data/queries/account-queries.ts';
import { refreshLifecycleDue } from '../../src/services/lifecycle/schedule.ts';
import { SYSTEM_CONTEXT } from '../../src/services/request-context.ts';
import { createAccount, createOrganisation } from './fixtures.ts';
import { createTestApp, type TestApp } from './test-app.ts';

/**
 * Issue 10's "must show": three simulated years of nightly runs over a couple of hundred random
 * accounts (month ends, 29 February, sign-ins between warnings, restores, manual archives,
 * single-administrator LAs, access end dates), on the default policy and on 6,7,8 / 9. Every
 * email's stated months and dates are checked against the account's history at the time, and
 * every date shown beforehand — by the preview, the user page, Archived users, the digest and
 * the emails themselves — is checked against the night the job actually acted.
 */

export const START = new Date('2024-01-01T02:00:00Z');
export const YEARS = Number(process.env.SIMULATION_YEARS ?? 3);
const ACCOUNTS = Number(process.env.SIMULATION_ACCOUNTS ?? 200);

/** mulberry32: the same world every run, so a failure can be replayed. */
function prng(seed: number) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let x = state;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4_294_967_296;
  };
}

type Kind = 'warn:warning_1' | 'warn:warning_2' | 'warn:warning_3' | 'archive' | 'delete';

const MONTHS = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];

/** Midday UTC of a date as people read it ("2 February 2027"). */
function dayOf(text: string): Date {
  const [d, month, y] = text.split(' ') as [string, string, string];
  return new Date(Date.UTC(Number(y), MONTHS.indexOf(month), Number(d), 12));
}

interface Prediction {
  date: string;
  madeAt: Date;
  source: string;
}

export async function simulate(t: TestApp, policy: { warningMonths: number[]; archiveMonths: number }) {
  const db = t.handle.db;
  const tz = t.config.lifecycle.timezone;
  const date = (d: Date) => formatDate(d, tz);
  const random = prng(0x5eed + policy.archiveMonths);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const problems: string[] = [];
  const fail = (message: string) => {
    if (problems.length < 25) problems.push(message);
  };

  // The world: six LAs, two of them with a single administrator; central support.
  const central = await createOrganisation(db, 'central', 'NCER Support');
  const support = await createAccount(db, t.config.secretKey, {
    organisationId: central,
    username: 'support',
    userType: 'support',
    lastSignInAt: START,
  });
  const supportActor: Actor = {
    kind: 'account',
    accountId: support.id,
    organisationId: central,
    organisationKind: 'central',
    privileges: new Set(PRIVILEGE_CODES),
    label: 'support',
  };
  const las: { id: number; name: string; admins: number }[] = [];
  for (const [code, name, admins] of [
    ['202', 'Camden', 3],
    ['330', 'Birmingham', 1],
    ['341', 'Liverpool', 2],
    ['886', 'Kent', 2],
    ['919', 'Hertfordshire', 1],
    ['305', 'Bromley', 2],
  ] as const) {
    las.push({ id: await createOrganisation(db, code, name), name, admins });
  }
  type Persona = 'regular' | 'sporadic' | 'gone';
  const persona = new Map<string, Persona>();
  const usernames = new Map<string, string>();
  // Account ends and starts of months, 29 February, and ordinary days, at any time of day.
  const edgeDays = ['01-31', '02-28', '02-29', '03-31', '05-31', '08-31', '10-31', '11-30', '12-31', '06-15', '09-07'];
  const inactiveStart = (): Date => {
    const year = pick([2022, 2022, 2023, 2023]);
    const day =
      random() < 0.5
        ? pick(edgeDays.filter((d) => d !== '02-29' || year % 4 === 0))
        : `${String(1 + Math.floor(random() * 12)).padStart(2, '0')}-${String(1 + Math.floor(random() * 28)).padStart(2, '0')}`;
    return new Date(
      `${year}-${day}T${String(Math.floor(random() * 24)).padStart(2, '0')}:${String(Math.floor(random() * 60)).padStart(2, '0')}:17Z`,
    );
  };
  let n = 0;
  for (const la of las) {
    for (let a = 0; a < la.admins; a++) {
      const since = random() < 0.5 ? inactiveStart() : addDays(START, -Math.floor(random() * 60));
      const acc = await createAccount(db, t.config.secretKey, {
        organisationId: la.id,
        username: `admin${++n}`,
        userType: 'la_admin',
        email: `admin${n}@la${la.id}.gov.uk`,
        firstName: 'Admin',
        lastName: `Number${n}`,
        lastSignInAt: since,
        createdAt: addMonthsUtc(since, -6),
      });
      persona.set(acc.id, random() < 0.5 ? 'sporadic' : 'gone');
      usernames.set(acc.id, acc.username);
    }
  }
  while (n < ACCOUNTS) {
    const la = pick(las);
    const never = random() < 0.12;
    const since = inactiveStart();
    const acc = await createAccount(db, t.config.secretKey, {
      organisationId: la.id,
      username: `user${++n}`,
      userType: pick(['la_officer', 'read_only', 'commissioned', 'school_improvement'] as const),
      email: `user${n}@la${la.id}.gov.uk`,
      firstName: 'User',
      lastName: `Number${n}`,
      lastSignInAt: never ? null : since,
      createdAt: never ? since : addMonthsUtc(since, -3),
    });
    persona.set(acc.id, pick(['regular', 'sporadic', 'sporadic', 'gone', 'gone'] as const));
    usernames.set(acc.id, acc.username);
    // Some commissioned staff with a known contract end (R11).
    if (random() < 0.1)
      await db
        .updateTable('accounts')
        .set({
          access_end_date: addDays(START, 30 + Math.floor(random() * 900))
            .toISOString()
            .slice(0, 10),
        })
        .where('id', '=', acc.id)
        .execute();
  }
  const idOf = new Map([...usernames].map(([id, u]) => [u, id]));
  const laCodes = (await db.selectFrom('organisations').select('la_code').where('kind', '=', 'la').execute()).map(
    (o) => o.la_code!,
  );

  const predictions = new Map<string, Prediction[]>();
  const lastChange = new Map<string, Date>();
  /** `when`: a run, or a date as a page or an email wrote it. */
  const predict = (accountId: string, kind: Kind, when: Date | string, madeAt: Date, source: string) => {
    const key = `${accountId}|${kind}`;
    predictions.set(key, [
      ...(predictions.get(key) ?? []),
      { date: typeof when === 'string' ? when : date(when), madeAt, source },
    ]);
  };
  const changed = (accountId: string, at: Date) => lastChange.set(accountId, at);
  const valid = (accountId: string, p: Prediction) =>
    !(lastChange.get(accountId) && lastChange.get(accountId)! >= p.madeAt);
  const stats = { runs: 0, events: 0, emails: 0, checkedPredictions: 0, signIns: 0, restores: 0, manualArchives: 0 };
  /** Where the simulation's time goes (printed, never asserted). */
  const ms = { job: 0, checks: 0, digest: 0, daytime: 0, announcements: 0 };
  const timed = async <T>(phase: keyof typeof ms, work: () => Promise<T>): Promise<T> => {
    const started = performance.now();
    try {
      return await work();
    } finally {
      ms[phase] += performance.now() - started;
    }
  };

  const row = (id: string) => db.selectFrom('accounts').selectAll().where('id', '=', id).executeTakeFirst();
  const activeAdmins = async (organisationId: number) =>
    await db
      .selectFrom('accounts')
      .innerJoin('account_privileges', 'account_privileges.account_id', 'accounts.id')
      .select(['accounts.id', 'accounts.email'])
      .where('accounts.organisation_id', '=', organisationId)
      .where('accounts.status', '=', 'active')
      .where('account_privileges.privilege', '=', 'manage_users')
      .execute();

  /** Checks the sentences of one email written by the run at `at`, and records the dates it announces. */
  async function checkEmail(
    mail: { template: string; account_id: string | null; text_body: string; subject: string; id: string },
    at: Date,
  ) {
    stats.emails++;
    const mentioned = (
      await db.selectFrom('email_mentions').select('account_id').where('email_id', '=', mail.id).execute()
    ).map((m) => m.account_id);
    const subjectId =
      mail.template.startsWith('inactivity-warning') ||
      mail.template === 'archived-inactivity' ||
      mail.template === 'access-ended'
        ? mail.account_id!
        : mentioned[0]!;
    const account = await row(subjectId);
    if (!account) return fail(`${mail.template}: no account ${subjectId}`);
    const since = inactiveSince({
      createdAt: account.created_at,
      lastSignInAt: account.last_sign_in_at,
      restoredAt: account.restored_at,
    });
    const months = wholeMonthsBetween(since, at);
    const where = `${mail.template} to ${account.username} on ${date(at)}`;
    const expectText = (text: string) => {
      if (!mail.text_body.includes(text)) fail(`${where}: expected "${text}" in:\n${mail.text_body}`);
    };
    const announced = (re: RegExp, kind: Kind) => {
      const m = re.exec(mail.text_body);
      if (!m) return fail(`${where}: no date matching ${re}`);
      predict(account.id, kind, m[1]!, at, where);
    };
    const ago = `${months} ${months === 1 ? 'month' : 'months'}`;
    if (mail.template.startsWith('inactivity-warning')) {
      expectText(`${date(since)}, ${ago} ago`);
      expectText(`nobody signs in to for ${policy.archiveMonths} months.`);
      announced(/this account will be archived on (\d{1,2} \w+ \d{4})\./, 'archive');
      await checkContacts(mail.text_body, account, where);
    } else if (mail.template === 'archived-inactivity' || mail.template === 'access-ended') {
      expectText(`was archived on ${date(at)} because`);
      if (mail.template === 'archived-inactivity') expectText(`since ${date(since)} (${ago})`);
      else expectText(`its access end date, ${date(new Date(`${account.access_end_date}T12:00:00Z`))}, was reached`);
      announced(/restore the account before (\d{1,2} \w+ \d{4}), when it will be deleted/, 'delete');
      await checkContacts(mail.text_body, account, where);
    } else if (mail.template === 'admin-at-risk') {
      if (mail.subject.includes('will be archived')) {
        expectText(`${date(since)}, ${ago} ago`);
        announced(/It will be archived on (\d{1,2} \w+ \d{4}) unless it is used\./, 'archive');
        if (/restore it from Archived users|no action is needed/.test(mail.text_body)) fail(`${where}: old advice`);
      } else {
        expectText(`was archived on ${date(at)} because`);
        announced(/before (\d{1,2} \w+ \d{4}), when it will be deleted/, 'delete');
        if (mail.text_body.includes('ask its holder to sign in'))
          fail(`${where}: tells to sign in to an archived account`);
      }
    } else if (mail.template === 'access-ended-admin') {
      expectText(`so the account was archived on ${date(at)}.`);
      announced(/before (\d{1,2} \w+ \d{4}), when it will be deleted/, 'delete');
    }
  }

  /** R35: the contacts named are the administrators active after the run (never the person), else central support. */
  async function checkContacts(body: string, account: Account, where: string) {
    const admins = (await activeAdmins(account.organisation_id))
      .filter((a) => a.id !== account.id)
      .map((a) => a.email)
      .sort();
    const listed = [...body.matchAll(/^- .*\(([^)]+@[^)]+)\)/gm)].map((m) => m[1]!).sort();
    const expected = admins.length > 0 ? admins : [t.config.supportEmail];
    if (JSON.stringify(listed) !== JSON.stringify(expected))
      fail(`${where}: contacts ${listed.join(', ')}; expected ${expected.join(', ')}`);
  }

  /** What the pages, the preview and the digest announce, as predictions to be checked against the job. */
  async function collectAnnouncements(now: Date) {
    // The preview of every LA (the function /admin/lifecycle and the API call), Archived users of each LA.
    for (const e of await t.services.lifecycle.preview({ now, days: 30 })) {
      predict(
        e.accountId,
        e.event.kind === 'warn' ? `warn:${e.event.stage}` : e.event.kind,
        e.date,
        now,
        `preview ${date(now)}`,
      );
    }
    for (const code of laCodes) {
      const archived = await t.services.directory.archived(supportActor, code);
      for (const r of archived.rows)
        if (r.deleteAt) predict(r.id, 'delete', r.deleteAt, now, `Archived users ${date(now)}`);
    }
    // The user page of a few accounts.
    for (const id of [...usernames.keys()].filter(() => random() < 8 / ACCOUNTS)) {
      const user = await t.services.users.view(supportActor, id).catch(() => undefined);
      if (!user) continue;
      const o = user.lifecycle;
      if (o.next)
        predict(
          id,
          o.next.event.kind === 'warn' ? `warn:${o.next.event.stage}` : o.next.event.kind,
          o.next.at,
          now,
          `user page ${date(now)}`,
        );
      if (o.archiveAt) predict(id, 'archive', o.archiveAt, now, `user page ${date(now)}`);
      if (o.deleteAt) predict(id, 'delete', o.deleteAt, now, `user page ${date(now)}`);
    }
  }

  async function checkDigests(now: Date) {
    const sent = await t.services.digest.send({ now });
    if (sent.sent === 0) return;
    const digests = await db
      .selectFrom('email_outbox')
      .select(['text_body', 'to_address'])
      .where('template', '=', 'admin-digest')
      .where('created_at', '=', now)
      .execute();
    for (const d of digests) {
      const body = d.text_body;
      const lines = (title: string) => {
        const start = body.indexOf(title);
        const rest = body.slice(start + title.length).replace(/^\n\n/, '');
        return rest.startsWith('None.') ? [] : rest.split('\n\n')[0]!.split('\n');
      };
      for (const [title, kind] of [
        ['Accounts due to be archived in the next 30 days:', 'archive'],
        ['Deletions scheduled in the next 30 days:', 'delete'],
      ] as const) {
        const seen = new Set<string>();
        for (const line of lines(title)) {
          const m = /\(([a-z0-9]+)\): (\d{1,2} \w+ \d{4})/.exec(line);
          if (!m) {
            fail(`digest ${date(now)}: unreadable line "${line}"`);
            continue;
          }
          if (seen.has(m[1]!)) fail(`digest ${date(now)}: ${m[1]} twice in "${title}"`);
          seen.add(m[1]!);
          const id = idOf.get(m[1]!);
          if (id) predict(id, kind, m[2]!, now, `digest ${date(now)}`);
        }
      }
      for (const line of lines('Accounts warned this week:')) {
        const m = /\(([a-z0-9]+)\): .*will be archived on (\d{1,2} \w+ \d{4})/.exec(line);
        const id = m ? idOf.get(m[1]!) : undefined;
        if (!m || !id) {
          fail(`digest ${date(now)}: unreadable warned line "${line}"`);
          continue;
        }
        predict(id, 'archive', m[2]!, now, `digest ${date(now)}`);
      }
      for (const line of lines('Accounts not signed in for 12 months or more:')) {
        if (!/^- .+ \([a-z0-9]+\): (last signed in|has never signed in|restored)/.test(line))
          fail(`digest ${date(now)}: inactive line "${line}"`);
      }
    }
  }

  /** Compares what happened at run `at` with everything announced for it. */
  function settle(accountId: string, kind: Kind, at: Date) {
    stats.events++;
    const key = `${accountId}|${kind}`;
    for (const p of predictions.get(key) ?? []) {
      if (!valid(accountId, p)) continue;
      stats.checkedPredictions++;
      if (p.date !== date(at))
        fail(`${usernames.get(accountId)} ${kind}: ${p.source} said ${p.date}, the job acted on ${date(at)}`);
    }
    predictions.delete(key);
  }

  const runs = t.services.schedule.runs;
  let at = runs.nextRunAtOrAfter(START);
  const end = addMonthsUtc(START, YEARS * 12);
  let day = 0;
  while (at < end) {
    // Night: the job's run. What it writes is checked at once.
    t.clock.set(at);
    const before = new Date(at.getTime() - 1);
    const result = await timed('job', () => t.services.lifecycle.run({ now: at }));
    stats.runs++;
    if (result.failures.length > 0) fail(`run ${at.toISOString()}: failures ${JSON.stringify(result.failures)}`);
    const mails = await db
      .selectFrom('email_outbox')
      .select(['id', 'template', 'account_id', 'text_body', 'subject'])
      .where('created_at', '>', before)
      .where('created_at', '<=', at)
      .execute();
    await timed('checks', async () => {
      for (const mail of mails) await checkEmail(mail, at);
    });
    for (const item of result.items) {
      const kind: Kind =
        item.action === 'warn'
          ? (`warn:warning_${item.detail.startsWith('first') ? 1 : item.detail.startsWith('second') ? 2 : 3}` as Kind)
          : item.action;
      settle(item.accountId, kind, at);
    }
    // Anything announced for a night now past, and not done, was announced wrongly.
    for (const [key, list] of predictions) {
      const [accountId] = key.split('|') as [string];
      for (const p of list) {
        if (valid(accountId, p) && dayOf(p.date).getTime() < at.getTime() - 86_400_000)
          fail(`${usernames.get(accountId)} ${key.split('|')[1]}: ${p.source} said ${p.date}; nothing happened`);
      }
      predictions.set(
        key,
        list.filter((p) => valid(accountId, p) && dayOf(p.date).getTime() >= at.getTime() - 86_400_000),
      );
    }

    // The weekly digest, on Monday mornings (every fourth week is checked, to keep the run short).
    const morning = new Date(at.getTime() + 5 * 3_600_000);
    if (morning.getUTCDay() === 1 && Math.floor(day / 7) % 4 === 0) {
      t.clock.set(morning);
      await timed('digest', () => checkDigests(morning));
    }

    // Daytime: people sign in, administrators restore and archive; the pages say what comes next.
    const noon = new Date(at.getTime() + 9 * 3_600_000 + Math.floor(random() * 6) * 3_600_000);
    t.clock.set(noon);
    const daytimeStarted = performance.now();
    const rows = await db
      .selectFrom('accounts')
      .select(['id', 'status', 'organisation_id'])
      .where('username', '!=', 'support')
      // In a fixed order (the ids are random): the seeded draws below meet the same accounts every run.
      // Byte order: sorting by the case-insensitive column itself cost about 8 ms a day in PGlite.
      .orderBy(sql`username::text COLLATE "C"`)
      .execute();
    // The day's sign-ins, all at noon, are written together: one transaction with what recordSignInAt
    // does for each (the sign-in time, then the next-event time of every account signed in), written
    // before any archive or restore of the same day so that each meets the accounts as before.
    let signingIn: string[] = [];
    const writeSignIns = async () => {
      if (signingIn.length === 0) return;
      const ids = signingIn;
      signingIn = [];
      await db.transaction().execute(async (trx) => {
        for (const id of ids) await recordSignIn(trx, id, noon);
        await refreshLifecycleDue(trx, t.services.schedule, ids);
      });
    };
    for (const r of rows) {
      const p = persona.get(r.id);
      if (r.status === 'active') {
        const chance = p === 'regular' ? 1 / 30 : p === 'sporadic' ? 1 / 420 : 0;
        if (random() < chance) {
          signingIn.push(r.id);
          changed(r.id, noon);
          stats.signIns++;
        } else if (random() < 1 / 4000) {
          await writeSignIns();
          const done = await t.services.userStatus.archive(supportActor, r.id, SYSTEM_CONTEXT).then(
            () => true,
            () => false,
          );
          if (done) {
            changed(r.id, noon);
            stats.manualArchives++;
          }
        }
      } else if (random() < 1 / 150) {
        await writeSignIns();
        await t.services.userStatus.restore(supportActor, r.id, SYSTEM_CONTEXT);
        changed(r.id, noon);
        // Restored people mostly come back for a while.
        if (random() < 0.6) persona.set(r.id, 'regular');
        stats.restores++;
      }
    }
    await writeSignIns();
    ms.daytime += performance.now() - daytimeStarted;
    if (day % 14 === 3) await timed('announcements', () => collectAnnouncements(noon));

    at = runs.nextRunAtOrAfter(new Date(noon.getTime() + 1));
    day++;
  }
  return {
    problems,
    stats: { ...stats, ms: Object.fromEntries(Object.entries(ms).map(([k, v]) => [k, Math.round(v)])) },
  };
}

/**
 * The suite of one policy: three simulated years (SIMULATION_YEARS) from START, every problem
 * found listed, and proof that the simulation exercised what it claims to. One file a policy, so
 * that the two run side by side.
 */
export function simulationSuite(
  title: string,
  env: Record<string, string>,
  policy: { warningMonths: number[]; archiveMonths: number },
) {
  describe(`three simulated years of nightly runs: ${title}`, () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await createTestApp({ now: START.toISOString(), env: { ...env, SUPPORT_EMAIL: 'help@ncer.example' } });
    });
    afterAll(async () => t?.close());

    it('every email states the true months and dates, and every date announced beforehand is the night the job acted', async () => {
      const { problems, stats } = await simulate(t, policy);
      console.info(`simulation (${title}):`, stats);
      expect(problems).toEqual([]);
      expect(stats.runs).toBeGreaterThanOrEqual(365 * YEARS);
      expect(stats.emails).toBeGreaterThan(150 * YEARS);
      expect(stats.checkedPredictions).toBeGreaterThan(500 * YEARS);
      expect(stats.signIns).toBeGreaterThan(300 * YEARS);
      expect(stats.restores).toBeGreaterThan(10 * YEARS);
      const kinds = await t.handle.db.selectFrom('audit_events').select('action').distinct().execute();
      expect(kinds.map((k) => k.action)).toEqual(
        expect.arrayContaining([
          'lifecycle.warning-sent',
          'account.archived',
          'account.deleted',
          'lifecycle.admin-alert',
          'account.restored',
        ]),
      );
    }, 1_500_000);
  });
}
