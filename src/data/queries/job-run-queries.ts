import { sql } from 'kysely';
import type { Db, Executor } from '../database.ts';

/** The scheduled jobs' records (`job_runs`) and their advisory locks. The schedule itself: jobs/. */

/**
 * Takes a session-level advisory lock (namespace, key) if nobody holds it. The pg_locks check comes
 * first because advisory locks are re-entrant within a session, and PGlite has only one session:
 * there, a second caller in the same process would otherwise "take" a lock that is already held.
 * `session` must be one connection: the lock is released by `releaseJobLock` on the same one.
 */
export async function tryJobLock(session: Db, namespace: number, key: number): Promise<boolean> {
  const { rows } = await sql<{ locked: boolean }>`
    SELECT CASE WHEN EXISTS (
      SELECT 1 FROM pg_locks
      WHERE locktype = 'advisory' AND granted
        AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
        AND classid = ${sql.lit(namespace)}::bigint::oid AND objid = ${sql.lit(key)}::bigint::oid AND objsubid = 2
    ) THEN false ELSE pg_try_advisory_lock(${sql.lit(namespace)}, ${sql.lit(key)}) END AS locked`.execute(session);
  return rows[0]?.locked === true;
}

export async function releaseJobLock(session: Db, namespace: number, key: number): Promise<void> {
  await sql`SELECT pg_advisory_unlock(${sql.lit(namespace)}, ${sql.lit(key)})`.execute(session);
}

/** Whether a successful run (ok or partial) of the job started at or after `since`. */
export async function hasSuccessfulRunSince(db: Executor, job: string, since: Date): Promise<boolean> {
  const recent = await db
    .selectFrom('job_runs')
    .select('id')
    .where('job', '=', job)
    .where('outcome', 'in', ['ok', 'partial'])
    .where('started_at', '>=', since)
    .limit(1)
    .executeTakeFirst();
  return recent !== undefined;
}

/** When the job's latest successful run (ok or partial) started; undefined if it never ran. */
export async function lastSuccessfulRunStart(db: Executor, job: string) {
  const last = await db
    .selectFrom('job_runs')
    .select((eb) => eb.fn.max('started_at').as('at'))
    .where('job', '=', job)
    .where('outcome', 'in', ['ok', 'partial'])
    .executeTakeFirst();
  return last?.at ?? undefined;
}

/** Records the start of a run; returns its id. */
export async function startJobRun(db: Executor, run: { job: string; asOf: Date; startedAt: Date }): Promise<string> {
  const { id } = await db
    .insertInto('job_runs')
    .values({ job: run.job, as_of: run.asOf, started_at: run.startedAt, summary: {} })
    .returning('id')
    .executeTakeFirstOrThrow();
  return id;
}

export async function finishJobRun(
  db: Executor,
  id: string,
  end: { finishedAt: Date; outcome: 'ok' | 'partial' | 'failed'; summary: Record<string, unknown> },
): Promise<void> {
  await db
    .updateTable('job_runs')
    .set({ finished_at: end.finishedAt, outcome: end.outcome, summary: end.summary })
    .where('id', '=', id)
    .execute();
}
