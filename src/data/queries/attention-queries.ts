import { sql } from 'kysely';
import type { Executor } from '../database.ts';
import { INACTIVE_SINCE, WARNED } from './lifecycle-queries.ts';

/** The counts on an administrator's home page, for one LA. */
export async function attentionCounts(
  db: Executor,
  organisationId: number,
  options: { inactiveBefore: Date; deletionBefore: Date },
) {
  const row = await db
    .selectFrom('accounts')
    .select([
      sql<string>`count(*) FILTER (WHERE status = 'active' AND ${INACTIVE_SINCE} <= ${options.inactiveBefore})`.as(
        'inactive',
      ),
      sql<string>`count(*) FILTER (WHERE ${WARNED})`.as('warned'),
      sql<string>`count(*) FILTER (WHERE status = 'archived' AND deletion_due_at <= ${options.deletionBefore})`.as(
        'deletions',
      ),
    ])
    .where('organisation_id', '=', organisationId)
    .executeTakeFirstOrThrow();
  return { inactive: Number(row.inactive), warned: Number(row.warned), deletions: Number(row.deletions) };
}
