import { sql, type RawBuilder } from 'kysely';
import type { Db, Executor } from '../../src/data/database.ts';
import { addDays, addMonthsUtc, dateIn } from '../../src/domain/calendar.ts';
import { dueAction, nextDueAt } from '../../src/domain/lifecycle.ts';
import { loadHistories, policyFingerprint, type LifecycleSchedule } from '../../src/services/lifecycle/schedule.ts';

/**
 * Data for `npm run bench:lifecycle`, made in SQL (`generate_series`), deterministic: account i
 * has the same id, LA, name and history in every database, so "the same 10,000 due" are the same
 * accounts at 1,000,000 and at 100,000 and on PGlite.
 *
 * Every account gets `lifecycle_due_at` = what the pure `nextDueAt` gives for it (computed here in
 * SQL with the same calendar rules, then checked against `nextDueAt` in `checkGenerated`), and the
 * policy fingerprint is stored: the database is as it stands on an ordinary night, not on the first
 * night after the migration.
 */

export interface Population {
  /** Accounts in all. */
  total: number;
  /** Accounts due tonight: the first warning (inactive just over the first warning month). */
  due: number;
  /** Local Authorities, each with 2 administrators. */
  las: number;
}

/** How the accounts that are not due are spread (fractions of the rest), written into the README. */
export const MIX = [
  { kind: 'archived_manual', upTo: 0.005, text: '0.5% archived by hand, deleted 30 days later' },
  { kind: 'archived_inactivity', upTo: 0.03, text: '2.5% archived for inactivity, deleted 18 months later' },
  {
    kind: 'warned',
    upTo: 0.06,
    text: '3% already warned once, twice or three times in their current period (their notices stored)',
  },
  { kind: 'access_end', upTo: 0.08, text: '2% with an access end date in the next year' },
  { kind: 'never', upTo: 0.1, text: '2% created in the last 15 months and never signed in' },
  { kind: 'restored', upTo: 0.11, text: '1% restored in the last 15 months' },
  { kind: 'recent', upTo: 1, text: 'the rest signed in within the last 15 months, most of them recently' },
] as const;

const FIRST = [
  'Amira',
  'Ben',
  'Chloe',
  'Dev',
  'Ella',
  'Femi',
  'Grace',
  'Hamza',
  'Isla',
  'Jack',
  'Kofi',
  'Lena',
  'Maya',
  'Nia',
  'Omar',
  'Priya',
  'Quinn',
  'Rosa',
  'Sam',
  'Tariq',
];
const LAST = [
  'Khan',
  'Smith',
  'Patel',
  'Jones',
  'Adeyemi',
  'Taylor',
  'Ali',
  'Brown',
  'Wilson',
  'Evans',
  'Okafor',
  'Murphy',
  'Hughes',
  'Wright',
  'Chen',
  'Green',
  'Hall',
  'Wood',
  'Clarke',
  'Lewis',
];
/** Stored as the real rows store them, so that a row is as wide as a real one (never used to sign in). */
const PASSWORD_HASH =
  '$argon2id$v=19$m=19456,t=2,p=1$YmVuY2htYXJrc2FsdHNhbHQ$0N6Ma0cYdTPcQ0UohYlqhm1dwvIIWlwy6SD81S0J8Ww';
const TOTP_SECRET = 'v1.bench-not-a-real-secret.aGVsbG8gYmVuY2htYXJrIHRvdHAgc2VjcmV0IGJveCBjaXBoZXJ0ZXh0';

export const laCode = (index: number) => String(201 + index);

/** A deterministic fraction in [0, 1) for row `i` (SQL), one independent stream per salt (PostgreSQL's own integer hash). */
function frac(salt: number): RawBuilder<number> {
  return sql<number>`((hashint8(i::bigint * 16 + ${salt}::int)::float8 + 2147483648) / 4294967296)`;
}

