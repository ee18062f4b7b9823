import { sql } from 'kysely';
import type { Executor } from '../database.ts';
import { CHUNK_SIZE, inChunks } from './chunks.ts';

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

/** Schools (by id or URN) and school groups (by id) that audit events name by number. */
export interface AuditReferences {
  readonly schoolIds: readonly number[];
  readonly urns: readonly number[];
  readonly groupIds: readonly number[];
}

export interface AuditNameRow {
  kind: 'school' | 'group';
  id: number;
  urn: number | null;
  name: string;
}

/** The chunk `i` of each list, so that no statement passes PostgreSQL's bind-parameter limit. */
function chunkOf<T>(items: readonly T[], i: number): T[] {
  return items.slice(i * CHUNK_SIZE, (i + 1) * CHUNK_SIZE);
}

/**
 * The names behind the numbers in a page of audit events, in one statement for a page (a long
 * export: one per 500 of each), and only the organisation's own schools and groups.
 */
export async function auditNames(db: Executor, organisationId: number, refs: AuditReferences): Promise<AuditNameRow[]> {
  const rows: AuditNameRow[] = [];
  const rounds = Math.ceil(Math.max(refs.schoolIds.length, refs.urns.length, refs.groupIds.length) / CHUNK_SIZE);
  for (let i = 0; i < rounds; i++) {
    const schoolIds = chunkOf(refs.schoolIds, i);
    const urns = chunkOf(refs.urns, i);
    const groupIds = chunkOf(refs.groupIds, i);
    const schools = db
      .selectFrom('schools')
      .select([sql<'school' | 'group'>`'school'`.as('kind'), 'id', sql<number | null>`urn`.as('urn'), 'name'])
      .where('organisation_id', '=', organisationId)
      .where((eb) =>
        eb.or([
          ...(schoolIds.length > 0 ? [eb('id', 'in', schoolIds)] : []),
          ...(urns.length > 0 ? [eb('urn', 'in', urns)] : []),
        ]),
      );
    const groups = db
      .selectFrom('school_groups')
      .select([sql<'school' | 'group'>`'group'`.as('kind'), 'id', sql<number | null>`null::integer`.as('urn'), 'name'])
      .where('organisation_id', '=', organisationId)
      .where('id', 'in', groupIds);
    const query =
      schoolIds.length + urns.length === 0 ? groups : groupIds.length === 0 ? schools : schools.unionAll(groups);
    rows.push(...(await query.execute()));
  }
  return rows;
}

/** The accounts that audit events are about, for their names and links (gone ones are simply absent). */
export async function auditSubjects(db: Executor, ids: readonly string[]) {
  const rows: { id: string; organisation_id: number; first_name: string; last_name: string; username: string }[] = [];
  await inChunks(ids, async (chunk) => {
    rows.push(
      ...(await db
        .selectFrom('accounts')
        .select(['id', 'organisation_id', 'first_name', 'last_name', 'username'])
        .where('id', 'in', chunk)
        .execute()),
    );
  });
  return rows;
}

/** The tombstones (the `account.deleted` events) of deleted accounts. */
export async function auditTombstones(db: Executor, ids: readonly string[]) {
  const rows: { subject_account_id: string | null; occurred_at: Date; actor_label: string; details: unknown }[] = [];
  await inChunks(ids, async (chunk) => {
    rows.push(
      ...(await db
        .selectFrom('audit_events')
        .select(['subject_account_id', 'occurred_at', 'actor_label', 'details'])
        .where('action', '=', 'account.deleted')
        .where('subject_account_id', 'in', chunk)
        .execute()),
    );
  });
  return rows;
}
