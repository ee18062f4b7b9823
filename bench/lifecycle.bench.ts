/**
 * `npm run bench:lifecycle` — figures for issue 10: the nightly lifecycle job's cost follows the
 * work that is due, not the number of accounts. A benchmark, not a test: it asserts nothing about
 * time; it prints the job's time and peak memory next to baselines measured on the same machine in
 * the same run (the machine is small and shared), and writes them into bench/README.md.
 *
 *   - Data (bench/support/lifecycle-data.ts): accounts generated in SQL over 150 LAs with 2
 *     administrators each; exactly BENCH_DUE (10,000) of them due tonight (a first warning), the
 *     same accounts in every database; every account's stored next-event time is the pure
 *     `nextDueAt` (checked against it) and the policy fingerprint is stored, as on any night after
 *     the first.
 *   - Each measurement is a child process of its own (bench/support/lifecycle-child.ts, bundled to
 *     JavaScript that runs the compiled dist/js modules, as the command line does), so that its
 *     peak RSS (VmHWM) is the run's own: it opens the database as the service does and times
 *     `services.lifecycle.run({ now })`.
 *   - And the real command, each round: `node bin/nexus-accounts.js lifecycle run --now …`, with a
 *     preloaded probe (bench/support/lifecycle-probe.mjs) for its peak RSS; the run's time from its
 *     own `job_runs` record. Issue 10's memory target is checked on this figure.
 *   - Nights with work: 10,000 due over BENCH_ACCOUNTS (1,000,000) and BENCH_SMALL_ACCOUNTS
 *     (100,000) accounts on PostgreSQL, interleaved round by round, and over 100,000 on PGlite.
 *     Baseline: the same rows (notice, outbox email of the same template, audit event, next-event
 *     time) written with plain multi-row SQL, 500 accounts a transaction.
 *   - Nights with nothing due: the job run again at the same `now` after a night's work (and a
 *     VACUUM, as autovacuum would do in the day between). Baseline: the candidate query alone, timed
 *     on a fresh connection of the bench process. Also the old design's candidate count.
 *   - PGlite, each round: the same night inside the real server (`node bin/nexus-accounts.js serve`),
 *     whose scheduler runs it in embedded mode (bench/support/lifecycle-serve.ts: its clock starts
 *     a few seconds before the 02:00 slot; its mail loop delivers the 10,000 emails meanwhile), with
 *     the bin's V8 settings and, as the baseline in the same round, with V8's defaults (the settings
 *     before: `--wasm-tier-up --heap-growing-percent=0` on the node command line). Peak RSS from
 *     /proc/<pid>/status. Issue 10's memory target is checked on this figure too.
 *   - Memory baseline: a bare node process, and the loaded service process (database open, nothing run).
 *   - Once: the first run after the migration (no stored times: every account is computed).
 *
 * After each run the database is checked (exactly the due accounts warned, their emails and audit
 * events written, no failures) and put back (bench/support/lifecycle-data.ts resetAfterRun), and
 * every stored next-event time must be back as generated.
 *
 * Settings (environment): BENCH_ACCOUNTS (1000000), BENCH_SMALL_ACCOUNTS (100000), BENCH_DUE (10000),
 * BENCH_ROUNDS (3), BENCH_FIRST_RUN (small: on PostgreSQL at BENCH_SMALL_ACCOUNTS; all; 0), BENCH_NOW (2026-11-03T02:00:00Z),
 * BENCH_POSTGRES_URL, BENCH_SERVE (1; 0 skips the server's night), BENCH_SERVE_LEAD (20: seconds
 * between the server's start and the slot), BENCH_WRITE_README (1; 0 prints only).
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { build as esbuild } from 'esbuild';
import { buildAssets } from '../scripts/build-assets.ts';
import { ensureBuilt } from '../scripts/build-code.mjs';
import { loadConfig } from '../src/config.ts';
import { connect } from '../src/data/connect.ts';
import type { Db } from '../src/data/database.ts';
import { migrateToLatest } from '../src/data/migrate.ts';
import { sql } from 'kysely';
import { lifecycleSchedule, type LifecycleSchedule } from '../src/services/lifecycle/schedule.ts';
import type { ChildMode, ChildResult } from './support/lifecycle-child.ts';
import {
  checkGenerated,
  databaseSize,
  forgetSchedule,
  generate,
  jobRunAt,
  MIX,
  oldDesignCandidates,
  resetAfterRun,
  settle,
  stateFingerprint,
  writtenAt,
  type Fingerprint,
  type Written,
} from './support/lifecycle-data.ts';
import { forgetPreviousNight, recordPreviousNight, serveNight, type ServeNight } from './support/lifecycle-serve.ts';
import { createDatabase, dropDatabase, postgresAvailable } from './support/postgres.ts';
import { startChild, stopChild } from './support/processes.ts';
import { beginRun, endRun, publish, runLine, type RunMeta } from './support/report.ts';
import { atCleanUp, log, ROOT, runBench, scratchDir, setting } from './support/run.ts';
import { fmt, median, mib, range } from './support/stats.ts';

const ACCOUNTS = Math.round(setting('BENCH_ACCOUNTS', 1_000_000));
const SMALL = Math.round(setting('BENCH_SMALL_ACCOUNTS', 100_000));
const DUE = Math.round(setting('BENCH_DUE', 10_000));
const ROUNDS = Math.round(setting('BENCH_ROUNDS', 3));
/** The one-off first run after the migration: `small` (PostgreSQL at BENCH_SMALL_ACCOUNTS), `all` (every database), `0` (none). */
const FIRST_RUN = (process.env.BENCH_FIRST_RUN || 'small') as 'small' | 'all' | '0';
if (!['small', 'all', '0'].includes(FIRST_RUN)) throw new Error('BENCH_FIRST_RUN must be small, all or 0');
const NOW = new Date(process.env.BENCH_NOW || '2026-11-03T02:00:00Z');
const LAS = 150;
if (Number.isNaN(NOW.getTime())) throw new Error('BENCH_NOW must be an ISO instant');
/** The night inside the real server, on PGlite (embedded mode, where the server's scheduler runs it). */
const SERVE = process.env.BENCH_SERVE !== '0';
const SERVE_LEAD_S = setting('BENCH_SERVE_LEAD', 20);
/** The server's V8 settings before the embedded server got the bin's own (the baseline of the serve night). */
const V8_DEFAULTS = ['--wasm-tier-up', '--heap-growing-percent=0'];
if (SMALL < DUE + 2 * LAS || ACCOUNTS < SMALL)
  throw new Error(`need BENCH_ACCOUNTS >= BENCH_SMALL_ACCOUNTS >= BENCH_DUE + ${2 * LAS}`);
