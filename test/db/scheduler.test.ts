import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, type Config } from '../../src/config.ts';
import { connect, type DatabaseHandle } from '../../src/data/connect.ts';
import { addDays, addMonthsUtc } from '../../src/domain/calendar.ts';
import { ManualClock } from '../../src/domain/clock.ts';
import type { LifecycleRunResult } from '../../src/services/lifecycle/lifecycle-service.ts';
import {
  isSkipped,
  LOCK_KEYS,
  LOCK_NAMESPACE,
  runJobOnce,
  startScheduler,
  type JobLog,
  type JobName,
  type JobRuntime,
} from '../../src/jobs/scheduler.ts';
import { startServer, startWorker } from '../../src/runtime.ts';
import { createServices, type Services } from '../../src/services/index.ts';
import { createAccount, createOrganisation } from '../support/fixtures.ts';
import { unpackMigratedDatabase } from '../support/migrated-data-dir.ts';
import { testConfig } from '../support/test-app.ts';
import { createTestDatabase } from '../support/test-db.ts';

/**
 * The scheduler (R41, R47): runJobOnce under a PostgreSQL advisory lock, recorded in job_runs;
 * the croner schedules, driven through croner's own API (nextRun, trigger) rather than by waiting.
 * On PostgreSQL (TEST_DATABASE_URL) the lock is contended by a second pool or a separate session;
 * on PGlite (one session) by a lock held in the same database.
 */

const POSTGRES = Boolean(process.env.TEST_DATABASE_URL);
const NOW = new Date('2026-11-30T02:00:00Z'); // a Monday

let handle: DatabaseHandle & { url?: string };
let clock: ManualClock;
let config: Config;
let services: Services;
let runtime: JobRuntime;
let camden: number;
let sleepers = 0;

/** A log that keeps its lines. */
function memoryLog(): JobLog & { lines: string[] } {
  const lines: string[] = [];
  return { lines, info: (line) => lines.push(line), error: (line) => lines.push(`ERROR ${line}`) };
}

/** An account that is 15 months inactive at `at`: the lifecycle job warns it. */
async function sleeper(at: Date) {
  sleepers++;
  return createAccount(handle.db, config.secretKey, {
    organisationId: camden,
    username: `sleeper.${sleepers}`,
    lastSignInAt: addMonthsUtc(at, -15),
    createdAt: addMonthsUtc(at, -30),
  });
}

async function jobRuns(job?: JobName) {
  let query = handle.db
    .selectFrom('job_runs')
    .select(['id', 'job', 'as_of', 'started_at', 'finished_at', 'outcome', 'summary'])
    .orderBy('id');
  if (job) query = query.where('job', '=', job);
  return query.execute();
}

async function count(table: 'lifecycle_notices' | 'email_outbox' | 'job_runs'): Promise<number> {
  return Number(
    (
      await handle.db
        .selectFrom(table)
        .select((eb) => eb.fn.countAll<string>().as('n'))
        .executeTakeFirstOrThrow()
    ).n,
  );
}

/** Holds a job's advisory lock from outside the scheduler until release() is called. */
async function holdLock(job: JobName): Promise<() => Promise<void>> {
  if (POSTGRES) {
    // Another session, as another process would be.
    const client = new pg.Client({ connectionString: handle.url });
    await client.connect();
    await client.query('SELECT pg_advisory_lock($1, $2)', [LOCK_NAMESPACE, LOCK_KEYS[job]]);
    return () => client.end();
  }
  // PGlite has a single session: the lock is held in it.
  await sql`SELECT pg_advisory_lock(${LOCK_NAMESPACE}::int, ${LOCK_KEYS[job]}::int)`.execute(handle.db);
  return async () => {
    await sql`SELECT pg_advisory_unlock(${LOCK_NAMESPACE}::int, ${LOCK_KEYS[job]}::int)`.execute(handle.db);
  };
}

