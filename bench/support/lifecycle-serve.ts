/**
 * The nightly lifecycle run inside the real server (`node bin/nexus-accounts.js serve`), as it
 * happens in embedded mode, where the server's own scheduler runs the night's work and its mail
 * loop delivers the emails at the same time. For bench/lifecycle.bench.ts.
 *
 * The server starts on a prepared database with its wall clock a few seconds before the night's
 * 02:00 slot (bench/support/clock-shift.mjs, preloaded): it starts, listens, idles, and its
 * scheduler fires the slot's run by itself. The bench reads the process's memory from
 * /proc/<pid>/status when it is listening before the slot, when the run's one log line appears,
 * and once the mail loop has written every email of the night (as .eml files: no SMTP_URL), then
 * stops it (SIGTERM). The peak is the larger of VmHWM and VmRSS sampled every 50 ms: the kernel
 * updates VmHWM's high-water mark only when memory is unmapped, so memory given back with
 * madvise (as V8 and glibc do) can leave a short peak out of it.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { sql } from 'kysely';
import type { Db } from '../../src/data/database.ts';
import { startChild, stopChild } from './processes.ts';
import { ROOT } from './run.ts';

const CLOCK = pathToFileURL(path.join(ROOT, 'bench', 'support', 'clock-shift.mjs')).href;
const BIN = path.join(ROOT, 'bin', 'nexus-accounts.js');
/** Clock ticks a second (/proc/<pid>/stat), as on every Linux this runs on. */
const TICKS = 100;

export interface ServeNight {
  /** The run's `now` (its job_runs as_of): the rows it wrote carry it. */
  asOf: Date | undefined;
  /** The run itself, from its log line, ms. */
  runMs: number;
  counts: { warned: number; archived: number; accessEnded: number; deleted: number; emails: number };
  failures: number;
  /** True when the scheduler fired the slot; false when the server was not up in time and caught it up. */
  onSchedule: boolean;
  /** From the process's start to "ready", ms. */
  readyMs: number;
  /** RSS when listening, just before the slot, KiB. */
  listeningKiB: number;
  /** Peak RSS up to the end of the run (VmHWM or the highest VmRSS sampled), KiB. */
  runHwmKiB: number;
  /** RSS at the end of the run, KiB. */
  runRssKiB: number;
  /** Peak RSS once every email of the night has been delivered: the night's peak, KiB. */
  nightHwmKiB: number;
  /** RSS then, KiB. */
  nightRssKiB: number;
  /** From the end of the run to the last email written, ms. */
  deliveryMs: number;
  /** The process's CPU from its start to the end of delivery, ms. */
  cpuMs: number;
}

function status(pid: number): { rss: number; hwm: number } {
  const text = readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? NaN);
  return { rss: field('VmRSS'), hwm: field('VmHWM') };
}

function cpuMs(pid: number): number {
  // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(rest[11]) + Number(rest[12])) / TICKS) * 1000;
}

/**
 * A successful lifecycle run recorded the night before the slot: what any server but a new one
 * has. It also lets the scheduler catch the slot up if the server were not listening in time.
 */
export async function recordPreviousNight(db: Db, slot: Date): Promise<void> {
  const before = new Date(slot.getTime() - 24 * 3600_000);
  await sql`INSERT INTO job_runs (job, as_of, started_at, finished_at, outcome, summary)
    VALUES ('lifecycle', ${before.toISOString()}, ${before.toISOString()}, ${before.toISOString()}, 'ok', '{"bench": "previous night"}')`.execute(
    db,
  );
}

/** Removes what recordPreviousNight wrote. */
export async function forgetPreviousNight(db: Db): Promise<void> {
  await sql`DELETE FROM job_runs WHERE summary->>'bench' = 'previous night'`.execute(db);
}

const SUMMARY =
  /lifecycle job as of (\S+): (\d+) warned, (\d+) archived for inactivity, (\d+) access ended, (\d+) deleted, (\d+) emails queued, (\d+) failed in (\d+) ms/;

export interface ServeNightOptions {
  label: string;
  /** The service's environment (DATA_DIR, SECRET_KEY, …); LOG_LEVEL and PORT are set here. */
  env: NodeJS.ProcessEnv;
  /** The night's scheduled run (02:00 in the configured time zone). */
  slot: Date;
  /** How long before the slot the server's clock starts, s: its start-up must fit. */
  leadSeconds: number;
  /** Node options before the bin (e.g. V8 flags under test). */
  nodeArgs?: string[];
  timeoutMs: number;
}