/** Every account is checked against nextDueAt up to this size; above it, the due ones and a sixteenth of the rest. */
const CHECK_EVERY_ACCOUNT_UP_TO = 200_000;
/** A child that takes longer than this is stuck: the bench stops. */
const CHILD_TIMEOUT_MS = 30 * 60_000;
/** Issue 10's targets. */
const TARGET = { nothingDueMs: 1000, scaleRatio: 1.5, warningsMs: 60_000, peakMB: 300 };

const CHILD = path.join(ROOT, 'bench', 'support', 'lifecycle-child.ts');
const PROBE = pathToFileURL(path.join(ROOT, 'bench', 'support', 'lifecycle-probe.mjs')).href;
const BIN = path.join(ROOT, 'bin', 'nexus-accounts.js');
const SECRET_KEY = randomBytes(32).toString('base64url');

type Kind = 'postgres' | 'pglite';

interface Target {
  label: string;
  kind: Kind;
  accounts: number;
  databaseUrl?: string;
  dataDir: string;
  /** The stored next-event times as generated; every reset must bring them back. */
  original?: Fingerprint;
  oldCandidates?: number;
  sizeMiB?: number;
  privileges?: number;
  notices?: number;
  checked?: number;
  generateSeconds?: number;
}

/** The service's environment, from nothing: a caller's LIFECYCLE_* or LOG_LEVEL must not change what is measured. */
function serviceEnv(target: Target): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    TMPDIR: process.env.TMPDIR,
    DATA_DIR: target.dataDir,
    SECRET_KEY,
    BASE_URL: 'https://nexus.example.gov.uk',
    LOG_LEVEL: 'warn',
    SEED_DEMO: 'false',
  };
  if (target.databaseUrl) env.DATABASE_URL = target.databaseUrl;
  for (const key of Object.keys(env)) if (env[key] === undefined) delete env[key];
  return env;
}

async function withDb<T>(target: Target, use: (db: Db) => Promise<T>): Promise<T> {
  const handle = await connect({ databaseUrl: target.databaseUrl, pgliteDir: target.dataDir });
  try {
    return await use(handle.db);
  } finally {
    await handle.close();
  }
}

// --------------------------------------------------------------------------------------------
// Child processes

let results = 0;

/**
 * The measured child runs what production runs: lifecycle-child.ts and its bench helpers bundled by
 * esbuild into one plain JavaScript file whose imports of src/ are the modules compiled ahead of
 * time in dist/js (scripts/build-code.mjs), the ones bin/nexus-accounts.js runs — not TypeScript
 * through the tsx loader (about 35 MiB more, and other code). Written under dist/ (git-ignored) so
 * that its package imports resolve from node_modules; removed at the end.
 */
async function compileChild(): Promise<string> {
  const outDir = await ensureBuilt();
  const srcDir = path.join(ROOT, 'src') + path.sep;
  const file = path.join(ROOT, 'dist', 'bench', `lifecycle-child-${process.pid}.mjs`);
  await mkdir(path.dirname(file), { recursive: true });
  atCleanUp(() => rm(file, { force: true }));
  await esbuild({
    entryPoints: [CHILD],
    outfile: file,
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    packages: 'external',
    logLevel: 'warning',
    plugins: [
      {
        name: 'compiled-src',
        setup(build) {
          build.onResolve({ filter: /\.ts$/ }, (args) => {
            const source = path.resolve(args.resolveDir, args.path);
            if (!source.startsWith(srcDir)) return undefined;
            const compiled = path.join(outDir, path.relative(ROOT, source)).replace(/\.ts$/, '.js');
            return { path: pathToFileURL(compiled).href, external: true };
          });
        },
      },
    ],
  });
  return file;
}

let compiledChild: string | undefined;

async function waitFor(started: ReturnType<typeof startChild>): Promise<void> {
  // Not ref'd: a pending timeout must not keep the bench alive for half an hour after its last child.
  const timeout = sleep(CHILD_TIMEOUT_MS, undefined, { ref: false }).then(() => 'timeout' as const);
  const code = await Promise.race([started.exited, timeout]);
  if (code === 'timeout') {
    await stopChild(started);
    throw new Error(`${started.name} took more than ${CHILD_TIMEOUT_MS / 60_000} minutes:\n${started.output()}`);
  }
  if (code !== 0) throw new Error(`${started.name} exited with ${String(code)}:\n${started.output()}`);
}