/** A runtime whose lifecycle job waits at `gate` once it has started (holding the lock). */
function gatedRuntime(base: JobRuntime): { runtime: JobRuntime; started: Promise<void>; open: () => void } {
  let entered!: () => void;
  let open!: () => void;
  const started = new Promise<void>((resolve) => (entered = resolve));
  const gate = new Promise<void>((resolve) => (open = resolve));
  const lifecycle = base.services.lifecycle;
  return {
    started,
    open,
    runtime: {
      handle: base.handle,
      services: {
        ...base.services,
        lifecycle: {
          ...lifecycle,
          run: async (options) => {
            entered();
            await gate;
            return lifecycle.run(options);
          },
        },
      },
    },
  };
}

beforeAll(async () => {
  handle = await createTestDatabase();
  clock = new ManualClock(NOW);
  config = testConfig({ PORT: '0' });
  services = createServices({ db: handle.db, clock, config, databaseKind: handle.kind });
  runtime = { handle, services };
  camden = await createOrganisation(handle.db, '202', 'Camden');
  await createOrganisation(handle.db, 'central', 'NCER Support');
  await createAccount(handle.db, config.secretKey, {
    organisationId: camden,
    username: 'camden.admin',
    userType: 'la_admin',
    email: 'admin@camden.gov.uk',
    lastSignInAt: NOW,
  });
});
afterAll(async () => handle?.close());

describe('runJobOnce', () => {
  it('runs the job as of `now`, records the run in job_runs and logs one line; a dry run records and changes nothing', async () => {
    clock.set(NOW);
    const account = await sleeper(NOW);
    const log = memoryLog();
    const result = await runJobOnce(runtime, 'lifecycle', { now: NOW, log });
    expect(isSkipped(result)).toBe(false);
    const run = result as LifecycleRunResult;
    expect(run.items.map((i) => [i.username, i.detail])).toEqual([[account.username, 'first warning']]);
    expect(await jobRuns('lifecycle')).toEqual([
      {
        id: expect.anything(),
        job: 'lifecycle',
        as_of: NOW,
        started_at: NOW,
        finished_at: NOW,
        outcome: 'ok',
        summary: {
          warned: 1,
          archived: 0,
          accessEnded: 0,
          deleted: 0,
          emails: run.counts.emails,
          actions: 1,
          failures: 0,
          failed: [],
        },
      },
    ]);
    expect(log.lines).toEqual([
      expect.stringMatching(
        /^lifecycle job as of 2026-11-30T02:00:00\.000Z: 1 warned, 0 archived for inactivity, 0 access ended, 0 deleted, \d+ emails queued, 0 failed in \d+ ms$/,
      ),
    ]);

    const digest = await runJobOnce(runtime, 'digest', { now: NOW, log });
    expect(digest).toEqual({ week: '2026-W49', recipients: 1, sent: 1 });
    expect((await jobRuns('digest')).map((r) => [r.as_of, r.outcome, r.summary])).toEqual([
      [NOW, 'ok', { week: '2026-W49', recipients: 1, sent: 1 }],
    ]);
    expect(log.lines[1]).toMatch(
      /^admin digest as of 2026-11-30T02:00:00\.000Z: week 2026-W49, 1 recipients, 1 digests queued/,
    );

    // A month later the 16-month warning is due: the dry run reports it, takes no lock, writes nothing.
    const before = await Promise.all([count('job_runs'), count('lifecycle_notices'), count('email_outbox')]);
    const dry = await runJobOnce(runtime, 'lifecycle', { now: addMonthsUtc(NOW, 1), dryRun: true });
    expect((dry as LifecycleRunResult).items.map((i) => [i.username, i.detail])).toEqual([
      [account.username, 'second warning'],
    ]);
    expect(await Promise.all([count('job_runs'), count('lifecycle_notices'), count('email_outbox')])).toEqual(before);
  });

  it('records a failed run as failed, rethrows, and releases the lock', async () => {
    const failing: JobRuntime = {
      handle,
      services: {
        ...services,
        lifecycle: { ...services.lifecycle, run: () => Promise.reject(new Error('disk on fire')) },
      },
    };
    await expect(runJobOnce(failing, 'lifecycle', { now: NOW })).rejects.toThrow('disk on fire');
    const last = (await jobRuns('lifecycle')).at(-1)!;
    expect(last).toMatchObject({ as_of: NOW, outcome: 'failed', summary: { error: 'disk on fire' } });
    expect(last.finished_at).not.toBeNull();
    expect(isSkipped(await runJobOnce(runtime, 'lifecycle', { now: NOW }))).toBe(false);
  });

  it(`returns { skipped: 'locked' } and does nothing while ${POSTGRES ? 'another session' : 'the database'} holds the job's lock; other jobs are not held up`, async () => {
    const at = addDays(NOW, 1);
    await sleeper(at);
    const release = await holdLock('lifecycle');
    let runsBefore: number;
    let noticesBefore: number;
    try {
      runsBefore = (await jobRuns('lifecycle')).length;
      noticesBefore = await count('lifecycle_notices');
      expect(await runJobOnce(runtime, 'lifecycle', { now: at })).toEqual({ skipped: 'locked' });
      expect(await runJobOnce(runtime, 'lifecycle', { now: at })).toEqual({ skipped: 'locked' });
      expect(await jobRuns('lifecycle')).toHaveLength(runsBefore);
      expect(await count('lifecycle_notices')).toBe(noticesBefore);
      // The digest has its own lock.
      expect(isSkipped(await runJobOnce(runtime, 'digest', { now: at }))).toBe(false);
    } finally {
      await release();
    }
    const ran = await runJobOnce(runtime, 'lifecycle', { now: at });
    expect((ran as LifecycleRunResult).counts.warned).toBe(1);
    expect(await jobRuns('lifecycle')).toHaveLength(runsBefore + 1);
  });

  it(`a second run while the first holds the lock is skipped (${POSTGRES ? 'two runtimes, two pools' : 'one PGlite session'})`, async () => {
    const at = addDays(NOW, 2);
    await sleeper(at);
    const other: DatabaseHandle = POSTGRES ? await connect({ databaseUrl: handle.url, poolSize: 3 }) : handle;
    try {
      const otherRuntime: JobRuntime = POSTGRES
        ? { handle: other, services: createServices({ db: other.db, clock, config, databaseKind: 'postgres' }) }
        : runtime;
      const slow = gatedRuntime(runtime);
      const first = runJobOnce(slow.runtime, 'lifecycle', { now: at });
      await slow.started; // the first run holds the lock and is inside the job
      const runsBefore = (await jobRuns('lifecycle')).length;
      expect(await runJobOnce(otherRuntime, 'lifecycle', { now: at })).toEqual({ skipped: 'locked' });
      expect(await jobRuns('lifecycle')).toHaveLength(runsBefore);
      slow.open();
      const result = await first;
      expect((result as LifecycleRunResult).counts.warned).toBe(1);
      expect((await jobRuns('lifecycle')).at(-1)).toMatchObject({ as_of: at, outcome: 'ok' });
      // Released: the other runtime runs now (and finds nothing new to do).
      expect(((await runJobOnce(otherRuntime, 'lifecycle', { now: at })) as LifecycleRunResult).items).toEqual([]);
    } finally {
      if (other !== handle) await other.close();
    }
  });
});