/** Starts the server before the slot, lets its scheduler run the night, waits for the mail, stops it. */
export async function serveNight(options: ServeNightOptions): Promise<ServeNight> {
  const mailDir = path.join(options.env.DATA_DIR!, 'mail');
  const mailCount = () => (existsSync(mailDir) ? readdirSync(mailDir).filter((f) => f.endsWith('.eml')).length : 0);
  const alreadyDelivered = mailCount();
  const clockStart = new Date(options.slot.getTime() - options.leadSeconds * 1000);
  const t0 = performance.now();
  const server = startChild(
    `serve (${options.label})`,
    process.execPath,
    [...(options.nodeArgs ?? []), '--import', CLOCK, BIN, 'serve'],
    {
      cwd: ROOT,
      // info: the scheduler's one line per run is the signal that the run is over.
      env: { ...options.env, LOG_LEVEL: 'info', PORT: '0', BENCH_CLOCK_START: clockStart.toISOString() },
    },
  );
  // The peak, sampled: up to the end of the run, and up to the end of the delivery.
  let sampled = 0;
  let sampledToRunEnd = 0;
  let runOver = false;
  const sampler = setInterval(() => {
    try {
      sampled = Math.max(sampled, status(server.pid).rss);
      if (!runOver) sampledToRunEnd = sampled;
    } catch {
      // exited: nothing more to read
    }
  }, 50);
  let stdout = '';
  server.process.stdout?.on('data', (chunk: Buffer) => {
    stdout = (stdout + chunk.toString('utf8')).slice(-20_000);
  });
  const deadline = t0 + options.timeoutMs;
  const waitUntil = async (what: string, done: () => boolean, everyMs = 100): Promise<void> => {
    while (!done()) {
      if (server.hasExited()) throw new Error(`${server.name} exited while waiting for ${what}:\n${server.output()}`);
      if (performance.now() > deadline) {
        await stopChild(server);
        throw new Error(`${server.name}: no ${what} within ${options.timeoutMs / 1000} s:\n${server.output()}`);
      }
      await sleep(everyMs);
    }
  };
  try {
    await waitUntil('"ready" line', () => stdout.includes('Nexus Accounts is ready at'));
    const readyMs = performance.now() - t0;
    // The server compiles its code and its stylesheets when their sources changed (others edit this
    // tree): the caller builds both first, and a server that compiled anyway is not measured.
    if (/build-code: compiled|build-assets: /.test(server.output()))
      throw new Error(`${server.name} compiled its code or assets first: its memory is not the night's alone`);
    // Listening and idle: the last reading before the slot (the clock started leadSeconds before it).
    let listening = status(server.pid);
    const slotAt = t0 + options.leadSeconds * 1000;
    while (performance.now() < slotAt - 500 && !SUMMARY.test(stdout)) {
      listening = status(server.pid);
      await sleep(100);
    }
    await waitUntil('lifecycle run log line', () => SUMMARY.test(stdout), 50);
    runOver = true;
    const ran = status(server.pid);
    const ranAt = performance.now();
    const m = SUMMARY.exec(stdout)!;
    const counts = {
      warned: Number(m[2]),
      archived: Number(m[3]),
      accessEnded: Number(m[4]),
      deleted: Number(m[5]),
      emails: Number(m[6]),
    };
    await waitUntil('delivery of every email', () => mailCount() - alreadyDelivered >= counts.emails, 250);
    const deliveryMs = performance.now() - ranAt;
    const night = status(server.pid);
    const cpu = cpuMs(server.pid);
    return {
      asOf: new Date(m[1]!),
      runMs: Number(m[8]),
      counts,
      failures: Number(m[7]),
      onSchedule: !stdout.includes('was missed; running it now'),
      readyMs,
      listeningKiB: listening.rss,
      runHwmKiB: Math.max(ran.hwm, sampledToRunEnd),
      runRssKiB: ran.rss,
      nightHwmKiB: Math.max(night.hwm, sampled),
      nightRssKiB: night.rss,
      deliveryMs,
      cpuMs: cpu,
    };
  } finally {
    clearInterval(sampler);
    await stopChild(server, 15_000);
  }
}
