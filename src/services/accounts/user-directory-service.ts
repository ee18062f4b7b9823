import {
  countUsersWithOrganisationsVersion,
  listArchived,
  listContacts,
  listOrganisations,
  listUsers,
  listUsersAfter,
  listUsersBatch,
  type UserExportRow,
  userListFilter,
} from '../../data/queries/user-list-queries.ts';
import { decide, isCentralSupport, type Actor } from '../../domain/access.ts';
import { csvStream, type CsvValue } from '../../domain/csv.ts';
import { ACCOUNT_IMPORT_HEADER, accountImportRow } from '../../domain/account-import-export.ts';
import { importFactsOfAccounts } from '../../data/queries/account-import-export-queries.ts';
import { decodeCursor, encodeCursor } from '../../domain/cursor.ts';
import { ValidationError } from '../../domain/errors.ts';
import { isUserType, userTypeLabel } from '../../domain/privileges.ts';
import { PAGE_SIZE, type UserListQuery } from '../../domain/user-filters.ts';
import { authorise } from '../../domain/access.ts';
import { audit, auditSupportRead, who } from '../audit.ts';
import type { ServiceDeps } from '../deps.ts';
import { accountState } from '../../domain/account-status.ts';
import { SYSTEM_CONTEXT, type RequestContext } from '../request-context.ts';
import { findAccountsByScimFilter } from '../../data/queries/scim-user-queries.ts';
import type { ScimFilter } from '../../domain/scim-filter.ts';
import { outlooksFor, outlooksOf } from '../lifecycle/schedule.ts';
import { organisationInScope, organisationNamed } from '../organisation-scope.ts';
import type { Organisation } from '../../data/database.ts';

/** Rows read from the database at a time for the CSV export: its memory does not grow with the LA. */
const EXPORT_BATCH = 1000;

const EXPORT_HEADER = [
  'Username',
  'First name',
  'Last name',
  'Email',
  'Job title',
  'Type of User',
  'Status',
  'Last sign-in',
  'Two-factor authentication',
  'Created',
];

function exportRow(r: UserExportRow): string[] {
  return [
    r.username,
    r.first_name,
    r.last_name,
    r.email,
    r.job_title ?? '',
    isUserType(r.user_type) ? userTypeLabel(r.user_type) : r.user_type,
    r.status === 'archived' ? 'Archived' : r.has_password ? 'Active' : 'Invited',
    r.last_sign_in_at ? r.last_sign_in_at.toISOString() : 'never',
    r.two_factor ? 'Set up' : 'Not set up',
    r.created_at.toISOString(),
  ];
}

/** An export's columns: Admin > Users' own (labels, for people), or the import's (codes, R58). */
export type UserExportFormat = 'list' | 'import';

/** The filters an export was made with, as the audit log records them (none are personal). */
function exportFilters(query: UserListQuery): Record<string, string | number> {
  const { q, inactiveMonths, type, privilege, status, sort } = query;
  return Object.fromEntries(
    Object.entries({ q, inactiveMonths, type, privilege, status, sort }).filter(([, v]) => v !== undefined),
  ) as Record<string, string | number>;
}

/**
 * The actor's own organisation when `la` names it (or names nothing) and the caller has it at hand;
 * undefined when it must be read (another LA, or an unknown code: organisationNamed's answer).
 */
function ownOrganisation(actor: Actor, la: unknown, own: Organisation | undefined): Organisation | undefined {
  if (!own || actor.kind !== 'account' || own.id !== actor.organisationId) return undefined;
  const code = typeof la === 'string' && /^[0-9]{3}$/.test(la) ? la : undefined;
  return code === undefined || code === own.la_code ? own : undefined;
}

/**
 * Admin > Users (R19–R22): the actor's own LA by default; another LA read-only, contact
 * details only (R5); central support may manage any LA (R4).
 */