async function child(
  mode: ChildMode,
  target: Target,
  scratch: string,
  extra: Record<string, string> = {},
): Promise<ChildResult> {
  compiledChild ??= await compileChild();
  const file = path.join(scratch, `result-${++results}.json`);
  const started = startChild(`lifecycle ${mode} (${target.label})`, process.execPath, [compiledChild], {
    cwd: ROOT,
    env: { ...serviceEnv(target), BENCH_MODE: mode, BENCH_NOW: NOW.toISOString(), BENCH_RESULT: file, ...extra },
  });
  await waitFor(started);
  return JSON.parse(readFileSync(file, 'utf8')) as ChildResult;
}

/** What bench/support/lifecycle-probe.mjs writes at the command's exit. */
type Probe = Pick<ChildResult, 'hwmKiB' | 'rssAfterKiB' | 'heapUsedKiB' | 'externalKiB' | 'cpuMs'>;

/**
 * The real command, as an operator or cron runs it: `node bin/nexus-accounts.js lifecycle run
 * --now …` (compiled code, the bin's V8 flags, runJobOnce with its job lock and `job_runs` record,
 * the printed table of the 10,000 actions). Its peak RSS is the figure issue 10's target is about.
 * A preloaded probe (bench/support/lifecycle-probe.mjs) reports its memory and CPU at exit; the
 * time of the run itself is the command's own record (`job_runs`: finished_at − started_at).
 */
async function command(target: Target, scratch: string): Promise<ChildResult> {
  // The bin compiles first when a source changed (others edit this tree): not inside the measured process.
  await ensureBuilt();
  const file = path.join(scratch, `result-${++results}.json`);
  const t0 = performance.now();
  const started = startChild(
    `lifecycle run command (${target.label})`,
    process.execPath,
    ['--import', PROBE, BIN, 'lifecycle', 'run', '--now', NOW.toISOString()],
    { cwd: ROOT, env: { ...serviceEnv(target), BENCH_PROBE_RESULT: file } },
  );
  await waitFor(started);
  const wallMs = performance.now() - t0;
  if (started.output().includes('build-code: compiled'))
    throw new Error(`${started.name} compiled the sources first: its memory is not the command's alone`);
  const probe = JSON.parse(readFileSync(file, 'utf8')) as Probe;
  const run = await withDb(target, (db) => jobRunAt(db, NOW));
  check(run !== undefined, `${started.name}: no job_runs row as of ${NOW.toISOString()}`);
  const { warned = 0, archived = 0, deleted = 0, accessEnded = 0, emails = 0, failures = 0 } = run!.summary;
  // What it printed agrees with what it recorded.
  check(
    started.output().includes(`Warned ${warned}, archived ${archived} for inactivity`) &&
      started.output().includes(`; ${emails} email`),
    `${started.name}: its tally is not its job_runs summary ${JSON.stringify(run!.summary)}:\n${started.output().slice(-500)}`,
  );
  return {
    mode: 'command',
    ms: run!.ms,
    wallMs,
    visited: warned + archived + deleted + accessEnded,
    counts: { warned, archived, deleted, accessEnded, emails },
    failures,
    rssBeforeKiB: NaN,
    ...probe,
  };
}

/** RSS and peak RSS of a process that loads nothing, KiB. */
async function bareNode(): Promise<{ rss: number; hwm: number }> {
  const code =
    "const s=require('fs').readFileSync('/proc/self/status','utf8');const f=n=>Number(new RegExp('^'+n+':\\\\s+(\\\\d+) kB','m').exec(s)[1]);" +
    "console.log(JSON.stringify({rss:f('VmRSS'),hwm:f('VmHWM')}))";
  const started = startChild('bare node', process.execPath, ['-e', code], {
    cwd: ROOT,
    env: { PATH: process.env.PATH },
  });
  const exit = await started.exited;
  if (exit !== 0) throw new Error(`bare node exited ${String(exit)}:\n${started.output()}`);
  return JSON.parse(started.output().trim().split('\n').at(-1)!) as { rss: number; hwm: number };
}

// --------------------------------------------------------------------------------------------
// Checks: each run did exactly what it should, and the database is back as generated after a reset

function check(condition: boolean, what: string): void {
  if (!condition) throw new Error(`check failed: ${what}`);
}

function checkNight(target: Target, result: ChildResult, written: Written): void {
  const where = `${target.label}, night with ${DUE} due`;
  check(result.failures === 0, `${where}: ${result.failures} failure(s), first: ${result.firstFailure}`);
  check(result.visited === DUE, `${where}: visited ${result.visited}, expected ${DUE}`);
  check(
    result.counts?.warned === DUE &&
      result.counts.archived === 0 &&
      result.counts.deleted === 0 &&
      result.counts.accessEnded === 0,
    `${where}: counts ${JSON.stringify(result.counts)}`,
  );
  check(result.counts?.emails === DUE, `${where}: ${result.counts?.emails} emails reported, expected ${DUE}`);
  check(
    written.warningNotices === DUE && written.notices === DUE,
    `${where}: ${written.warningNotices} warning_1 notices (${written.notices} in all), expected ${DUE}`,
  );
  check(
    written.emails === DUE && written.matchedEmails === DUE,
    `${where}: ${written.emails} outbox rows, ${written.matchedEmails} matching the notices, expected ${DUE}`,
  );
  check(written.audits === DUE, `${where}: ${written.audits} audit events, expected ${DUE}`);
}

async function checkBack(target: Target, db: Db, what: string): Promise<void> {
  const now = await stateFingerprint(db, NOW);
  check(
    JSON.stringify(now) === JSON.stringify(target.original),
    `${target.label}: after ${what} the stored next-event times are not as generated: ${JSON.stringify(now)} vs ${JSON.stringify(target.original)}`,
  );
}

