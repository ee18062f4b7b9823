/**
 * One measurement of `npm run bench:lifecycle`, in a process of its own, so that its peak RSS is
 * its own. It runs what production runs: the bench bundles this file into plain JavaScript whose
 * imports of src/ are the compiled modules in dist/js that bin/nexus-accounts.js runs (not the
 * TypeScript through tsx, whose loader alone is about 35 MiB), with the V8 flags the `lifecycle`
 * command gets. (The real command itself is measured too: `command` in bench/lifecycle.bench.ts.)
 *
 * BENCH_MODE:
 *   - `job`: opens the database as the service does (`openRuntime`: connect, migrate, createServices),
 *     then times `services.lifecycle.run({ now })`. With BENCH_WARM_REPEAT=1 it runs a second time in
 *     the same process (the worker's case: loaded code, open pool) and times that too.
 *   - `bare-write`: the baseline of a night with work: the same rows the job writes for the accounts
 *     due tonight — a notice, an outbox row (the real template's text, rendered before the clock
 *     starts), an audit event and a new next-event time each — with plain multi-row SQL, 500
 *     accounts a transaction like the job's batches. No rules, no locking, no reading.
 *   - `idle`: opens the database as `job` does and runs nothing (the memory of the loaded process).
 *
 * Environment: DATABASE_URL or DATA_DIR (PGlite), SECRET_KEY, BASE_URL, BENCH_NOW (ISO),
 * BENCH_RESULT (a file for the JSON result). Peak RSS is VmHWM from /proc/self/status at the end.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import v8 from 'node:v8';
import { sql } from 'kysely';
import 'pg';
import { loadConfig } from '../../src/config.ts';
import { connect } from '../../src/data/connect.ts';
import type { Account, Db } from '../../src/data/database.ts';
import { addMonthsUtc, wholeMonthsBetween } from '../../src/domain/calendar.ts';
import { ManualClock } from '../../src/domain/clock.ts';
import { inactivityWarningEmail } from '../../src/mail/templates/lifecycle-emails.ts';
import { openRuntime } from '../../src/runtime.ts';
import { formatDate, mailDomain } from '../../src/services/deps.ts';
import { lifecycleSchedule } from '../../src/services/lifecycle/schedule.ts';
import { cpuMsOf } from './processes.ts';

export type ChildMode = 'job' | 'bare-write' | 'idle' | 'command';

export interface ChildResult {
  mode: ChildMode;
  /** The timed part, ms (job: run(); bare-write: all the writes). */
  ms: number;
  /** A second run in the same process, ms (job with BENCH_WARM_REPEAT=1). */
  warmMs?: number;
  /** command: the whole process, spawn to exit, ms. */
  wallMs?: number;
  /** job: what run() reported. */
  visited?: number;
  counts?: Record<string, number>;
  failures?: number;
  firstFailure?: string;
  /** bare-write: accounts written. */
  rows?: number;
  /** CPU of this process during the timed part, ms (command: the whole process, start to exit). */
  cpuMs: number;
  /** CPU of the PostgreSQL backends of this database during the timed part, ms (PGlite: in-process). */
  databaseCpuMs?: number;
  rssBeforeKiB: number;
  rssAfterKiB: number;
  hwmKiB: number;
  /** At the end: the JavaScript heap in use, and memory outside it (Buffers, and PGlite's WebAssembly memory), KiB. */
  heapUsedKiB: number;
  externalKiB: number;
}

function memory(): { rss: number; hwm: number } {
  const status = readFileSync('/proc/self/status', 'utf8');
  const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rss: field('VmRSS'), hwm: field('VmHWM') };
}