export function createUserDirectoryService({ db, clock, schedule }: ServiceDeps) {
  /**
   * The LA picker's organisations, kept between requests with the digest they were read with.
   * Safe across processes: the list's count statement returns the digest as the database has it
   * at that moment, and a list is used only when its digest is that one; so an LA created or
   * renamed by any process (a GIAS import, another server) shows on the very next page, as if it
   * were read afresh. No timer: a list is never used past a change, however recent. The digest and
   * the list are read in one statement, so a list never carries the digest of another state.
   */
  let picker: Awaited<ReturnType<typeof listOrganisations>> | undefined;
  async function organisations(version?: string) {
    if (version === undefined || picker?.version !== version) picker = await listOrganisations(db);
    return picker.organisations;
  }

  return {
    /**
     * `ctx`: the request, for the audit of central support's reads of another LA (auditSupportRead).
     * `own`: the actor's organisation as this request already read it (the session's principal),
     * which saves reading it again when the page is about the actor's own LA.
     */
    async list(actor: Actor, query: UserListQuery, ctx: RequestContext = SYSTEM_CONTEXT, own?: Organisation) {
      const organisation = ownOrganisation(actor, query.la, own) ?? (await organisationNamed(db, actor, query.la));
      const now = clock.now();
      const offset = (query.page - 1) * PAGE_SIZE;
      const manage = decide(actor, 'users.list', { organisationId: organisation.id });
      if (manage !== 'allow') {
        // Another LA: contact details only, for anyone who may view users (R5).
        authorise(actor, 'users.list-contacts', { organisationId: organisation.id });
        const [contacts, all] = await Promise.all([
          listContacts(db, organisation.id, query.q, PAGE_SIZE, offset),
          organisations(),
        ]);
        return { mode: 'contacts' as const, organisation, organisations: all, now, contacts };
      }
      const filter = userListFilter(organisation.id, query, now);
      const [{ total, organisationsVersion }, rows] = await Promise.all([
        countUsersWithOrganisationsVersion(db, filter),
        // A warned account says when it will be archived: the one schedule's date, as its page
        // says. Looked up as soon as the page's rows are known, while the count is still running.
        listUsers(db, filter, query.sort, PAGE_SIZE, offset).then(async (listed) => {
          const outlooks = await outlooksFor(
            db,
            schedule,
            listed.filter((r) => r.warned),
            now,
          );
          return listed.map((r) => ({
            ...r,
            state: accountState({ status: r.status, hasPassword: r.has_password, warned: r.warned }),
            archiveAt: outlooks.get(r.id)?.archiveAt ?? null,
          }));
        }),
      ]);
      await auditSupportRead(db, actor, ctx, now, {
        organisationId: organisation.id,
        what: 'Users list',
        details: { page: query.page, accounts: rows.length },
      });
      return {
        mode: 'manage' as const,
        organisation,
        // The LA picker's list: the one kept, unless the count's digest says it changed.
        organisations: await organisations(organisationsVersion),
        now,
        total,
        rows,
        pageCount: Math.max(1, Math.ceil(total / PAGE_SIZE)),
        support: isCentralSupport(actor),
      };
    },

    /**
     * The API's list (R56): same filters and access as the page, in name order, one keyset page
     * after `cursor`. Another LA is refused rather than reduced to contacts: scripts get all or
     * nothing.
     */
    async page(
      actor: Actor,
      query: Omit<UserListQuery, 'page' | 'sort'>,
      cursor: string | undefined,
      limit: number,
      ctx: RequestContext = SYSTEM_CONTEXT,
    ) {
      const organisation = await organisationInScope(db, actor, query.la, 'users.list');
      const key = cursor === undefined ? undefined : decodeCursor('users', cursor, ['text', 'text', 'uuid']);
      if (cursor !== undefined && !key)
        throw new ValidationError({ cursor: 'The cursor is not one this API gave out' });
      const after = key ? { lastName: key[0]!, firstName: key[1]!, id: key[2]! } : undefined;
      const rows = await listUsersAfter(
        db,
        userListFilter(organisation.id, { ...query, sort: 'name', page: 1 }, clock.now()),
        after,
        limit + 1,
      );
      const items = rows.slice(0, limit);
      const last = items[items.length - 1];
      const next =
        rows.length > limit && last ? encodeCursor('users', [last.last_name, last.first_name, last.id]) : null;
      await auditSupportRead(db, actor, ctx, clock.now(), {
        organisationId: organisation.id,
        what: 'Users list',
        details: { accounts: items.length },
      });
      return { organisation, items, next };
    },

    /**
     * One page of the LA's accounts for an identity system (SCIM): the same access rule as the
     * list page; `offset` counts from 0.
     */
    async provisioningList(
      actor: Actor,
      organisationId: number,
      filter: ScimFilter | undefined,
      offset: number,
      limit: number,
    ) {
      authorise(actor, 'users.list', { organisationId });
      return findAccountsByScimFilter(db, organisationId, filter, offset, limit);
    },

    /** The LA a new account goes into (R2): the creator's own, or any LA for central support. */
    async organisationForCreate(actor: Actor, la: string | undefined) {
      return organisationInScope(db, actor, la, 'users.create');
    },

    /** Archived users (R23) of the actor's LA, or of `la` for central support. */
    async archived(actor: Actor, la: unknown, ctx: RequestContext = SYSTEM_CONTEXT) {
      const organisation = await organisationInScope(db, actor, la, 'users.restore');
      const rows = await listArchived(db, organisation.id);
      await auditSupportRead(db, actor, ctx, clock.now(), {
        organisationId: organisation.id,
        what: 'Archived users',
        details: { accounts: rows.length },
      });
      // "Deleted on": the run of the nightly job that deletes it, from the one schedule.
      const outlooks = await outlooksOf(
        db,
        schedule,
        rows.map((r) => r.id),
        clock.now(),
      );
      return { organisation, rows: rows.map((r) => ({ ...r, deleteAt: outlooks.get(r.id)?.deleteAt ?? null })) };
    },

    /**
     * The filtered list as CSV (R22): the same filters and order as the page, every page. Access
     * and the first batch are settled before this returns, so that a refusal or a failing database
     * still gets its own error page; the rest is read batch by batch (keyset, in the page's order)
     * as the caller writes it out, so memory stays flat however many accounts the LA has.
     */
    async exportCsv(
      actor: Actor,
      query: UserListQuery,
      ctx: RequestContext,
      /** `import`: the columns of the import file, so that the file can be edited and imported (issue 14). */
      format: UserExportFormat = 'list',
    ): Promise<{ filename: string; lines: AsyncIterable<string> }> {
      const organisation = await organisationInScope(db, actor, query.la, 'users.export');
      const now = clock.now();
      // A download of people's details is itself an event the LA must be able to see (R50).
      await audit(db, who(actor), ctx, now, {
        action: 'users.exported',
        organisationId: organisation.id,
        subjectAccountId: null,
        details: { filters: exportFilters(query), ...(format === 'import' ? { format: 'import' } : {}) },
      });
      const filter = userListFilter(organisation.id, query, now);
      const first = await listUsersBatch(db, filter, query.sort, undefined, EXPORT_BATCH);
      const rowsOf = async (rows: UserExportRow[]): Promise<CsvValue[][]> => {
        if (format === 'list') return rows.map(exportRow);
        const facts = await importFactsOfAccounts(
          db,
          rows.map((r) => r.id),
        );
        return rows.map((r) => {
          const f = facts.get(r.id);
          return accountImportRow({
            username: r.username,
            firstName: r.first_name,
            lastName: r.last_name,
            email: r.email,
            jobTitle: r.job_title,
            phone: f?.phone ?? null,
            userType: r.user_type,
            privileges: f?.privileges ?? [],
            agreement: f?.agreement ?? null,
            schools: f?.schools ?? [],
            groups: f?.groups ?? [],
            accessEndDate: f?.accessEndDate ?? null,
          });
        });
      };
      async function* batches(): AsyncGenerator<CsvValue[][], void, undefined> {
        for (let batch = first; ; batch = await listUsersBatch(db, filter, query.sort, batch.next, EXPORT_BATCH)) {
          yield await rowsOf(batch.rows);
          if (!batch.next) return;
        }
      }
      const stamp = now.toISOString().slice(0, 10);
      const kind = format === 'import' ? 'users-for-import' : 'users';
      return {
        filename: `${kind}-${organisation.la_code ?? 'central'}-${stamp}.csv`,
        lines: csvStream(format === 'import' ? ACCOUNT_IMPORT_HEADER : EXPORT_HEADER, batches()),
      };
    },
  };
}