async function reset(target: Target, what: string): Promise<void> {
  await withDb(target, async (db) => {
    await resetAfterRun(db, NOW);
    await checkBack(target, db, what);
  });
}

// --------------------------------------------------------------------------------------------
// Measurements

interface QueryTime {
  /** The first execution on a fresh connection, ms. */
  ms: number;
  /** The same query again, ms. */
  warmMs: number;
  rows: number;
}

/** The baseline of a night with nothing due: the candidate query alone, on a connection of its own. */
async function bareCandidateQuery(db: Db): Promise<QueryTime> {
  await sql`SELECT 1`.execute(db);
  const query = () =>
    sql<{ id: string }>`SELECT id FROM accounts WHERE lifecycle_due_at <= ${NOW} OR lifecycle_due_at IS NULL`.execute(
      db,
    );
  let t0 = performance.now();
  const rows = (await query()).rows.length;
  const ms = performance.now() - t0;
  t0 = performance.now();
  await query();
  return { ms, warmMs: performance.now() - t0, rows };
}

interface Night {
  job: ChildResult[];
  /** The real `lifecycle run` command, the same night's work. */
  command: ChildResult[];
  bare: ChildResult[];
  nothingDue: ChildResult[];
  bareQuery: QueryTime[];
  /** PGlite: the night inside the real server, with the bin's settings and with V8's defaults. */
  serve: ServeNight[];
  serveDefaults: ServeNight[];
  /** Mean size of the job's outbox rows (subject, text, html), characters. */
  body?: Written['bodyBytes'];
}

const emptyNight = (): Night => ({
  job: [],
  command: [],
  bare: [],
  nothingDue: [],
  bareQuery: [],
  serve: [],
  serveDefaults: [],
});

/**
 * The night inside `serve` (bench/support/lifecycle-serve.ts), checked like the others (what it
 * wrote, as of the run's own `now`, a few milliseconds after the slot), then put back: its rows,
 * the previous night's record, the delivered .eml files.
 */
async function serverNight(target: Target, nodeArgs: string[], what: string): Promise<ServeNight> {
  // Not inside the measured server: the code and the stylesheets compiled when their sources changed.
  await ensureBuilt();
  await buildAssets();
  await withDb(target, (db) => recordPreviousNight(db, NOW));
  const night = await serveNight({
    label: `${target.label}, ${what}`,
    env: serviceEnv(target),
    slot: NOW,
    leadSeconds: SERVE_LEAD_S,
    nodeArgs,
    timeoutMs: CHILD_TIMEOUT_MS,
  });
  const asOf = night.asOf!;
  const written = await withDb(target, (db) => writtenAt(db, asOf));
  checkNight(
    target,
    {
      mode: 'command',
      ms: night.runMs,
      visited: night.counts.warned + night.counts.archived + night.counts.deleted + night.counts.accessEnded,
      counts: night.counts,
      failures: night.failures,
      cpuMs: night.cpuMs,
      rssBeforeKiB: night.listeningKiB,
      rssAfterKiB: night.nightRssKiB,
      hwmKiB: night.nightHwmKiB,
      heapUsedKiB: NaN,
      externalKiB: NaN,
    },
    written,
  );
  check(night.onSchedule, `${target.label}, ${what}: the server was not listening by the slot (BENCH_SERVE_LEAD)`);
  await withDb(target, async (db) => {
    await forgetPreviousNight(db);
    await resetAfterRun(db, asOf);
    await checkBack(target, db, `the server's night (${what})`);
  });
  await rm(path.join(target.dataDir, 'mail'), { recursive: true, force: true });
  return night;
}

/** One round on one database: the night's run, the nothing-due night after it, the bare query, the real command, then the bare writes. */
async function round(target: Target, night: Night, scratch: string, n: number): Promise<void> {
  log(`${target.label}: round ${n}: the job, ${DUE} due`);
  const job = await child('job', target, scratch);
  const written = await withDb(target, async (db) => {
    const rows = await writtenAt(db, NOW);
    // This server may run without autovacuum (the one here does): vacuum as it would in the day
    // between two nights, so that the next night does not meet tonight's dead index entries.
    await settle(db);
    return rows;
  });
  checkNight(target, job, written);
  night.job.push(job);
  night.body ??= written.bodyBytes;
  log(
    `${target.label}: round ${n}: job ${fmt(job.ms / 1000, 2)} s, peak RSS ${fmt(mib(job.hwmKiB), 0)} MiB; now nothing due`,
  );

  const idle = await child('job', target, scratch, { BENCH_WARM_REPEAT: '1' });
  check(
    idle.failures === 0 && idle.visited === 0 && idle.counts?.emails === 0,
    `${target.label}: the night after did something: ${JSON.stringify(idle)}`,
  );
  night.nothingDue.push(idle);
  const query = await withDb(target, async (db) => {
    const again = await writtenAt(db, NOW);
    check(JSON.stringify(again) === JSON.stringify(written), `${target.label}: the nothing-due run wrote something`);
    return bareCandidateQuery(db);
  });
  check(
    query.rows === 0,
    `${target.label}: the bare candidate query found ${query.rows} accounts after the night's run`,
  );
  night.bareQuery.push(query);
  log(
    `${target.label}: round ${n}: nothing due ${fmt(idle.ms, 1)} ms (warm ${fmt(idle.warmMs, 1)} ms), bare query ${fmt(query.ms, 1)} ms; reset, then the lifecycle run command`,
  );
  await reset(target, `round ${n}'s job`);

  const cmd = await command(target, scratch);
  checkNight(target, cmd, await withDb(target, (db) => writtenAt(db, NOW)));
  night.command.push(cmd);
  log(
    `${target.label}: round ${n}: the lifecycle run command: run ${fmt(cmd.ms / 1000, 2)} s (process ${fmt(cmd.wallMs! / 1000, 2)} s), ` +
      `peak RSS ${fmt(mib(cmd.hwmKiB), 0)} MiB; reset, then the bare writes`,
  );
  await reset(target, `round ${n}'s command`);

  const bare = await child('bare-write', target, scratch);
  const bareWritten = await withDb(target, (db) => writtenAt(db, NOW));
  check(
    bare.rows === DUE && bareWritten.warningNotices === DUE && bareWritten.emails === DUE && bareWritten.audits === DUE,
    `${target.label}: the bare writes wrote ${JSON.stringify(bareWritten)}`,
  );
  night.bare.push(bare);
  log(`${target.label}: round ${n}: bare writes ${fmt(bare.ms / 1000, 2)} s`);
  await reset(target, `round ${n}'s bare writes`);

  if (target.kind === 'pglite' && SERVE) {
    // Alternate which goes first, so that a burst of load elsewhere lands on both.
    const runs: Array<[string, string[], ServeNight[]]> = [
      ["the bin's settings", [], night.serve],
      ["V8's defaults", V8_DEFAULTS, night.serveDefaults],
    ];
    for (const [what, args, into] of n % 2 === 1 ? runs : runs.reverse()) {
      log(`${target.label}: round ${n}: the night inside \`serve\` (${what})`);
      const served = await serverNight(target, args, what);
      into.push(served);
      log(
        `${target.label}: round ${n}: serve (${what}): run ${fmt(served.runMs / 1000, 2)} s, listening ${fmt(mib(served.listeningKiB), 0)} MiB, ` +
          `peak ${fmt(mib(served.runHwmKiB), 0)} MiB at the run's end, ${fmt(mib(served.nightHwmKiB), 0)} MiB once the mail was delivered`,
      );
    }
  }
}