/** `addMonthsUtc` in SQL: calendar months in UTC, the day clamped to the month's end, the time of day kept. */
function monthsAfter(instant: RawBuilder<unknown>, months: number | RawBuilder<number>): RawBuilder<Date> {
  return sql<Date>`((((${instant}) AT TIME ZONE 'UTC') + make_interval(months => (${months})::int)) AT TIME ZONE 'UTC')`;
}

const ts = (d: Date) => sql<Date>`${d.toISOString()}::timestamptz`;
/** Whole seconds: the service reads instants as JavaScript Dates (milliseconds), so no generated instant may carry microseconds. */
const seconds = (n: RawBuilder<number> | number) => sql<string>`make_interval(secs => round(${n})::float8)`;

/**
 * Organisations, accounts, their privileges (each Type of User's defaults), the notices of the
 * accounts already warned, the stored next-event times and the policy fingerprint. One connection
 * (a temporary table holds the generated rows).
 */
export async function generate(
  db: Db,
  population: Population,
  now: Date,
  schedule: LifecycleSchedule,
  log: (message: string) => void = () => {},
): Promise<void> {
  const { total, due, las } = population;
  const { policy, retention } = schedule;
  const [w1, w2, w3] = policy.warningMonths;
  const archive = policy.archiveMonths;
  const noticeHours = policy.minimumNoticeDays * 24;
  const stageMonths = [w1, w2, w3, archive];
  // The first warning falls due within the last 23 hours for the accounts due tonight.
  const dueFrom = addMonthsUtc(now, -w1);
  // Not due: inactive for less than the first warning month, with a day to spare.
  const recentSpan = (now.getTime() - addMonthsUtc(now, -w1).getTime()) / 1000 - 2 * 86_400;
  // Warned k times: between the k-th warning month and the next stage, a day from either end.
  const warnedFrom = [1, 2, 3].map((k) => addDays(addMonthsUtc(now, -stageMonths[k]!), 1));
  const warnedSpan = [1, 2, 3].map(
    (k) =>
      (addMonthsUtc(now, -stageMonths[k - 1]!).getTime() - addMonthsUtc(now, -stageMonths[k]!).getTime()) / 1000 -
      2 * 86_400,
  );
  const archivedSpan =
    (now.getTime() - addMonthsUtc(now, -retention.automaticRetentionMonths).getTime()) / 1000 - 2 * 86_400;
  const today = dateIn(now, policy.timezone);
  const kinds = sql.join(
    MIX.map((m) => sql`WHEN f1 < ${m.upTo} THEN ${m.kind}`),
    sql` `,
  );

  let t = performance.now();
  const step = (what: string) => {
    log(`  ${what}: ${((performance.now() - t) / 1000).toFixed(1)} s`);
    t = performance.now();
  };
  await db.connection().execute(async (conn) => {
    // Generated consistent: the foreign-key triggers (millions of one-row checks) are off while it is written.
    await sql`SET session_replication_role = replica`.execute(conn);
    // For this session only (the measured runs use the server's own settings): room to sort and build in memory.
    for (const setting of [
      'jit = off',
      "work_mem = '256MB'",
      "maintenance_work_mem = '512MB'",
      "temp_buffers = '512MB'",
    ]) {
      await sql.raw(`SET ${setting}`).execute(conn);
    }
    await sql`
      INSERT INTO organisations (kind, la_code, name, created_at)
      SELECT 'la', (201 + n)::text, 'Local Authority ' || (201 + n)::text, '2020-01-01T00:00:00Z'::timestamptz
      FROM generate_series(0, ${las - 1}::int) AS n`.execute(conn);

    // Layer 1: what kind of account row i is, its LA and its random draws.
    // (OFFSET 0 keeps each layer a layer: inlined, every use of a column would repeat its expression.)
    // Layer 2: its history (inactive since, sign-in, creation, restore, archive, access end).
    // Layer 3: its next-event time, as nextDueAt computes it.
    await sql`
      CREATE TEMP TABLE bench_gen AS
      WITH base AS (
        SELECT i, md5('nexus-bench-account-' || i::text)::uuid AS id,
          CASE WHEN i <= ${due}::int THEN 'due' WHEN i <= ${due + 2 * las}::int THEN 'admin' ELSE CASE ${kinds} END END AS kind,
          CASE WHEN i <= ${due}::int THEN (i - 1) % ${las}::int WHEN i <= ${due + 2 * las}::int THEN (i - ${due}::int - 1) % ${las}::int
            ELSE least(floor(f5 * ${las}::int)::int, ${las - 1}::int) END AS la,
          f2, f3, f4
        FROM generate_series(1, ${total}::int) AS i,
          LATERAL (SELECT ${frac(1)} AS f1, ${frac(2)} AS f2, ${frac(3)} AS f3, ${frac(4)} AS f4, ${frac(5)} AS f5 OFFSET 0) AS draws
        OFFSET 0
      ),
      history AS (
        SELECT *,
          CASE kind
            WHEN 'due' THEN ${ts(dueFrom)} - ${seconds(sql`60 + f2 * 82000`)}
            WHEN 'admin' THEN ${ts(now)} - ${seconds(sql`f2 * 30 * 86400`)}
            WHEN 'warned' THEN CASE WHEN f4 < 1.0 / 3 THEN ${ts(warnedFrom[0]!)} + ${seconds(sql`f2 * ${warnedSpan[0]}`)}
              WHEN f4 < 2.0 / 3 THEN ${ts(warnedFrom[1]!)} + ${seconds(sql`f2 * ${warnedSpan[1]}`)}
              ELSE ${ts(warnedFrom[2]!)} + ${seconds(sql`f2 * ${warnedSpan[2]}`)} END
            WHEN 'archived_inactivity' THEN NULL
            WHEN 'archived_manual' THEN ${ts(now)} - ${seconds(sql`60 + f4 * 29 * 86400 + f2 * 200 * 86400`)}
            ELSE ${ts(now)} - ${seconds(sql`f2 * f2 * ${recentSpan}`)}
          END AS since,
          CASE WHEN kind = 'warned' THEN 1 + least(floor(f4 * 3)::int, 2) ELSE 0 END AS warnings,
          CASE kind
            WHEN 'archived_inactivity' THEN ${ts(now)} - ${seconds(sql`60 + f2 * ${archivedSpan}`)}
            WHEN 'archived_manual' THEN ${ts(now)} - ${seconds(sql`60 + f4 * 29 * 86400`)}
          END AS archived_at,
          CASE WHEN kind = 'access_end' THEN ${today}::date + (1 + floor(f4 * 365))::int END AS access_end_date,
          CASE WHEN kind = 'admin' THEN 'la_admin' WHEN kind = 'due' THEN 'la_officer'
            WHEN f3 < 0.6 THEN 'la_officer' WHEN f3 < 0.8 THEN 'read_only' WHEN f3 < 0.9 THEN 'school_improvement' ELSE 'commissioned' END AS user_type
        FROM base OFFSET 0
      ),
      shaped AS (
        SELECT id, i, la, kind, user_type, warnings, access_end_date, archived_at,
          CASE WHEN archived_at IS NULL THEN 'active' ELSE 'archived' END AS status,
          CASE kind WHEN 'archived_inactivity' THEN 'inactivity' WHEN 'archived_manual' THEN 'manual' END AS archive_reason,
          CASE kind
            WHEN 'archived_inactivity' THEN ${monthsAfter(sql`archived_at`, retention.automaticRetentionMonths)}
            WHEN 'archived_manual' THEN archived_at + make_interval(hours => ${retention.manualRetentionDays * 24}::int)
          END AS deletion_due_at,
          CASE kind
            WHEN 'never' THEN NULL WHEN 'restored' THEN since - interval '400 days'
            WHEN 'archived_inactivity' THEN ${monthsAfter(sql`archived_at`, -archive)}
            ELSE since END AS last_sign_in_at,
          CASE kind
            WHEN 'never' THEN since
            WHEN 'archived_inactivity' THEN ${monthsAfter(sql`archived_at`, -archive)} - ${seconds(sql`86400 * (30 + f3 * 2000)`)}
            ELSE coalesce(since, archived_at) - ${seconds(sql`86400 * (500 + f3 * 2000)`)} END AS created_at,
          CASE WHEN kind = 'restored' THEN since END AS restored_at,
          since
        FROM history OFFSET 0
      )
      SELECT *,
        CASE WHEN status = 'archived' THEN deletion_due_at
          ELSE (SELECT CASE WHEN access_end_date IS NOT NULL AND (access_end_date::timestamp AT TIME ZONE ${policy.timezone}) < inactivity
                  THEN access_end_date::timestamp AT TIME ZONE ${policy.timezone} ELSE inactivity END
                FROM (SELECT CASE warnings
                  WHEN 0 THEN ${monthsAfter(sql`since`, w1)}
                  WHEN 1 THEN ${monthsAfter(sql`since`, w2)}
                  WHEN 2 THEN ${monthsAfter(sql`since`, w3)}
                  ELSE greatest(${monthsAfter(sql`since`, archive)}, ${monthsAfter(sql`since`, w3)} + interval '2 hours' + make_interval(hours => ${noticeHours}::int))
                END AS inactivity) AS x)
        END AS due_at
      FROM shaped`.execute(conn);
    step(`${total} rows drawn`);

    // Secondary indexes are built once after the rows are in (far quicker than a million one-row
    // updates of each); the same definitions, read from the catalogue, so the schema is the migrated one.
    const indexes = (
      await sql<{ name: string; definition: string }>`
      SELECT i.relname AS name, pg_get_indexdef(i.oid) AS definition
      FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid
      WHERE t.relname IN ('accounts', 'account_privileges', 'lifecycle_notices') AND t.relnamespace = 'public'::regnamespace
        AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)`.execute(conn)
    ).rows;
    for (const index of indexes) await sql`DROP INDEX ${sql.id(index.name)}`.execute(conn);
    const first = sql.raw(`(ARRAY[${FIRST.map((n) => `'${n}'`).join(',')}])`);
    const last = sql.raw(`(ARRAY[${LAST.map((n) => `'${n}'`).join(',')}])`);
    await sql`
      INSERT INTO accounts (id, organisation_id, username, first_name, last_name, email, user_type, status, password_hash, password_changed_at,
        totp_secret, totp_enrolled_at, last_sign_in_at, created_at, restored_at, archived_at, archive_reason, deletion_due_at, access_end_date,
        updated_at, lifecycle_due_at)
      SELECT g.id, o.id, n.username, n.first_name, n.last_name, n.username || '@la' || o.la_code || '.example.gov.uk', g.user_type, g.status,
        ${PASSWORD_HASH}, g.created_at, ${TOTP_SECRET}, g.created_at, g.last_sign_in_at, g.created_at, g.restored_at, g.archived_at,
        g.archive_reason, g.deletion_due_at, g.access_end_date, coalesce(g.archived_at, g.restored_at, g.created_at), g.due_at
      FROM bench_gen g
      JOIN organisations o ON o.la_code = (201 + g.la)::text
      CROSS JOIN LATERAL (SELECT ${first}[1 + g.i % ${FIRST.length}::int] AS first_name, ${last}[1 + (g.i / ${FIRST.length}::int) % ${LAST.length}::int] AS last_name) AS nm
      CROSS JOIN LATERAL (SELECT nm.first_name, nm.last_name, lower(nm.first_name || '.' || nm.last_name) || '.' || g.i::text AS username) AS n
      ORDER BY g.id`.execute(conn);
    step('accounts written');
    await sql`
      INSERT INTO account_privileges (account_id, privilege)
      SELECT g.id, d.privilege FROM bench_gen g JOIN user_type_defaults d ON d.user_type = g.user_type ORDER BY g.id, d.privilege`.execute(
      conn,
    );
    step('privileges written');
    await sql`
      INSERT INTO lifecycle_notices (account_id, period_start, stage, sent_at)
      SELECT g.id, g.since, 'warning_' || j::text,
        ${monthsAfter(sql`g.since`, sql`(ARRAY[${w1}::int, ${w2}::int, ${w3}::int])[j]`)} + interval '2 hours'
      FROM bench_gen g CROSS JOIN LATERAL generate_series(1, g.warnings) AS j
      WHERE g.warnings > 0`.execute(conn);
    step('notices written');
    const slow: string[] = [];
    for (const index of indexes) {
      const t0 = performance.now();
      await sql.raw(index.definition).execute(conn);
      const seconds = (performance.now() - t0) / 1000;
      if (seconds >= 5) slow.push(`${index.name} ${seconds.toFixed(0)} s`);
    }
    step(`${indexes.length} secondary indexes built${slow.length ? ` (${slow.join(', ')})` : ''}`);
    await sql`CREATE TABLE bench_due_original (id uuid PRIMARY KEY, due_at timestamptz)`.execute(conn);
    await sql`INSERT INTO bench_due_original SELECT id, due_at FROM bench_gen WHERE due_at <= ${ts(now)}`.execute(conn);
    await sql`DROP TABLE bench_gen`.execute(conn);
    await sql`RESET session_replication_role`.execute(conn);
    await conn
      .insertInto('lifecycle_policy')
      .values({ id: true, fingerprint: policyFingerprint(schedule), changed_at: now })
      .onConflict((oc) => oc.column('id').doUpdateSet({ fingerprint: policyFingerprint(schedule), changed_at: now }))
      .execute();
    await sql`VACUUM (ANALYZE)`.execute(conn);
    step('VACUUM (ANALYZE)');
    await sql`CHECKPOINT`.execute(conn);
    step('CHECKPOINT');
  });
}

