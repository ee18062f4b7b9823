import { sql } from 'kysely';
import type { Executor } from '../database.ts';

/**
 * Counts an attempt against `key` before the attempt is checked, in one atomic statement, so
 * parallel attempts cannot slip past the limit (R53). Returns the attempts in the current
 * window and any lock in force. The count starts again at 1 when the window has ended with no
 * lock, and when a lock has run out: a lock that has passed must not be re-imposed by the
 * attempts that caused it (which would happen whenever the lock is shorter than the window,
 * or equal to it with every attempt at the same instant).
 */
export async function countAttempt(
  db: Executor,
  key: string,
  now: Date,
  windowStart: Date,
): Promise<{ attempts: number; lockedUntil: Date | null }> {
  const restart = sql<boolean>`(sign_in_throttle.locked_until IS NOT NULL AND sign_in_throttle.locked_until <= ${now})
    OR (sign_in_throttle.locked_until IS NULL AND sign_in_throttle.window_started_at < ${windowStart})`;
  const row = await db
    .insertInto('sign_in_throttle')
    .values({ key, attempts: 1, window_started_at: now, locked_until: null })
    .onConflict((oc) =>
      oc.column('key').doUpdateSet({
        attempts: sql<number>`CASE WHEN ${restart} THEN 1 ELSE sign_in_throttle.attempts + 1 END`,
        window_started_at: sql<Date>`CASE WHEN ${restart} THEN ${now}::timestamptz ELSE sign_in_throttle.window_started_at END`,
        locked_until: sql<Date | null>`CASE WHEN sign_in_throttle.locked_until <= ${now} THEN NULL ELSE sign_in_throttle.locked_until END`,
      }),
    )
    .returning(['attempts', 'locked_until'])
    .executeTakeFirstOrThrow();
  return { attempts: row.attempts, lockedUntil: row.locked_until };
}

export async function lockKey(db: Executor, key: string, until: Date): Promise<void> {
  await db.updateTable('sign_in_throttle').set({ locked_until: until }).where('key', '=', key).execute();
}

export async function clearKey(db: Executor, key: string): Promise<void> {
  await db.deleteFrom('sign_in_throttle').where('key', '=', key).execute();
}

/**
 * Gives back `count` counted attempts (never below zero, never lifting a lock in force), for
 * attempts that turned out to be a success.
 */
export async function refundAttempts(db: Executor, key: string, count: number): Promise<void> {
  await db
    .updateTable('sign_in_throttle')
    .set({ attempts: sql<number>`GREATEST(attempts - ${count}, 0)` })
    .where('key', '=', key)
    .where('locked_until', 'is', null)
    .execute();
}