interface FirstRun {
  result: ChildResult;
}

/** The one-off: as after the migration, no stored times and no policy recorded. */
async function firstRun(target: Target, scratch: string): Promise<FirstRun> {
  log(`${target.label}: first run after the migration (every one of ${target.accounts} accounts computed)`);
  await withDb(target, (db) => forgetSchedule(db));
  const result = await child('job', target, scratch);
  const written = await withDb(target, (db) => writtenAt(db, NOW));
  check(
    result.failures === 0 && result.visited === target.accounts && result.counts?.warned === DUE,
    `${target.label}: first run: ${JSON.stringify(result)}`,
  );
  check(
    written.warningNotices === DUE && written.matchedEmails === DUE,
    `${target.label}: first run wrote ${JSON.stringify(written)}`,
  );
  // Every account's time is computed by the job itself now: equal to the generated ones, the data were right.
  await reset(target, 'the first run after the migration');
  log(
    `${target.label}: first run ${fmt(result.ms / 1000, 1)} s, peak RSS ${fmt(mib(result.hwmKiB), 0)} MiB; every stored time as generated`,
  );
  return { result };
}

// --------------------------------------------------------------------------------------------
// The bench

async function prepare(target: Target, schedule: LifecycleSchedule): Promise<void> {
  log(`${target.label}: generating ${target.accounts} accounts, ${DUE} due`);
  const t0 = performance.now();
  await withDb(target, async (db) => {
    await migrateToLatest(db);
    await generate(db, { total: target.accounts, due: DUE, las: LAS }, NOW, schedule, log);
    target.generateSeconds = (performance.now() - t0) / 1000;
    target.checked = await checkGenerated(db, NOW, schedule, DUE, target.accounts <= CHECK_EVERY_ACCOUNT_UP_TO);
    target.original = await stateFingerprint(db, NOW);
    target.oldCandidates = await oldDesignCandidates(db, NOW, schedule);
    const size = await databaseSize(db);
    Object.assign(target, { sizeMiB: size.mib, privileges: size.privileges, notices: size.notices });
  });
  log(
    `${target.label}: ready in ${fmt(target.generateSeconds, 0)} s (${fmt(target.sizeMiB, 0)} MiB); ${target.checked} accounts checked against nextDueAt`,
  );
}

interface Results {
  meta: RunMeta;
  targets: Target[];
  nights: Map<Target, Night>;
  firstRuns: Map<Target, FirstRun>;
  memory: { node: { rss: number; hwm: number }; loaded: Map<Kind, ChildResult> };
  body?: Written['bodyBytes'];
}

