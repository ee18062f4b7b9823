import type { Executor } from '../data/database.ts';
import { insertAuditEvent, insertAuditEvents, type AuditEntry } from '../data/queries/audit-queries.ts';
import { isSupportReadOfOtherLa, type Actor } from '../domain/access.ts';
import type { RequestContext } from './request-context.ts';

/** Audit events (R50): written in the same transaction as the change they record. */
export interface AuditRecord {
  action: string;
  organisationId: number | null;
  subjectAccountId: string | null;
  details?: Record<string, unknown>;
  securityAlert?: boolean;
}

/** Who did it: an account, the system, or someone not yet signed in (by the name they typed). */
export interface Who {
  readonly accountId: string | null;
  readonly label: string;
}

export function who(actor: Actor): Who {
  return { accountId: actor.kind === 'account' ? actor.accountId : null, label: actor.label };
}

function auditEntry(by: Who, ctx: RequestContext, now: Date, record: AuditRecord): AuditEntry {
  return {
    occurredAt: now,
    action: record.action,
    actorAccountId: by.accountId,
    actorLabel: by.label.slice(0, 200) || 'unknown',
    organisationId: record.organisationId,
    subjectAccountId: record.subjectAccountId,
    ip: ctx.ip,
    requestId: ctx.requestId,
    details: record.details ?? {},
    securityAlert: record.securityAlert ?? false,
  };
}

export async function audit(db: Executor, by: Who, ctx: RequestContext, now: Date, record: AuditRecord): Promise<void> {
  await insertAuditEvent(db, auditEntry(by, ctx, now, record));
}

/** Many events of one actor and request, in chunks (bulk import). */
export async function auditMany(
  db: Executor,
  by: Who,
  ctx: RequestContext,
  now: Date,
  records: readonly AuditRecord[],
): Promise<void> {
  await insertAuditEvents(
    db,
    records.map((r) => auditEntry(by, ctx, now, r)),
  );
}

/**
 * A read by central support of another LA's data (issue 11), as one event in THAT LA's log, the
 * support person as actor: one per request, never one per row. Nothing for anyone else's reads
 * (an LA reading its own people is not audited; `isSupportReadOfOtherLa`).
 */
export async function auditSupportRead(
  db: Executor,
  actor: Actor,
  ctx: RequestContext,
  now: Date,
  read: {
    organisationId: number;
    /** What was read, in words ("Users list", "User details"). */
    what: string;
    subjectAccountId?: string | null;
    details?: Record<string, unknown>;
  },
): Promise<void> {
  if (!isSupportReadOfOtherLa(actor, read.organisationId)) return;
  await audit(db, who(actor), ctx, now, {
    action: 'support.read',
    organisationId: read.organisationId,
    subjectAccountId: read.subjectAccountId ?? null,
    details: { read: read.what, ...read.details },
  });
}

/** `{ field: [before, after] }` for the fields that changed. */
export function changes<T extends Record<string, unknown>>(
  before: T,
  after: Partial<T>,
): Record<string, [unknown, unknown]> {
  const out: Record<string, [unknown, unknown]> = {};
  for (const [key, value] of Object.entries(after)) {
    if (value !== undefined && JSON.stringify(before[key]) !== JSON.stringify(value))
      out[key] = [before[key] ?? null, value];
  }
  return out;
}