export interface Fingerprint {
  accounts: number;
  dueNow: number;
  /** Sum of the stored next-event times (seconds): any account whose time changed changes it. */
  dueSum: string;
  nulls: number;
}

/** What must be back after every reset: the accounts, those due, and every stored next-event time. */
export async function stateFingerprint(db: Executor, now: Date): Promise<Fingerprint> {
  const row = await sql<{ accounts: string; due_now: string; due_sum: string | null; nulls: string }>`
    SELECT count(*) AS accounts, count(*) FILTER (WHERE lifecycle_due_at <= ${ts(now)}) AS due_now,
      sum(extract(epoch FROM lifecycle_due_at))::text AS due_sum, count(*) FILTER (WHERE lifecycle_due_at IS NULL) AS nulls
    FROM accounts`.execute(db);
  const r = row.rows[0]!;
  return { accounts: Number(r.accounts), dueNow: Number(r.due_now), dueSum: r.due_sum ?? '0', nulls: Number(r.nulls) };
}

/**
 * Checks the generated next-event times against the pure `nextDueAt`, and that exactly the due
 * accounts have something due (`dueAction`): every account when `everyAccount`, else the due ones
 * and a sixteenth of the rest (ids starting with 0). Returns the number of accounts checked.
 */
export async function checkGenerated(
  db: Db,
  now: Date,
  schedule: LifecycleSchedule,
  expectedDue: number,
  everyAccount: boolean,
): Promise<number> {
  let query = db.selectFrom('accounts').select('id');
  if (!everyAccount)
    query = query.where((eb) =>
      eb.or([eb('lifecycle_due_at', '<=', now), eb(sql<string>`left(id::text, 1)`, '=', '0')]),
    );
  const ids = (await query.orderBy('id').execute()).map((r) => r.id);
  let due = 0;
  for (let i = 0; i < ids.length; i += 1000) {
    const { accounts, histories } = await loadHistories(db, ids.slice(i, i + 1000));
    for (const account of accounts) {
      const history = histories.get(account.id)!;
      const expected = nextDueAt(history, schedule.policy)?.getTime() ?? null;
      const stored = account.lifecycle_due_at?.getTime() ?? null;
      if (expected !== stored) {
        throw new Error(
          `generated data: ${account.username} stores lifecycle_due_at ${account.lifecycle_due_at?.toISOString()}, nextDueAt gives ${expected === null ? null : new Date(expected).toISOString()}`,
        );
      }
      const action = dueAction(history, schedule.policy, now);
      if (action.kind !== 'none') {
        if (action.kind !== 'warn' || action.stage !== 'warning_1' || stored === null || stored > now.getTime()) {
          throw new Error(
            `generated data: ${account.username} has ${JSON.stringify(action)} due, stored ${account.lifecycle_due_at?.toISOString()}`,
          );
        }
        due++;
      } else if (stored !== null && stored <= now.getTime()) {
        throw new Error(`generated data: ${account.username} stores a time due tonight but has nothing due`);
      }
    }
  }
  if (due !== expectedDue)
    throw new Error(`generated data: ${due} accounts have a first warning due, expected ${expectedDue}`);
  return ids.length;
}

