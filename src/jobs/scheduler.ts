import { Cron } from 'croner';
import type { DatabaseHandle } from '../data/connect.ts';
import type { Db } from '../data/database.ts';
import {
  finishJobRun,
  hasSuccessfulRunSince,
  lastSuccessfulRunStart,
  releaseJobLock,
  startJobRun,
  tryJobLock,
} from '../data/queries/job-run-queries.ts';
import type { Services } from '../services/index.ts';
import type { DigestRunResult } from '../services/lifecycle/digest-service.ts';
import type { LifecycleRunResult } from '../services/lifecycle/lifecycle-service.ts';

/**
 * The scheduled jobs (R41, R47): the nightly lifecycle run and the weekly Admin Digest, on croner
 * schedules from the configuration. In embedded mode the server runs them; with PostgreSQL the
 * `worker` processes do, and a PostgreSQL advisory lock lets one process at a time run a job.
 * Each run is recorded in `job_runs` and logged in one line.
 *
 * The lock is an optimisation and a courtesy, not what makes a job safe: the jobs themselves are
 * idempotent (row locks, notice keys, outbox deduplication keys), so a run that starts while a
 * lost connection has silently dropped another process's lock does no harm.
 */

import { scheduleOf, type JobName } from './schedules.ts';

export { scheduleOf, type JobName } from './schedules.ts';
export const JOB_NAMES: readonly JobName[] = ['lifecycle', 'digest'];

export interface JobResults {
  lifecycle: LifecycleRunResult;
  digest: DigestRunResult;
}

/**
 * Why a run did nothing: another session holds the job's lock, or (for scheduled and catch-up
 * runs only) another process has just done this slot's run.
 */
export interface JobSkipped {
  skipped: 'locked' | 'already-ran';
}

export function isSkipped(result: unknown): result is JobSkipped {
  return typeof result === 'object' && result !== null && 'skipped' in result;
}

/** What the scheduler logs to: pino's and Fastify's loggers fit. */
export interface JobLog {
  info(message: string): void;
  error(message: string): void;
}

/** The parts of a runtime a job needs (a Runtime fits). */
export interface JobRuntime {
  readonly handle: Pick<DatabaseHandle, 'db' | 'kind'>;
  readonly services: Pick<Services, 'lifecycle' | 'digest' | 'clock' | 'config'>;
}

export interface RunJobOptions {
  /** The time the job runs "as of" (R41 `--now`). */
  now: Date;
  /** Lifecycle only: report what would be done, change nothing (no lock taken, no run recorded). */
  dryRun?: boolean;
  /** Receives the one-line summary. */
  log?: JobLog;
  /**
   * Skip (`already-ran`) when a successful run of this job started at or after this time: checked
   * under the lock, so that processes firing the same slot a moment apart run it once.
   */
  unlessRanSince?: Date;
}

/** Advisory lock keys: (namespace, job) in the two-int4 form, which pg_locks shows as (classid, objid). */
export const LOCK_NAMESPACE = 0x4e584143; // "NXAC"
export const LOCK_KEYS: Readonly<Record<JobName, number>> = { lifecycle: 1, digest: 2 };

type Session = Db;

/** Takes the job's session-level advisory lock if nobody holds it (see tryJobLock). */
async function tryLock(session: Session, job: JobName): Promise<boolean> {
  return tryJobLock(session, LOCK_NAMESPACE, LOCK_KEYS[job]);
}

async function unlock(session: Session, job: JobName): Promise<void> {
  await releaseJobLock(session, LOCK_NAMESPACE, LOCK_KEYS[job]);
}

/**
 * Runs `work` holding the job's lock, or returns undefined when another session holds it. With
 * PostgreSQL the lock lives on one pooled connection, held aside for the whole run, so that lock
 * and unlock happen in the same session while the job uses the rest of the pool. PGlite is a
 * single session (and a pool of one connection, which the job needs): the lock is taken and
 * released through the pool, which reaches that same session.
 */