describe('startScheduler', () => {
  it('schedules the jobs with the configured patterns in the configured time zone', async () => {
    const scheduler = startScheduler(runtime, { catchUp: false });
    try {
      const { lifecycle, digest } = scheduler.jobs;
      expect([lifecycle.getPattern(), digest.getPattern()]).toEqual(['0 2 * * *', '0 7 * * 1']);
      // 02:00 Europe/London: 01:00 UTC in summer, 02:00 UTC in winter.
      expect(lifecycle.nextRun(new Date('2026-07-01T12:00:00Z'))).toEqual(new Date('2026-07-02T01:00:00Z'));
      expect(lifecycle.nextRun(new Date('2026-12-01T12:00:00Z'))).toEqual(new Date('2026-12-02T02:00:00Z'));
      // Mondays 07:00 Europe/London.
      expect(digest.nextRun(new Date('2026-11-26T12:00:00Z'))).toEqual(new Date('2026-11-30T07:00:00Z'));
      expect(digest.nextRun(new Date('2026-05-27T12:00:00Z'))).toEqual(new Date('2026-06-01T06:00:00Z'));
    } finally {
      await scheduler();
    }
    const custom = startScheduler(
      {
        handle,
        services: {
          ...services,
          config: testConfig({
            LIFECYCLE_SCHEDULE: '30 3 * * *',
            DIGEST_SCHEDULE: '0 9 * * 5',
            LIFECYCLE_TIMEZONE: 'UTC',
          }),
        },
      },
      { catchUp: false },
    );
    try {
      expect(custom.jobs.lifecycle.nextRun(new Date('2026-07-01T12:00:00Z'))).toEqual(new Date('2026-07-02T03:30:00Z'));
      expect(custom.jobs.digest.nextRun(new Date('2026-11-26T12:00:00Z'))).toEqual(new Date('2026-11-27T09:00:00Z'));
    } finally {
      await custom();
    }
  });

  it('a scheduled run runs the job as of the clock under the lock, and a process firing the same slot again does nothing', async () => {
    const at = addDays(NOW, 3);
    clock.set(at);
    const account = await sleeper(at);
    const log = memoryLog();
    const scheduler = startScheduler(runtime, { log, catchUp: false });
    try {
      const before = (await jobRuns()).length;
      await scheduler.jobs.lifecycle.trigger();
      const [run] = (await jobRuns()).slice(before);
      expect(run).toMatchObject({ job: 'lifecycle', as_of: at, outcome: 'ok', summary: { warned: 1 } });
      expect(
        await handle.db.selectFrom('lifecycle_notices').select('stage').where('account_id', '=', account.id).execute(),
      ).toEqual([{ stage: 'warning_1' }]);

      // Fired again for the same slot (as another worker a moment later would): skipped.
      await scheduler.jobs.lifecycle.trigger();
      expect(await jobRuns()).toHaveLength(before + 1);

      // The next night runs again; the digest runs on its own schedule.
      clock.set(addDays(at, 1));
      await scheduler.jobs.lifecycle.trigger();
      await scheduler.jobs.digest.trigger();
      expect((await jobRuns()).slice(before).map((r) => [r.job, r.as_of])).toEqual([
        ['lifecycle', at],
        ['lifecycle', addDays(at, 1)],
        ['digest', addDays(at, 1)],
      ]);
      expect(log.lines).toEqual([
        expect.stringMatching(/^lifecycle job as of .*: 1 warned/),
        expect.stringMatching(/^lifecycle job as of .*: skipped, another process has just run it$/),
        expect.stringMatching(/^lifecycle job as of .*: 0 warned/),
        expect.stringMatching(/^admin digest as of .*: week 2026-W49, 1 recipients, 0 digests queued/),
      ]);
    } finally {
      await scheduler();
    }
  });

  it('a scheduled run that fails is logged and recorded, and the schedule goes on', async () => {
    const log = memoryLog();
    const failing: JobRuntime = {
      handle,
      services: {
        ...services,
        lifecycle: { ...services.lifecycle, run: () => Promise.reject(new Error('out of memory')) },
      },
    };
    clock.set(addDays(NOW, 10));
    const scheduler = startScheduler(failing, { log, catchUp: false });
    try {
      await scheduler.jobs.lifecycle.trigger();
      expect(log.lines).toEqual([expect.stringMatching(/^ERROR lifecycle job as of .* failed: out of memory$/)]);
      expect((await jobRuns('lifecycle')).at(-1)).toMatchObject({
        outcome: 'failed',
        summary: { error: 'out of memory' },
      });
      expect(scheduler.jobs.lifecycle.isRunning()).toBe(true);
    } finally {
      await scheduler();
    }
  });

  it('stop() stops the schedules and waits for a run in progress', async () => {
    clock.set(addDays(NOW, 20));
    const slow = gatedRuntime(runtime);
    const scheduler = startScheduler(slow.runtime, { catchUp: false });
    const triggered = scheduler.jobs.lifecycle.trigger();
    await slow.started;
    let stopped = false;
    const stopping = scheduler().then(() => (stopped = true));
    for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
    expect(stopped).toBe(false);
    expect(scheduler.jobs.lifecycle.isStopped()).toBe(true);
    slow.open();
    await stopping;
    await triggered;
    expect((await jobRuns('lifecycle')).at(-1)).toMatchObject({ as_of: addDays(NOW, 20), outcome: 'ok' });
  });

  it('on start, runs a job whose last scheduled time was missed, but only once it has run before', async () => {
    const saved = await jobRuns();
    await handle.db.deleteFrom('job_runs').execute();
    clock.set(addDays(NOW, 40));
    // Never run: a new installation waits for the schedule.
    const fresh = startScheduler(runtime);
    await fresh.settled();
    await fresh();
    expect(await jobRuns()).toEqual([]);

    // Last ran 40 days ago: both missed their latest slot, and run at once.
    await handle.db
      .insertInto('job_runs')
      .values(
        saved
          .filter((r) => r.outcome === 'ok')
          .map(({ job, as_of, started_at, finished_at, outcome, summary }) => ({
            job,
            as_of,
            started_at,
            finished_at,
            outcome,
            summary,
          })),
      )
      .execute();
    const log = memoryLog();
    const restarted = startScheduler(runtime, { log });
    await restarted.settled();
    await restarted();
    const caughtUp = (await jobRuns()).filter((r) => r.as_of.getTime() === addDays(NOW, 40).getTime());
    expect(caughtUp.map((r) => [r.job, r.outcome]).sort()).toEqual([
      ['digest', 'ok'],
      ['lifecycle', 'ok'],
    ]);
    expect(log.lines.filter((l) => l.includes('was missed'))).toHaveLength(2);

    // Started again at once: nothing was missed.
    const again = startScheduler(runtime);
    const total = (await jobRuns()).length;
    await again.settled();
    await again();
    expect(await jobRuns()).toHaveLength(total);
  });

  it('refuses a bad schedule or time zone with a configuration error naming the setting', () => {
    const withEnv = (env: Record<string, string>): JobRuntime => ({
      handle,
      services: { ...services, config: testConfig(env) },
    });
    expect(() => startScheduler(withEnv({ LIFECYCLE_SCHEDULE: 'every night' }))).toThrow(ConfigError);
    expect(() => startScheduler(withEnv({ LIFECYCLE_SCHEDULE: 'every night' }))).toThrow(
      /LIFECYCLE_SCHEDULE must be a cron pattern/,
    );
    expect(() => startScheduler(withEnv({ DIGEST_SCHEDULE: '0 7 * * 8' }))).toThrow(
      /DIGEST_SCHEDULE must be a cron pattern/,
    );
    expect(() => startScheduler(withEnv({ LIFECYCLE_TIMEZONE: 'Europe/Atlantis' }))).toThrow(
      /LIFECYCLE_TIMEZONE must be an IANA time zone/,
    );
  });
});

