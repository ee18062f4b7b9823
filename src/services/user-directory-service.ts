import { countUsers, listArchived, listContacts, listOrganisations, listUsers, listUsersAfter, type UserListFilter } from '../data/queries/user-list-queries.ts';
import { decide, isCentralSupport, type Actor } from '../domain/access.ts';
import { addMonthsUtc } from '../domain/calendar.ts';
import { toCsv } from '../domain/csv.ts';
import { decodeCursor, encodeCursor } from '../domain/cursor.ts';
import { ValidationError } from '../domain/errors.ts';
import { isUserType, userTypeLabel } from '../domain/privileges.ts';
import { PAGE_SIZE, type UserListQuery } from '../domain/user-filters.ts';
import { authorise } from '../domain/access.ts';
import type { ServiceDeps } from './deps.ts';
import { findAccountsByScimFilter } from '../data/queries/scim-user-queries.ts';
import type { ScimFilter } from '../domain/scim-filter.ts';
import { organisationInScope, organisationNamed } from './organisation-scope.ts';

/** The most rows one CSV export holds; an LA has a few hundred accounts, so this is a guard. */
const EXPORT_LIMIT = 50_000;

/**
 * Admin > Users (R19–R22): the actor's own LA by default; another LA read-only, contact
 * details only (R5); central support may manage any LA (R4).
 */
export function createUserDirectoryService({ db, clock }: ServiceDeps) {
  function filterFor(organisationId: number, query: UserListQuery, now: Date): UserListFilter {
    return {
      organisationId,
      text: query.q,
      inactiveSinceOnOrBefore: query.inactiveMonths === undefined ? undefined : addMonthsUtc(now, -query.inactiveMonths),
      userType: query.type,
      privilege: query.privilege,
      status: query.status === 'all' ? undefined : query.status,
    };
  }

  return {
    organisations: () => listOrganisations(db),

    async list(actor: Actor, query: UserListQuery) {
      const organisation = await organisationNamed(db, actor, query.la);
      const now = clock.now();
      const offset = (query.page - 1) * PAGE_SIZE;
      const manage = decide(actor, 'users.list', { organisationId: organisation.id });
      if (manage !== 'allow') {
        // Another LA: contact details only, for anyone who may view users (R5).
        authorise(actor, 'users.list-contacts', { organisationId: organisation.id });
        const contacts = await listContacts(db, organisation.id, query.q, PAGE_SIZE, offset);
        return { mode: 'contacts' as const, organisation, now, contacts };
      }
      const filter = filterFor(organisation.id, query, now);
      const [total, rows] = await Promise.all([
        countUsers(db, filter),
        listUsers(db, filter, query.sort, PAGE_SIZE, offset),
      ]);
      return {
        mode: 'manage' as const,
        organisation, now, total, rows,
        pageCount: Math.max(1, Math.ceil(total / PAGE_SIZE)),
        support: isCentralSupport(actor),
      };
    },

    /**
     * The API's list (R56): same filters and access as the page, in name order, one keyset page
     * after `cursor`. Another LA is refused rather than reduced to contacts: scripts get all or
     * nothing.
     */
    async page(actor: Actor, query: Omit<UserListQuery, 'page' | 'sort'>, cursor: string | undefined, limit: number) {
      const organisation = await organisationInScope(db, actor, query.la, 'users.list');
      const key = cursor === undefined ? undefined : decodeCursor('users', cursor, ['string', 'string', 'string']);
      if (cursor !== undefined && !key) throw new ValidationError({ cursor: 'The cursor is not one this API gave out' });
      const after = key ? { lastName: String(key[0]), firstName: String(key[1]), id: String(key[2]) } : undefined;
      const rows = await listUsersAfter(db, filterFor(organisation.id, { ...query, sort: 'name', page: 1 }, clock.now()), after, limit + 1);
      const items = rows.slice(0, limit);
      const last = items[items.length - 1];
      const next = rows.length > limit && last ? encodeCursor('users', [last.last_name, last.first_name, last.id]) : null;
      return { organisation, items, next };
    },

    /**
     * One page of the LA's accounts for an identity system (SCIM): the same access rule as the
     * list page; `offset` counts from 0.
     */
    async provisioningList(actor: Actor, organisationId: number, filter: ScimFilter | undefined, offset: number, limit: number) {
      authorise(actor, 'users.list', { organisationId });
      return findAccountsByScimFilter(db, organisationId, filter, offset, limit);
    },

    /** The LA a new account goes into (R2): the creator's own, or any LA for central support. */
    async organisationForCreate(actor: Actor, la: string | undefined) {
      return organisationInScope(db, actor, la, 'users.create');
    },

    /** Archived users (R23) of the actor's LA, or of `la` for central support. */
    async archived(actor: Actor, la: unknown) {
      const organisation = await organisationInScope(db, actor, la, 'users.restore');
      return { organisation, rows: await listArchived(db, organisation.id) };
    },

    /** The filtered list as CSV (R22): the same filters and order as the page, every page. */
    async exportCsv(actor: Actor, query: UserListQuery): Promise<{ filename: string; csv: string }> {
      const organisation = await organisationInScope(db, actor, query.la, 'users.export');
      const now = clock.now();
      const rows = await listUsers(db, filterFor(organisation.id, query, now), query.sort, EXPORT_LIMIT, 0);
      const csv = toCsv(
        ['Username', 'First name', 'Last name', 'Email', 'Job title', 'Type of User', 'Status', 'Last sign-in', 'Two-factor authentication', 'Created'],
        rows.map((r) => [
          r.username, r.first_name, r.last_name, r.email, r.job_title ?? '',
          isUserType(r.user_type) ? userTypeLabel(r.user_type) : r.user_type,
          r.status === 'active' ? 'Active' : 'Archived',
          r.last_sign_in_at ? r.last_sign_in_at.toISOString() : 'never',
          r.two_factor ? 'Set up' : 'Not set up',
          r.created_at.toISOString(),
        ]),
      );
      const stamp = now.toISOString().slice(0, 10);
      return { filename: `users-${organisation.la_code ?? 'central'}-${stamp}.csv`, csv };
    },
  };
}

export type UserDirectoryService = ReturnType<typeof createUserDirectoryService>;