function cpuNow(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/** CPU so far of each client backend of this database (empty on PGlite, or when /proc cannot see them). */
async function backendCpu(db: Db): Promise<Map<number, number>> {
  const cpu = new Map<number, number>();
  try {
    const rows = await sql<{
      pid: number;
    }>`SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND backend_type = 'client backend'`.execute(
      db,
    );
    for (const { pid } of rows.rows) {
      try {
        cpu.set(pid, cpuMsOf(pid));
      } catch {
        // not visible, or ended
      }
    }
  } catch {
    // no pg_stat_activity
  }
  return cpu;
}

function cpuSince(before: Map<number, number>, after: Map<number, number>): number {
  let total = 0;
  for (const [pid, ms] of after) total += ms - (before.get(pid) ?? 0);
  return total;
}

async function timed<T>(db: Db | undefined, postgres: boolean, work: () => Promise<T>) {
  const dbBefore = postgres && db ? await backendCpu(db) : new Map<number, number>();
  const cpu0 = cpuNow();
  const t0 = performance.now();
  const value = await work();
  const ms = performance.now() - t0;
  const cpuMs = cpuNow() - cpu0;
  const databaseCpuMs = postgres && db ? cpuSince(dbBefore, await backendCpu(db)) : undefined;
  return { value, ms, cpuMs, databaseCpuMs };
}

// What bin/nexus-accounts.js does for the `lifecycle` command (the reason is given there): this
// child's figures are to be the command's. Before PGlite is loaded, which compiles its WebAssembly.
v8.setFlagsFromString('--liftoff-only');

const env = process.env;
const mode = env.BENCH_MODE as ChildMode;
const now = new Date(env.BENCH_NOW ?? '');
if (Number.isNaN(now.getTime())) throw new Error('lifecycle-child needs BENCH_NOW');
const config = loadConfig(env);
const postgres = config.databaseUrl !== undefined;

type Timed = Omit<ChildResult, 'rssBeforeKiB' | 'rssAfterKiB' | 'hwmKiB' | 'heapUsedKiB' | 'externalKiB'>;

async function runJob(): Promise<Timed> {
  const runtime = await openRuntime(config, new ManualClock(now));
  try {
    const db = runtime.handle.db;
    await sql`SELECT 1`.execute(db);
    if (mode === 'idle') return { mode, ms: 0, cpuMs: 0 };
    rssBefore = memory().rss;
    const first = await timed(db, postgres, () => runtime.services.lifecycle.run({ now }));
    const result = first.value;
    let warmMs: number | undefined;
    if (env.BENCH_WARM_REPEAT === '1')
      warmMs = (await timed(db, false, () => runtime.services.lifecycle.run({ now }))).ms;
    return {
      mode,
      ms: first.ms,
      warmMs,
      cpuMs: first.cpuMs,
      databaseCpuMs: first.databaseCpuMs,
      visited: result.visited,
      counts: result.counts,
      failures: result.failures.length,
      firstFailure: result.failures[0]?.error,
    };
  } finally {
    await runtime.close();
  }
}

interface DueAccount extends Pick<
  Account,
  'id' | 'organisation_id' | 'username' | 'first_name' | 'last_name' | 'email'
> {
  since: Date;
  la_name: string;
}

async function runBareWrite(): Promise<Timed> {
  const handle = await connect({ databaseUrl: config.databaseUrl, pgliteDir: config.dataDir });
  const { policy } = lifecycleSchedule(config);
  const domain = mailDomain(config);
  const date = (d: Date) => formatDate(d, policy.timezone);
  try {
    const db = handle.db;
    // Before the clock: the accounts due tonight, and everything the rows will hold.
    const due = (
      await sql<DueAccount>`
      SELECT a.id, a.organisation_id, a.username, a.first_name, a.last_name, a.email,
        GREATEST(a.last_sign_in_at, a.created_at, a.restored_at) AS since, o.name AS la_name
      FROM accounts a JOIN organisations o ON o.id = a.organisation_id
      WHERE a.lifecycle_due_at <= ${now} ORDER BY a.id`.execute(db)
    ).rows;
    const admins = new Map<number, { name: string; email: string }[]>();
    for (const a of (
      await sql<{ organisation_id: number; name: string; email: string }>`
      SELECT a.organisation_id, a.first_name || ' ' || a.last_name AS name, a.email FROM accounts a
      JOIN account_privileges p ON p.account_id = a.id AND p.privilege = 'manage_users' WHERE a.status = 'active'`.execute(
        db,
      )
    ).rows) {
      admins.set(a.organisation_id, [...(admins.get(a.organisation_id) ?? []), { name: a.name, email: a.email }]);
    }
    const rows = due.map((a) => {
      const since = new Date(a.since);
      const period = since.toISOString();
      const archiveOn = addMonthsUtc(since, policy.archiveMonths);
      const months = wholeMonthsBetween(since, now);
      const content = inactivityWarningEmail({
        platformName: config.platformName,
        firstName: a.first_name,
        username: a.username,
        laName: a.la_name,
        since: { kind: 'sign-in', date: date(since), months },
        archiveMonths: policy.archiveMonths,
        archiveOn: date(archiveOn),
        final: false,
        signInUrl: `${config.baseUrl}/sign-in`,
        contacts: {
          administrators: admins.get(a.organisation_id) ?? [],
          support: { name: config.supportName, email: config.supportEmail },
          laName: a.la_name,
        },
      });
      const id = randomUUID();
      return {
        notice: sql`(${a.id}::uuid, ${since}::timestamptz, 'warning_1', ${now}::timestamptz)`,
        email: sql`(${id}::uuid, ${`lifecycle:${a.id}:${period}:warning_1`}, ${`<${id}@${domain}>`}, 'inactivity-warning-1', ${a.organisation_id}::int,
          ${a.id}::uuid, ${a.email}, ${`${a.first_name} ${a.last_name}`}, ${content.subject}, ${content.text}, ${content.html}, ${now}::timestamptz, ${now}::timestamptz)`,
        audit: sql`(${now}::timestamptz, 'lifecycle.warning-sent', NULL::uuid, 'system', ${a.organisation_id}::int, ${a.id}::uuid, NULL, NULL,
          ${JSON.stringify({ warning: 1, stage: 'warning_1', monthsInactive: months, periodStart: period, archiveOn: archiveOn.toISOString() })}::jsonb, false)`,
        due: sql`(${a.id}::uuid, ${addMonthsUtc(since, policy.warningMonths[1])}::timestamptz)`,
      };
    });
    await sql`SELECT 1`.execute(db);
    rssBefore = memory().rss;
    const BATCH = 500;
    const writes = await timed(db, postgres, async () => {
      for (let i = 0; i < rows.length; i += BATCH) {
        const chunk = rows.slice(i, i + BATCH);
        await db.transaction().execute(async (trx) => {
          await sql`INSERT INTO lifecycle_notices (account_id, period_start, stage, sent_at) VALUES ${sql.join(chunk.map((r) => r.notice))}`.execute(
            trx,
          );
          await sql`INSERT INTO email_outbox (id, dedup_key, message_id, template, organisation_id, account_id, to_address, to_name, subject,
            text_body, html_body, next_attempt_at, created_at) VALUES ${sql.join(chunk.map((r) => r.email))}`.execute(
            trx,
          );
          await sql`INSERT INTO audit_events (occurred_at, action, actor_account_id, actor_label, organisation_id, subject_account_id, ip, request_id,
            details, security_alert) VALUES ${sql.join(chunk.map((r) => r.audit))}`.execute(trx);
          await sql`UPDATE accounts SET lifecycle_due_at = v.due_at FROM (VALUES ${sql.join(chunk.map((r) => r.due))}) AS v(id, due_at)
            WHERE accounts.id = v.id`.execute(trx);
        });
      }
      return rows.length;
    });
    return { mode, ms: writes.ms, cpuMs: writes.cpuMs, databaseCpuMs: writes.databaseCpuMs, rows: writes.value };
  } finally {
    await handle.close();
  }
}

let rssBefore = NaN;

async function main(): Promise<void> {
  const result = mode === 'bare-write' ? await runBareWrite() : await runJob();
  const m = memory();
  const usage = process.memoryUsage();
  const full: ChildResult = {
    ...result,
    rssBeforeKiB: Number.isNaN(rssBefore) ? m.rss : rssBefore,
    rssAfterKiB: m.rss,
    hwmKiB: m.hwm,
    heapUsedKiB: usage.heapUsed / 1024,
    externalKiB: usage.external / 1024,
  };
  writeFileSync(env.BENCH_RESULT ?? '/dev/stdout', JSON.stringify(full));
}

await main();