describe('who runs the schedule', () => {
  it(
    POSTGRES
      ? 'with PostgreSQL the server does not; a worker does'
      : 'in embedded mode the server does; a worker is refused',
    async () => {
      const serverConfig = testConfig({ PORT: '0', ...(POSTGRES ? { DATABASE_URL: handle.url! } : {}) });
      if (!POSTGRES) unpackMigratedDatabase(serverConfig.dataDir);
      const server = await startServer(serverConfig, { clock, log: false });
      try {
        if (POSTGRES) {
          expect(server.scheduler).toBeUndefined();
        } else {
          expect(server.scheduler).toBeDefined();
          await server.scheduler!.jobs.digest.trigger();
          expect(await server.runtime.handle.db.selectFrom('job_runs').select(['job', 'outcome']).execute()).toEqual([
            { job: 'digest', outcome: 'ok' },
          ]);
        }
      } finally {
        await server.close();
      }
      if (!POSTGRES) {
        await expect(startWorker(serverConfig)).rejects.toThrow(/needs a PostgreSQL server/);
        return;
      }
      clock.set(addDays(NOW, 41));
      const worker = await startWorker(serverConfig, { clock, log: memoryLog() });
      try {
        await worker.scheduler.settled(); // a catch-up run, if any
        const before = (await jobRuns('digest')).length;
        await worker.scheduler.jobs.digest.trigger();
        expect(await jobRuns('digest')).toHaveLength(before + 1);
      } finally {
        await worker.close();
      }
    },
  );
});