async function main(): Promise<void> {
  const start = beginRun();
  const scratch = await scratchDir('nexus-bench-lifecycle-');
  const schedule = lifecycleSchedule(loadConfig({ SECRET_KEY, DATA_DIR: scratch }));
  const skipped: string[] = [];
  const targets: Target[] = [];
  const stamp = `${process.pid}_${Date.now().toString(36)}`;
  if (await postgresAvailable()) {
    for (const [label, accounts] of [
      ['PostgreSQL', ACCOUNTS],
      ['PostgreSQL', SMALL],
    ] as const) {
      const name = `nexus_bench_lifecycle_${stamp}_${accounts}`;
      const databaseUrl = await createDatabase(name);
      atCleanUp(() => dropDatabase(name));
      targets.push({
        label: `${label} ${accounts.toLocaleString('en-GB')}`,
        kind: 'postgres',
        accounts,
        databaseUrl,
        dataDir: path.join(scratch, name),
      });
    }
  } else {
    skipped.push('No PostgreSQL server answered at BENCH_POSTGRES_URL: PGlite only.');
  }
  targets.push({
    label: `PGlite ${SMALL.toLocaleString('en-GB')}`,
    kind: 'pglite',
    accounts: SMALL,
    dataDir: path.join(scratch, 'pglite'),
  });

  for (const target of targets) await prepare(target, schedule);

  log('memory baselines: bare node, the loaded service process');
  const memory: Results['memory'] = { node: await bareNode(), loaded: new Map() };
  for (const target of targets)
    if (!memory.loaded.has(target.kind)) memory.loaded.set(target.kind, await child('idle', target, scratch));

  const nights = new Map<Target, Night>(targets.map((t) => [t, emptyNight()]));
  const postgres = targets.filter((t) => t.kind === 'postgres');
  for (let r = 1; r <= ROUNDS; r++) {
    // Alternate which size goes first, so that a burst of load elsewhere lands on both.
    const order = r % 2 === 1 ? postgres : [...postgres].reverse();
    for (const target of order) await round(target, nights.get(target)!, scratch, r);
  }
  for (const target of targets.filter((t) => t.kind === 'pglite')) {
    for (let r = 1; r <= ROUNDS; r++) await round(target, nights.get(target)!, scratch, r);
  }

  const firstRuns = new Map<Target, FirstRun>();
  // Last on each database: it rewrites every row (the dead rows are vacuumed, the table stays larger).
  const once =
    FIRST_RUN === 'all'
      ? targets
      : FIRST_RUN === 'small'
        ? targets.filter((t) => t.kind === 'postgres' && t.accounts === SMALL).slice(-1)
        : [];
  for (const target of [...once].sort((a, b) => a.accounts - b.accounts))
    firstRuns.set(target, await firstRun(target, scratch));
  if (FIRST_RUN === '0') skipped.push('The first run after the migration was not measured (BENCH_FIRST_RUN=0).');

  const meta = endRun(start, skipped);
  await publish(
    'bench:lifecycle',
    'Lifecycle job — `npm run bench:lifecycle`',
    report({ meta, targets, nights, firstRuns, memory }),
  );
}

// --------------------------------------------------------------------------------------------
// The report

const s = (ms: number) => fmt(ms / 1000, 2);
const miB = (kib: number) => fmt(mib(kib), 0);
const MB_IN_MIB = 1e6 / 2 ** 20;
const met = (ok: boolean) => (ok ? '**met**' : '**missed**');
const n = (x: number) => x.toLocaleString('en-GB');
/** CPU of a measurement: its process, plus the PostgreSQL backends (PGlite runs in the process). */
const totalCpu = (x: ChildResult) => x.cpuMs + (x.databaseCpuMs ?? 0);

function cpuScaleOf(r: Results, large: Target, small: Target): number[] {
  const b = r.nights.get(small)!.job;
  return r.nights.get(large)!.job.map((x, i) => totalCpu(x) / totalCpu(b[i]!));
}