/**
 * Puts the database back as generated after a run at `now`: the notices, emails and audit events
 * written at `now` go, and the due accounts get their next-event time back. VACUUM, so that the
 * next round meets no dead rows.
 */
export async function resetAfterRun(db: Db, now: Date): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await sql`DELETE FROM email_mentions WHERE email_id IN (SELECT id FROM email_outbox WHERE created_at = ${ts(now)})`.execute(
      trx,
    );
    await sql`DELETE FROM email_outbox WHERE created_at = ${ts(now)}`.execute(trx);
    await sql`DELETE FROM audit_events WHERE occurred_at = ${ts(now)}`.execute(trx);
    await sql`DELETE FROM lifecycle_notices WHERE sent_at = ${ts(now)}`.execute(trx);
    await sql`DELETE FROM job_runs WHERE as_of = ${ts(now)}`.execute(trx);
    await sql`
      UPDATE accounts SET lifecycle_due_at = o.due_at FROM bench_due_original o
      WHERE accounts.id = o.id AND accounts.lifecycle_due_at IS DISTINCT FROM o.due_at`.execute(trx);
  });
  await settle(db);
}

/** What autovacuum does between two nights (the tables a run writes): no dead rows, fresh statistics. */
export async function settle(db: Db): Promise<void> {
  await sql`VACUUM (ANALYZE) accounts, lifecycle_notices, email_outbox, email_mentions, audit_events`.execute(db);
}