async function withJobLock<T>(
  handle: JobRuntime['handle'],
  job: JobName,
  work: () => Promise<T>,
): Promise<T | undefined> {
  const inSession = <R>(use: (session: Session) => Promise<R>): Promise<R> =>
    handle.kind === 'postgres' ? handle.db.connection().execute(use) : use(handle.db);
  return inSession(async (session) => {
    if (!(await tryLock(session, job))) return undefined;
    try {
      return await work();
    } finally {
      await unlock(session, job);
    }
  });
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function outcomeOf(job: JobName, result: LifecycleRunResult | DigestRunResult): 'ok' | 'partial' {
  return job === 'lifecycle' && (result as LifecycleRunResult).failures.length > 0 ? 'partial' : 'ok';
}

function summaryOf(job: JobName, result: LifecycleRunResult | DigestRunResult): Record<string, unknown> {
  if (job === 'digest') {
    const { week, recipients, sent } = result as DigestRunResult;
    return { week, recipients, sent };
  }
  const { counts, items, failures } = result as LifecycleRunResult;
  return { ...counts, actions: items.length, failures: failures.length, failed: failures.slice(0, 20) };
}

/** The one log line of a run. */
export function summaryLine(
  job: JobName,
  now: Date,
  result: LifecycleRunResult | DigestRunResult | JobSkipped,
  ms?: number,
): string {
  const head = `${job === 'lifecycle' ? 'lifecycle job' : 'admin digest'} as of ${now.toISOString()}`;
  const took = ms === undefined ? '' : ` in ${Math.round(ms)} ms`;
  if (isSkipped(result)) {
    return `${head}: skipped, ${result.skipped === 'locked' ? 'another process is running it' : 'another process has just run it'}`;
  }
  if (job === 'digest') {
    const { week, recipients, sent } = result as DigestRunResult;
    return `${head}: week ${week}, ${recipients} recipients, ${sent} digests queued${took}`;
  }
  const { counts, failures, dryRun } = result as LifecycleRunResult;
  return (
    `${head}${dryRun ? ' (dry run)' : ''}: ${counts.warned} warned, ${counts.archived} archived for inactivity, ` +
    `${counts.accessEnded} access ended, ${counts.deleted} deleted, ${counts.emails} emails queued, ${failures.length} failed${took}`
  );
}

/**
 * Runs one job now, as of `options.now`: under the job's advisory lock, recorded in job_runs.
 * Returns the job's result, or `{ skipped }` when another process holds the lock. Used by the
 * schedule and by the command line. A dry run (lifecycle only) takes no lock and records nothing.
 */
export async function runJobOnce<J extends JobName>(
  runtime: JobRuntime,
  job: J,
  options: RunJobOptions,
): Promise<JobResults[J] | JobSkipped> {
  const { services, handle } = runtime;
  const { now, log } = options;
  const started = performance.now();
  if (options.dryRun) {
    if (job !== 'lifecycle') throw new Error(`The ${job} job has no dry run`);
    const result = await services.lifecycle.run({ now, dryRun: true });
    log?.info(summaryLine(job, now, result, performance.now() - started));
    return result as JobResults[J];
  }
  const db = handle.db;
  const ran = await withJobLock(handle, job, async (): Promise<JobResults[J] | JobSkipped> => {
    if (options.unlessRanSince) {
      const recent = await hasSuccessfulRunSince(db, job, options.unlessRanSince);
      if (recent) return { skipped: 'already-ran' };
    }
    const id = await startJobRun(db, { job, asOf: now, startedAt: services.clock.now() });
    try {
      const result = (
        job === 'lifecycle' ? await services.lifecycle.run({ now }) : await services.digest.send({ now })
      ) as JobResults[J];
      await finishJobRun(db, id, {
        finishedAt: services.clock.now(),
        outcome: outcomeOf(job, result),
        summary: summaryOf(job, result),
      });
      return result;
    } catch (error) {
      // Recorded as failed; if even that fails (the database is gone), the row stays unfinished.
      await finishJobRun(db, id, {
        finishedAt: services.clock.now(),
        outcome: 'failed',
        summary: { error: errorText(error) },
      }).catch(() => {});
      throw error;
    }
  });
  const result = ran ?? { skipped: 'locked' as const };
  log?.info(summaryLine(job, now, result, performance.now() - started));
  return result;
}

export interface SchedulerOptions {
  log?: JobLog;
  /**
   * On start, run a job at once when its latest scheduled time passed while no process was
   * running it (default true). Only once the job has run successfully before: a new database
   * waits for the first scheduled time.
   */
  catchUp?: boolean;
}

export type Scheduler = (() => Promise<void>) & {
  /** The croner jobs: nextRun(), trigger() (runs it now, as a scheduled run would). */
  readonly jobs: Readonly<Record<JobName, Cron>>;
  /** Resolves when no run (scheduled, triggered or catch-up) is in progress. */
  settled(): Promise<void>;
};

const SILENT: JobLog = { info: () => {}, error: () => {} };

/**
 * Starts the croner schedules (times in LIFECYCLE_TIMEZONE) and returns stop(), which stops them
 * and waits for a run in progress. A slot fired by several processes is run by one: the lock
 * keeps them apart, and a process that fires a moment after another has finished sees its run.
 */
export function startScheduler(runtime: JobRuntime, options: SchedulerOptions = {}): Scheduler {
  const { services, handle } = runtime;
  const log = options.log ?? SILENT;
  const inFlight = new Set<Promise<unknown>>();
  let stopped = false;

  const track = (run: Promise<unknown>): Promise<void> => {
    const settled = run.then(
      () => {},
      () => {},
    );
    inFlight.add(settled);
    void settled.finally(() => inFlight.delete(settled));
    return settled;
  };

  /** How long after a slot another process's run counts as that slot's run: half the gap between slots, at most 10 minutes. */
  const slotWindowMs = (cron: Cron): number => {
    const [a, b] = cron.nextRuns(2);
    return a && b ? Math.min(10 * 60_000, (b.getTime() - a.getTime()) / 2) : 10 * 60_000;
  };

  const runNow = (job: JobName, unlessRanSince: Date): Promise<void> => {
    const now = services.clock.now();
    return track(
      runJobOnce(runtime, job, { now, log, unlessRanSince }).catch((error: unknown) => {
        log.error(
          `${job === 'lifecycle' ? 'lifecycle job' : 'admin digest'} as of ${now.toISOString()} failed: ${errorText(error)}`,
        );
        throw error;
      }),
    );
  };

  // Validate both before scheduling either.
  const patterns = {
    lifecycle: scheduleOf(services.config, 'lifecycle'),
    digest: scheduleOf(services.config, 'digest'),
  };
  const jobs = {} as Record<JobName, Cron>;
  for (const job of JOB_NAMES) {
    const pattern = patterns[job];
    jobs[job] = new Cron(
      pattern.getPattern()!,
      { timezone: services.config.lifecycle.timezone, protect: true },
      async (self) => {
        if (stopped) return;
        await runNow(job, new Date(services.clock.now().getTime() - slotWindowMs(self)));
      },
    );
  }

  if (options.catchUp ?? true) {
    for (const job of JOB_NAMES) {
      void track(
        (async () => {
          const now = services.clock.now();
          const slot = jobs[job].previousRuns(1, now)[0];
          if (!slot) return;
          const lastAt = await lastSuccessfulRunStart(handle.db, job);
          // Never run before: wait for the schedule. Ran since the last slot: nothing was missed.
          if (!lastAt || new Date(lastAt) >= slot || stopped) return;
          log.info(
            `${job === 'lifecycle' ? 'lifecycle job' : 'admin digest'}: the run due at ${slot.toISOString()} was missed; running it now`,
          );
          await runNow(job, slot);
        })().catch((error: unknown) => log.error(`${job} catch-up check failed: ${errorText(error)}`)),
      );
    }
  }

  const settled = async (): Promise<void> => {
    while (inFlight.size > 0) await Promise.all(inFlight);
  };
  const stop = async (): Promise<void> => {
    stopped = true;
    for (const cron of Object.values(jobs)) cron.stop();
    await settled();
  };
  return Object.assign(stop, { jobs, settled });
}
