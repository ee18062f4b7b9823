import type { Executor } from '../database.ts';
import { inChunks } from './chunks.ts';

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

function auditRow(entry: AuditEntry) {
  return {
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
  };
}

export async function insertAuditEvent(db: Executor, entry: AuditEntry): Promise<void> {
  await db.insertInto('audit_events').values(auditRow(entry)).execute();
}

/** Many events in order, a chunk a statement. */
export async function insertAuditEvents(db: Executor, entries: readonly AuditEntry[]): Promise<void> {
  await inChunks(entries, (chunk) => db.insertInto('audit_events').values(chunk.map(auditRow)).execute());
}

export async function auditEventsForAccount(db: Executor, accountId: string, limit = 100) {
  return db
    .selectFrom('audit_events')
    .selectAll()
    .where('subject_account_id', '=', accountId)
    .orderBy('occurred_at', 'desc')
    .orderBy('id', 'desc')
    .limit(limit)
    .execute();
}

export interface AuditFilter {
  organisationId: number;
  action?: string;
  from?: Date;
  /** Exclusive. */
  to?: Date;
}

function auditFiltered(db: Executor, filter: AuditFilter) {
  let query = db.selectFrom('audit_events').where('organisation_id', '=', filter.organisationId);
  if (filter.action) query = query.where('action', '=', filter.action);
  if (filter.from) query = query.where('occurred_at', '>=', filter.from);
  if (filter.to) query = query.where('occurred_at', '<', filter.to);
  return query;
}

export async function auditEventsForOrganisation(db: Executor, filter: AuditFilter, limit: number, offset: number) {
  return auditFiltered(db, filter)
    .selectAll()
    .orderBy('occurred_at', 'desc')
    .orderBy('id', 'desc')
    .limit(limit)
    .offset(offset)
    .execute();
}

/** Keyset page, newest first: the events older than `before` (the API's stable cursors). */
export async function auditEventsBefore(
  db: Executor,
  filter: AuditFilter,
  before: { occurredAt: Date; id: string } | undefined,
  limit: number,
) {
  let query = auditFiltered(db, filter);
  if (before) {
    query = query.where((eb) =>
      eb.or([
        eb('occurred_at', '<', before.occurredAt),
        eb.and([eb('occurred_at', '=', before.occurredAt), eb('id', '<', before.id)]),
      ]),
    );
  }
  return query.selectAll().orderBy('occurred_at', 'desc').orderBy('id', 'desc').limit(limit).execute();
}

export async function countAuditEvents(db: Executor, filter: AuditFilter): Promise<number> {
  const row = await auditFiltered(db, filter)
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

export async function auditActionsOf(db: Executor, organisationId: number): Promise<string[]> {
  const rows = await db
    .selectFrom('audit_events')
    .select('action')
    .distinct()
    .where('organisation_id', '=', organisationId)
    .orderBy('action')
    .execute();
  return rows.map((r) => r.action);
}