/** As after the migration: no stored times, no policy recorded (for the one-off first run). */
export async function forgetSchedule(db: Db): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await sql`UPDATE accounts SET lifecycle_due_at = NULL`.execute(trx);
    await sql`DELETE FROM lifecycle_policy`.execute(trx);
  });
  await sql`VACUUM (ANALYZE) accounts`.execute(db);
}

export interface Written {
  notices: number;
  warningNotices: number;
  emails: number;
  /** Outbox rows whose deduplication key matches a first-warning notice written in the run. */
  matchedEmails: number;
  audits: number;
  bodyBytes: { subject: number; text: number; html: number };
}

/** What a run at `now` wrote. */
export async function writtenAt(db: Executor, now: Date): Promise<Written> {
  const t = ts(now);
  const r = (
    await sql<{
      notices: string;
      warning_notices: string;
      emails: string;
      matched: string;
      audits: string;
      subject: string | null;
      text: string | null;
      html: string | null;
    }>`
    SELECT
      (SELECT count(*) FROM lifecycle_notices WHERE sent_at = ${t}) AS notices,
      (SELECT count(*) FROM lifecycle_notices WHERE sent_at = ${t} AND stage = 'warning_1') AS warning_notices,
      (SELECT count(*) FROM email_outbox WHERE created_at = ${t}) AS emails,
      (SELECT count(*) FROM email_outbox e JOIN lifecycle_notices n
         ON e.dedup_key = 'lifecycle:' || n.account_id::text || ':' || to_char(n.period_start AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') || ':warning_1'
       WHERE e.created_at = ${t} AND n.sent_at = ${t} AND n.stage = 'warning_1' AND e.template = 'inactivity-warning-1' AND e.account_id = n.account_id) AS matched,
      (SELECT count(*) FROM audit_events WHERE occurred_at = ${t}) AS audits,
      (SELECT avg(length(subject)) FROM email_outbox WHERE created_at = ${t})::text AS subject,
      (SELECT avg(length(text_body)) FROM email_outbox WHERE created_at = ${t})::text AS text,
      (SELECT avg(length(html_body)) FROM email_outbox WHERE created_at = ${t})::text AS html`.execute(db)
  ).rows[0]!;
  return {
    notices: Number(r.notices),
    warningNotices: Number(r.warning_notices),
    emails: Number(r.emails),
    matchedEmails: Number(r.matched),
    audits: Number(r.audits),
    bodyBytes: { subject: Number(r.subject ?? 0), text: Number(r.text ?? 0), html: Number(r.html ?? 0) },
  };
}

