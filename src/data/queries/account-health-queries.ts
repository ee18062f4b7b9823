import { sql } from 'kysely';
import type { Executor } from '../database.ts';
import { INACTIVE_SINCE, WARNED } from './lifecycle-queries.ts';

/**
 * One LA's accounts counted for the account-health chart, in one pass: archived; warned (the
 * Warned state of Admin > Users); and the other active accounts by inactivity band, where
 * `boundaries` (newest first) separate the bands — band 0 is inactive since after
 * `boundaries[0]`, band i after `boundaries[i]` and on or before `boundaries[i - 1]`, the last on
 * or before the last boundary. The buckets' rule is domain/account-health.ts's `healthBucket`.
 */
export async function accountHealthCounts(
  db: Executor,
  organisationId: number,
  boundaries: readonly Date[],
): Promise<{ archived: number; warned: number; bands: number[] }> {
  const unwarned = sql`accounts.status = 'active' AND NOT ${WARNED}`;
  const bands = [...boundaries, null].map((after, i) => {
    const conditions = [unwarned];
    if (after) conditions.push(sql`${INACTIVE_SINCE} > ${after}`);
    if (i > 0) conditions.push(sql`${INACTIVE_SINCE} <= ${boundaries[i - 1]!}`);
    return sql<string>`count(*) FILTER (WHERE ${sql.join(conditions, sql` AND `)})`.as(`band_${i}`);
  });
  const row = (await db
    .selectFrom('accounts')
    .select([
      sql<string>`count(*) FILTER (WHERE accounts.status = 'archived')`.as('archived'),
      sql<string>`count(*) FILTER (WHERE ${WARNED})`.as('warned'),
      ...bands,
    ])
    .where('organisation_id', '=', organisationId)
    .executeTakeFirstOrThrow()) as Record<string, string>;
  return {
    archived: Number(row.archived),
    warned: Number(row.warned),
    bands: bands.map((_, i) => Number(row[`band_${i}`])),
  };
}