function report(r: Results): string {
  const lines: string[] = [runLine(r.meta)];
  const large = r.targets.find((t) => t.kind === 'postgres' && t.accounts === ACCOUNTS);
  const small = r.targets.find((t) => t.kind === 'postgres' && t.accounts === SMALL && t !== large);
  lines.push(
    `Command: \`npm run bench:lifecycle\` (BENCH_ACCOUNTS=${ACCOUNTS}, BENCH_SMALL_ACCOUNTS=${SMALL}, BENCH_DUE=${DUE}, BENCH_ROUNDS=${ROUNDS}, ` +
      `BENCH_FIRST_RUN=${FIRST_RUN}); now = ${NOW.toISOString()}; each figure the median of ${ROUNDS} child processes (range in brackets); ${LAS} LAs with 2 administrators each.`,
  );
  lines.push('');
  lines.push(
    'Data: ' +
      r.targets
        .map(
          (t) =>
            `${t.label}: ${n(t.accounts)} accounts, ${n(t.privileges ?? 0)} privilege rows, ${n(t.notices ?? 0)} earlier notices, ` +
            `${fmt(t.sizeMiB, 0)} MiB, generated in ${fmt(t.generateSeconds, 0)} s, ${n(t.checked ?? 0)} accounts' stored times checked against \`nextDueAt\``,
        )
        .join('; ') +
      '.',
  );
  lines.push('');

  lines.push(`**A night with ${n(DUE)} first warnings due**`);
  lines.push('');
  lines.push(
    '| database | accounts | **job: `run()`** s | bare writes s | **ratio job ÷ bare** | CPU ms, job: process · PostgreSQL backends | CPU ms, bare writes: process · backends | **ratio CPU job ÷ bare** | warnings / s | peak RSS MiB, job process | **`lifecycle run` command**: run s · whole process s | **peak RSS** MiB, **the command** |',
  );
  lines.push('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const t of r.targets) {
    const night = r.nights.get(t)!;
    const job = night.job.map((x) => x.ms);
    const bare = night.bare.map((x) => x.ms);
    const ratios = night.job.map((x, i) => x.ms / night.bare[i]!.ms);
    const cpuRatios = night.job.map((x, i) => totalCpu(x) / totalCpu(night.bare[i]!));
    lines.push(
      `| ${t.kind === 'postgres' ? 'PostgreSQL' : 'PGlite'} | ${n(t.accounts)} | **${s(median(job))}** (${range(job.map((x) => x / 1000))}) | ${s(median(bare))} (${range(bare.map((x) => x / 1000))}) | ` +
        `**${fmt(median(ratios), 2)}** (${range(ratios)}) | ` +
        `${fmt(median(night.job.map((x) => x.cpuMs)), 0)} · ${t.kind === 'postgres' ? fmt(median(night.job.map((x) => x.databaseCpuMs ?? NaN)), 0) : 'in-process'} | ` +
        `${fmt(median(night.bare.map((x) => x.cpuMs)), 0)} · ${t.kind === 'postgres' ? fmt(median(night.bare.map((x) => x.databaseCpuMs ?? NaN)), 0) : 'in-process'} | ` +
        `**${fmt(median(cpuRatios), 2)}** (${range(cpuRatios)}) | ${fmt(DUE / (median(job) / 1000), 0)} | ` +
        `${miB(median(night.job.map((x) => x.hwmKiB)))} (${range(
          night.job.map((x) => mib(x.hwmKiB)),
          0,
        )}) | ${s(median(night.command.map((x) => x.ms)))} (${range(night.command.map((x) => x.ms / 1000))}) · ` +
        `${s(median(night.command.map((x) => x.wallMs ?? NaN)))} | **${miB(median(night.command.map((x) => x.hwmKiB)))}** (${range(
          night.command.map((x) => mib(x.hwmKiB)),
          0,
        )}) |`,
    );
  }
  let scale: number[] = [];
  if (large && small) {
    const a = r.nights.get(large)!.job;
    const b = r.nights.get(small)!.job;
    scale = a.map((x, i) => x.ms / b[i]!.ms);
    const cpuScale = cpuScaleOf(r, large, small);
    lines.push('');
    lines.push(
      `**Ratio ${n(ACCOUNTS)} ÷ ${n(SMALL)} accounts, the same ${n(DUE)} due** (PostgreSQL, the two runs of each round): time **${fmt(median(scale), 2)}** (${range(scale)}); ` +
        `CPU (job process + backends) **${fmt(median(cpuScale), 2)}** (${range(cpuScale)}); ` +
        `bare writes: time ${fmt(median(r.nights.get(large)!.bare.map((x, i) => x.ms / r.nights.get(small)!.bare[i]!.ms)), 2)}, ` +
        `CPU ${fmt(median(r.nights.get(large)!.bare.map((x, i) => totalCpu(x) / totalCpu(r.nights.get(small)!.bare[i]!))), 2)}.`,
    );
  }
  const body = r.nights.get(r.targets[0]!)!.body;
  if (body)
    lines.push(
      `Outbox rows written by the job: subject ${fmt(body.subject, 0)}, text ${fmt(body.text, 0)}, HTML ${fmt(body.html, 0)} characters on average; the bare writes use the same template's text.`,
    );
  lines.push('');

  lines.push("**A night with nothing due** (the job again at the same `now`, after the night's run)");
  lines.push('');
  lines.push(
    "| database | accounts | **job: `run()`** ms, new process | second run, same process ms | bare candidate query ms (warm) | **ratio job ÷ bare query** | peak RSS MiB | old design's candidates, read every night |",
  );
  lines.push('|---|---:|---:|---:|---:|---:|---:|---:|');
  for (const t of r.targets) {
    const night = r.nights.get(t)!;
    const job = night.nothingDue.map((x) => x.ms);
    const warm = night.nothingDue.map((x) => x.warmMs ?? NaN);
    const q = night.bareQuery.map((x) => x.ms);
    const qWarm = night.bareQuery.map((x) => x.warmMs ?? NaN);
    lines.push(
      `| ${t.kind === 'postgres' ? 'PostgreSQL' : 'PGlite'} | ${n(t.accounts)} | **${fmt(median(job), 1)}** (${range(job, 1)}) | ${fmt(median(warm), 1)} (${range(warm, 1)}) | ` +
        `${fmt(median(q), 1)} (${fmt(median(qWarm), 1)}) | **${fmt(median(job) / median(q), 1)}** | ${miB(median(night.nothingDue.map((x) => x.hwmKiB)))} | ${n(t.oldCandidates ?? 0)} |`,
    );
  }
  lines.push('');

  lines.push('**Memory** (RSS · peak RSS, MiB)');
  lines.push('');
  lines.push(
    "| process | RSS at the end | **peak RSS** | JS heap used · outside the heap (Buffers, PGlite's WebAssembly memory), at the end |",
  );
  lines.push('|---|---:|---:|---:|');
  lines.push(`| bare node (baseline) | ${miB(r.memory.node.rss)} | ${miB(r.memory.node.hwm)} | |`);
  const heap = (xs: ChildResult[]) =>
    `${miB(median(xs.map((x) => x.heapUsedKiB)))} · ${miB(median(xs.map((x) => x.externalKiB)))}`;
  for (const [kind, loaded] of r.memory.loaded) {
    lines.push(
      `| service loaded, ${kind === 'postgres' ? 'PostgreSQL' : 'PGlite'} open, nothing run | ${miB(loaded.rssAfterKiB)} | ${miB(loaded.hwmKiB)} | ${heap([loaded])} |`,
    );
  }
  for (const t of r.targets) {
    for (const [what, runs] of [
      ['job', r.nights.get(t)!.job],
      ['`lifecycle run` command', r.nights.get(t)!.command],
    ] as const) {
      lines.push(
        `| ${what}, ${n(DUE)} due, ${t.label} | ${miB(median(runs.map((x) => x.rssAfterKiB)))} | **${miB(median(runs.map((x) => x.hwmKiB)))}** ` +
          `(${fmt(median(runs.map((x) => x.hwmKiB)) / r.memory.node.hwm, 1)}× bare node) | ${heap(runs)} |`,
      );
    }
  }
  lines.push('');

  const served = r.targets.filter((t) => r.nights.get(t)!.serve.length > 0);
  if (served.length > 0) {
    lines.push(
      `**The night inside the server** (\`node bin/nexus-accounts.js serve\`, whose scheduler runs it in embedded mode; its clock set ${fmt(SERVE_LEAD_S, 0)} s before the 02:00 slot; ` +
        `its mail loop delivering the emails as .eml files meanwhile; RSS from /proc/<pid>/status, MiB; median of ${ROUNDS}, range)`,
    );
    lines.push('');
    lines.push(
      "| database | V8 settings | run s (its log line) | RSS listening, before the slot | **peak RSS at the run's end** | **peak RSS once every email is delivered** | delivery after the run s | CPU s, start to delivered |",
    );
    lines.push('|---|---|---:|---:|---:|---:|---:|---:|');
    for (const t of served) {
      for (const [what, runs] of [
        ["the bin's (Liftoff only, old generation grown by 25%)", r.nights.get(t)!.serve],
        [`V8's defaults (\`${V8_DEFAULTS.join(' ')}\`), baseline`, r.nights.get(t)!.serveDefaults],
      ] as const) {
        const med = (f: (x: ServeNight) => number) => median(runs.map(f));
        lines.push(
          `| ${t.label} | ${what} | ${s(med((x) => x.runMs))} (${range(runs.map((x) => x.runMs / 1000))}) | ${miB(med((x) => x.listeningKiB))} | ` +
            `**${miB(med((x) => x.runHwmKiB))}** (${range(
              runs.map((x) => mib(x.runHwmKiB)),
              0,
            )}) | **${miB(med((x) => x.nightHwmKiB))}** (${range(
              runs.map((x) => mib(x.nightHwmKiB)),
              0,
            )}) | ${s(med((x) => x.deliveryMs))} | ${fmt(med((x) => x.cpuMs) / 1000, 1)} |`,
        );
      }
      const night = r.nights.get(t)!;
      const ratio = night.serve.map((x, i) => x.nightHwmKiB / night.serveDefaults[i]!.nightHwmKiB);
      const cpu = night.serve.map((x, i) => x.cpuMs / night.serveDefaults[i]!.cpuMs);
      lines.push('');
      lines.push(
        `Ratio bin's settings ÷ V8's defaults, same round: night's peak RSS **${fmt(median(ratio), 2)}** (${range(ratio)}); CPU ${fmt(median(cpu), 2)} (${range(cpu)}).`,
      );
    }
    lines.push('');
  }

  if (r.firstRuns.size > 0) {
    lines.push(
      '**Once: the first run after the migration** (no stored times, no policy recorded: every account is read, decided and given its time; the due ones warned)',
    );
    lines.push('');
    lines.push('| database | accounts | time s | accounts / s | peak RSS MiB | CPU ms: job process · backends |');
    lines.push('|---|---:|---:|---:|---:|---:|');
    for (const [t, f] of r.firstRuns) {
      lines.push(
        `| ${t.kind === 'postgres' ? 'PostgreSQL' : 'PGlite'} | ${n(t.accounts)} | ${s(f.result.ms)} | ${fmt(t.accounts / (f.result.ms / 1000), 0)} | ${miB(f.result.hwmKiB)} | ` +
          `${fmt(f.result.cpuMs, 0)} · ${t.kind === 'postgres' ? fmt(f.result.databaseCpuMs, 0) : 'in-process'} |`,
      );
    }
    lines.push('');
  }

  lines.push("**Issue 10's targets**");
  lines.push('');
  lines.push('| target | figure | |');
  lines.push('|---|---|---|');
  if (large) {
    const idle = median(r.nights.get(large)!.nothingDue.map((x) => x.ms));
    lines.push(
      `| nothing-due run over ${n(ACCOUNTS)} accounts ≤ 1 s | ${fmt(idle, 1)} ms (PostgreSQL, new process) | ${met(idle <= TARGET.nothingDueMs)} |`,
    );
    if (small)
      lines.push(
        `| same ${n(DUE)} due, ${n(ACCOUNTS)} ÷ ${n(SMALL)} accounts ≤ 1.5 | time ${fmt(median(scale), 2)} (CPU ${fmt(median(cpuScaleOf(r, large, small)), 2)}) | ${met(median(scale) <= TARGET.scaleRatio)} |`,
      );
  }
  for (const t of r.targets) {
    const job = median(r.nights.get(t)!.job.map((x) => x.ms));
    // The memory target is the real command's: `node bin/nexus-accounts.js lifecycle run`.
    const peak = median(r.nights.get(t)!.command.map((x) => x.hwmKiB));
    lines.push(
      `| ${n(DUE)} warnings written ≤ 60 s; peak RSS of the \`lifecycle run\` command ≤ 300 MB (${fmt(TARGET.peakMB * MB_IN_MIB, 0)} MiB) — ${t.label} | ${s(job)} s; ${miB(peak)} MiB | ` +
        `${met(job <= TARGET.warningsMs)}; ${met(mib(peak) <= TARGET.peakMB * MB_IN_MIB)} |`,
    );
    const serve = r.nights.get(t)!.serve;
    if (serve.length > 0) {
      const run = median(serve.map((x) => x.runMs));
      const night = median(serve.map((x) => x.nightHwmKiB));
      lines.push(
        `| ${n(DUE)} warnings written ≤ 60 s; peak RSS of \`serve\` through the night (its run and the delivery of its emails) ≤ 300 MB — ${t.label} | ${s(run)} s; ${miB(night)} MiB | ` +
          `${met(run <= TARGET.warningsMs)}; ${met(mib(night) <= TARGET.peakMB * MB_IN_MIB)} |`,
      );
    }
  }
  for (const note of r.meta.skipped) lines.push('', `Note: ${note}`);
  lines.push('', `Accounts not due: ${MIX.map((m) => m.text).join('; ')}.`);
  return lines.join('\n');
}

void runBench(main);