export interface JobRun {
  /** finished_at − started_at: the run itself, as the command's own record of it says (ms). */
  ms: number;
  outcome: string | null;
  summary: {
    warned?: number;
    archived?: number;
    deleted?: number;
    accessEnded?: number;
    emails?: number;
    failures?: number;
  };
}

/** The lifecycle job's record of its latest run as of `now` (`job_runs`, written by `runJobOnce`). */
export async function jobRunAt(db: Executor, now: Date): Promise<JobRun | undefined> {
  const row = (
    await sql<{ ms: string | null; outcome: string | null; summary: JobRun['summary'] }>`
    SELECT (extract(epoch FROM finished_at - started_at) * 1000)::text AS ms, outcome, summary FROM job_runs
    WHERE job = 'lifecycle' AND as_of = ${ts(now)} ORDER BY started_at DESC LIMIT 1`.execute(db)
  ).rows[0];
  return row && { ms: Number(row.ms ?? NaN), outcome: row.outcome, summary: row.summary };
}

/**
 * The old design's nightly candidates (src/jobs/lifecycle-job.ts before issue 10): every active
 * account inactive for the first warning month or more, every access end date reached, every
 * archived account past its deletion time — read and decided again every night.
 */
export async function oldDesignCandidates(db: Executor, now: Date, schedule: LifecycleSchedule): Promise<number> {
  const earliestWarning = addMonthsUtc(now, -Math.min(...schedule.policy.warningMonths));
  const r = await sql<{ n: string }>`
    SELECT count(*) AS n FROM accounts WHERE
      (status = 'active' AND GREATEST(last_sign_in_at, created_at, restored_at) <= ${ts(earliestWarning)})
      OR (status = 'active' AND access_end_date <= ${dateIn(now, 'UTC')}::date)
      OR (status = 'archived' AND deletion_due_at <= ${ts(now)})`.execute(db);
  return Number(r.rows[0]!.n);
}

/** Rows and on-disk size of the tables the job reads and writes (MiB), for the README. */
export async function databaseSize(
  db: Executor,
): Promise<{ accounts: number; privileges: number; notices: number; mib: number }> {
  const r = (
    await sql<{ accounts: string; privileges: string; notices: string; bytes: string }>`
    SELECT (SELECT count(*) FROM accounts) AS accounts, (SELECT count(*) FROM account_privileges) AS privileges,
      (SELECT count(*) FROM lifecycle_notices) AS notices, pg_database_size(current_database())::text AS bytes`.execute(
      db,
    )
  ).rows[0]!;
  return {
    accounts: Number(r.accounts),
    privileges: Number(r.privileges),
    notices: Number(r.notices),
    mib: Number(r.bytes) / 2 ** 20,
  };
}
