import type { Organisation } from '../../data/database.ts';
import {
  auditActionsOf,
  auditEventsBefore,
  auditEventsForAccount,
  auditEventsForOrganisation,
  auditNames,
  auditSubjects,
  auditTombstones,
  countAuditEvents,
  type AuditFilter,
} from '../../data/queries/audit-queries.ts';
import { decide, type Actor } from '../../domain/access.ts';
import { auditAccount, auditNameMaps, auditReferences, type AuditAccount } from '../../domain/audit-references.ts';
import { describeAuditEvent } from '../../domain/audit-sentences.ts';
import type { AuditContext } from '../../domain/audit-values.ts';
import { startOfDayIn } from '../../domain/calendar.ts';
import { fullName } from '../../domain/names.ts';
import { toCsv } from '../../domain/csv.ts';
import { decodeCursor, encodeCursor } from '../../domain/cursor.ts';
import { ValidationError } from '../../domain/errors.ts';
import { accountFor } from '../accounts/account-operations.ts';
import { audit, auditSupportRead, who } from '../audit.ts';
import { formatDate, formatDateTime, type ServiceDeps } from '../deps.ts';
import { organisationInScope } from '../organisation-scope.ts';
import { SYSTEM_CONTEXT, type RequestContext } from '../request-context.ts';

export const AUDIT_PAGE_SIZE = 50;

/** An audit event as the pages and the CSV show it: the same words in both (R50). */
export interface AuditRow {
  readonly id: string;
  readonly occurredAt: Date;
  /** "4 December 2026 at 3:05pm", in the service's time zone. */
  readonly when: string;
  readonly label: string;
  readonly sentence: string;
  readonly lines: readonly string[];
  readonly by: string;
  readonly ip: string | null;
  readonly securityAlert: boolean;
  readonly account: AuditAccount | null;
}

interface StoredEvent {
  id: string;
  occurred_at: Date;
  action: string;
  actor_label: string;
  subject_account_id: string | null;
  ip: string | null;
  security_alert: boolean;
  details: unknown;
}

const EXPORT_LIMIT = 100_000;

export interface AuditQuery {
  la?: string;
  action?: string;
  from?: string;
  to?: string;
  page?: string;
}

function day(value: string | undefined, field: string, errors: Record<string, string>): Date | undefined {
  if (!value) return undefined;
  const date = /^\d{4}-\d{2}-\d{2}$/.test(value) ? new Date(`${value}T00:00:00Z`) : new Date(NaN);
  if (Number.isNaN(date.getTime()) || date.toISOString().slice(0, 10) !== value) {
    errors[field] = 'Enter a real date, like 2026-11-01';
    return undefined;
  }
  return date;
}

