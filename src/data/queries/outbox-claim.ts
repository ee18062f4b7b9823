import { sql } from 'kysely';
import type { Executor } from '../database.ts';

/** The outboxes that are delivered by a worker: each has id, status, attempts, next_attempt_at and lease_until. */
export type LeasedOutbox = 'email_outbox' | 'oidc_logout_outbox';

/**
 * Claims due rows of an outbox with a lease (counting the attempt): rows claimed by a worker that
 * then dies are claimed again once the lease runs out. SKIP LOCKED lets several workers claim
 * disjoint rows.
 */
export async function claimDueRows<Row>(
  db: Executor,
  outbox: LeasedOutbox,
  now: Date,
  leaseUntil: Date,
  limit: number,
): Promise<Row[]> {
  const table = sql.table(outbox);
  const { rows } = await sql<Row>`
    UPDATE ${table} SET lease_until = ${leaseUntil}, attempts = attempts + 1
    WHERE id IN (
      SELECT id FROM ${table}
      WHERE status = 'pending' AND next_attempt_at <= ${now} AND (lease_until IS NULL OR lease_until < ${now})
      ORDER BY next_attempt_at
      LIMIT ${limit}
      FOR UPDATE SKIP LOCKED
    )
    RETURNING *`.execute(db);
  return rows;
}
