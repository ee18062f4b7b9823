import { sql } from 'kysely';
import type { Executor } from '../database.ts';

/** Security alerts (R52) of an LA, newest first, with the account's name while it exists. */
export async function securityAlertsPage(db: Executor, organisationId: number, limit: number, offset: number) {
  return db
    .selectFrom('audit_events')
    .leftJoin('accounts', 'accounts.id', 'audit_events.subject_account_id')
    .select([
      'audit_events.id',
      'audit_events.occurred_at',
      'audit_events.action',
      'audit_events.details',
      'audit_events.ip',
      'accounts.id as account_id',
      'accounts.first_name',
      'accounts.last_name',
    ])
    .where('audit_events.organisation_id', '=', organisationId)
    .where('audit_events.security_alert', '=', true)
    .orderBy('audit_events.occurred_at', 'desc')
    .orderBy('audit_events.id', 'desc')
    .limit(limit)
    .offset(offset)
    .execute();
}

export async function countSecurityAlerts(db: Executor, organisationId: number, since?: Date): Promise<number> {
  let query = db
    .selectFrom('audit_events')
    .select(sql<string>`count(*)`.as('n'))
    .where('organisation_id', '=', organisationId)
    .where('security_alert', '=', true);
  if (since) query = query.where('occurred_at', '>=', since);
  return Number((await query.executeTakeFirstOrThrow()).n);
}