/** Audit views (R50): a timeline per account and a filterable log per LA, with CSV export. */
export function createAuditViewService(deps: ServiceDeps) {
  const { db } = deps;

  async function filterFor(
    actor: Actor,
    query: AuditQuery,
  ): Promise<{ filter: AuditFilter; organisation: Organisation }> {
    const organisation = await organisationInScope(db, actor, query.la, 'audit.view');
    const errors: Record<string, string> = {};
    const from = day(query.from, 'from', errors);
    const toDay = day(query.to, 'to', errors);
    if (query.action && !/^[a-z0-9.-]{1,60}$/.test(query.action)) errors.action = 'Select an action from the list';
    if (Object.keys(errors).length > 0) throw new ValidationError(errors);
    return {
      organisation,
      filter: {
        organisationId: organisation.id,
        action: query.action || undefined,
        from,
        to: toDay ? new Date(toDay.getTime() + 86_400_000) : undefined,
      },
    };
  }

  const timeZone = deps.config.lifecycle.timezone;
  const dates = {
    date: (instant: Date) => formatDate(instant, timeZone),
    dateTime: (instant: Date) => formatDateTime(instant, timeZone),
    day: (date: string) => formatDate(startOfDayIn(date, timeZone), timeZone),
  };

  /**
   * Events in words: the schools and groups they name by number read in one query for the lot (per
   * 500 of each in a long export), their accounts in another, scoped to `organisationId`.
   */
  async function describeEvents(
    actor: Actor,
    organisationId: number,
    events: readonly StoredEvent[],
  ): Promise<AuditRow[]> {
    const subjectIds = [...new Set(events.map((e) => e.subject_account_id).filter((id): id is string => id !== null))];
    const [names, subjects] = await Promise.all([
      auditNames(db, organisationId, auditReferences(events)),
      auditSubjects(db, subjectIds),
    ]);
    const found = new Map(subjects.map((s) => [s.id, s]));
    const gone = subjectIds.filter((id) => !found.has(id));
    const tombstones = new Map(
      (gone.length > 0 ? await auditTombstones(db, gone) : []).map((t) => [t.subject_account_id, t]),
    );
    const ctx: AuditContext = {
      ...dates,
      ...auditNameMaps(names),
      topicNames: deps.config.topicNames,
      jobRunFor: (dueAt) => deps.schedule.runs.nextRunAtOrAfter(dueAt),
    };
    const accountOf = (id: string | null): AuditAccount | null => {
      if (id === null) return null;
      const subject = found.get(id);
      if (subject) {
        const target = { organisationId: subject.organisation_id, accountId: subject.id };
        return auditAccount({
          kind: 'account',
          id: subject.id,
          name: fullName(subject),
          username: subject.username,
          visible: decide(actor, 'users.view', target) === 'allow',
          sameOrganisation: subject.organisation_id === organisationId,
        });
      }
      const tombstone = tombstones.get(id);
      if (!tombstone) return auditAccount({ kind: 'unknown' });
      return auditAccount({
        kind: 'deleted',
        deletedOn: dates.date(tombstone.occurred_at),
        deletedBy: tombstone.actor_label,
      });
    };
    return events.map((e) => ({
      id: e.id,
      occurredAt: e.occurred_at,
      when: dates.dateTime(e.occurred_at),
      ...describeAuditEvent(e, ctx),
      by: e.actor_label,
      ip: e.ip,
      securityAlert: e.security_alert,
      account: accountOf(e.subject_account_id),
    }));
  }

  return {
    async forAccount(actor: Actor, id: string) {
      const account = await accountFor(deps, actor, 'users.view-audit', id);
      const events = await auditEventsForAccount(db, account.id, 500);
      return { account, events, rows: await describeEvents(actor, account.organisation_id, events) };
    },

    /** `ctx`: the request, for the audit of central support's reads of another LA (auditSupportRead). */
    async forOrganisation(actor: Actor, query: AuditQuery, ctx: RequestContext = SYSTEM_CONTEXT) {
      const { filter, organisation } = await filterFor(actor, query);
      const page = query.page && /^[0-9]{1,6}$/.test(query.page) && Number(query.page) > 0 ? Number(query.page) : 1;
      const [total, events, actions] = await Promise.all([
        countAuditEvents(db, filter),
        auditEventsForOrganisation(db, filter, AUDIT_PAGE_SIZE, (page - 1) * AUDIT_PAGE_SIZE),
        auditActionsOf(db, organisation.id),
      ]);
      // Recorded after the read, so the page does not show its own event.
      await auditSupportRead(db, actor, ctx, deps.clock.now(), {
        organisationId: organisation.id,
        what: 'Audit log',
        details: { events: events.length },
      });
      return {
        organisation,
        total,
        events,
        rows: await describeEvents(actor, organisation.id, events),
        actions,
        page,
        pageCount: Math.max(1, Math.ceil(total / AUDIT_PAGE_SIZE)),
      };
    },

    /** The API's page of the LA's log, newest first, after a stable cursor (R56). */
    async page(
      actor: Actor,
      query: AuditQuery,
      cursor: string | undefined,
      limit: number,
      ctx: RequestContext = SYSTEM_CONTEXT,
    ) {
      const { filter, organisation } = await filterFor(actor, query);
      const key = cursor === undefined ? undefined : decodeCursor('audit', cursor, ['instant', 'bigint']);
      if (cursor !== undefined && !key)
        throw new ValidationError({ cursor: 'The cursor is not one this API gave out' });
      const before = key ? { occurredAt: new Date(key[0]!), id: key[1]! } : undefined;
      const rows = await auditEventsBefore(db, filter, before, limit + 1);
      const items = rows.slice(0, limit);
      const last = items[items.length - 1];
      const next =
        rows.length > limit && last ? encodeCursor('audit', [last.occurred_at.toISOString(), String(last.id)]) : null;
      // In the words the pages use (one renderer), read before this read is itself recorded.
      const described = await describeEvents(actor, organisation.id, items);
      await auditSupportRead(db, actor, ctx, deps.clock.now(), {
        organisationId: organisation.id,
        what: 'Audit log',
        details: { events: items.length },
      });
      return { organisation, items: items.map((e, i) => ({ ...e, words: described[i]! })), next };
    },

    async exportCsv(actor: Actor, query: AuditQuery, ctx: RequestContext): Promise<{ filename: string; csv: string }> {
      const { filter, organisation } = await filterFor(actor, query);
      const events = await auditEventsForOrganisation(db, filter, EXPORT_LIMIT, 0);
      // Recorded after the read, so the export does not contain its own event.
      await audit(db, who(actor), ctx, deps.clock.now(), {
        action: 'audit.exported',
        organisationId: organisation.id,
        subjectAccountId: null,
        details: {
          filters: Object.fromEntries(
            Object.entries({ action: query.action, from: query.from, to: query.to }).filter(([, v]) => v),
          ),
          events: events.length,
        },
      });
      const rows = await describeEvents(actor, organisation.id, events);
      // The page's words, a column each; the time also as UTC, so that the file sorts and joins.
      const csv = toCsv(
        ['When', 'When (UTC)', 'What', 'What happened', 'Details', 'By', 'Account', 'Address', 'Security alert'],
        rows.map((r) => [
          r.when,
          r.occurredAt.toISOString(),
          r.label,
          r.sentence,
          r.lines.join('\n'),
          r.by,
          r.account ? [r.account.name, r.account.note && `(${r.account.note})`].filter(Boolean).join(' ') : '',
          r.ip ?? '',
          r.securityAlert ? 'yes' : '',
        ]),
      );
      return {
        filename: `audit-${organisation.la_code ?? 'central'}-${deps.clock.now().toISOString().slice(0, 10)}.csv`,
        csv,
      };
    },
  };
}
