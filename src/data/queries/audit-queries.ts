import type { Executor } from '../database.ts';

export interface AuditEntry {
  occurredAt: Date;
  action: string;
  actorAccountId: string | null;
  actorLabel: string;
  organisationId: number | null;
  subjectAccountId: string | null;
  ip: string | null;
  requestId: string | null;
  details?: Record<string, unknown>;
  securityAlert?: boolean;
}

export async function insertAuditEvent(db: Executor, entry: AuditEntry): Promise<void> {
  await db
    .insertInto('audit_events')
    .values({
      occurred_at: entry.occurredAt,
      action: entry.action,
      actor_account_id: entry.actorAccountId,
      actor_label: entry.actorLabel,
      organisation_id: entry.organisationId,
      subject_account_id: entry.subjectAccountId,
      ip: entry.ip,
      request_id: entry.requestId,
      details: JSON.stringify(entry.details ?? {}),
      security_alert: entry.securityAlert ?? false,
    })
    .execute();
}

export async function auditEventsForAccount(db: Executor, accountId: string, limit = 100) {
  return db.selectFrom('audit_events').selectAll().where('subject_account_id', '=', accountId)
    .orderBy('occurred_at', 'desc').orderBy('id', 'desc').limit(limit).execute();
}
