import type { FieldErrors } from './errors.ts';
import { isPrivilege, isUserType, type Privilege, type UserType } from './privileges.ts';

/**
 * The query of Admin > Users (§13: la, q, inactiveMonths, type, privilege, status, sort, page).
 * Filters live in the query string so they combine, survive paging and can be bookmarked.
 */
export interface UserListQuery {
  la?: string;
  q?: string;
  inactiveMonths?: number;
  type?: UserType;
  privilege?: Privilege;
  status: 'active' | 'warned' | 'invited' | 'archived' | 'all';
  sort: 'name' | '-name' | 'lastSignIn' | '-lastSignIn';
  page: number;
}

export const PAGE_SIZE = 50;
const SORTS = ['name', '-name', 'lastSignIn', '-lastSignIn'] as const;
const STATUSES = ['active', 'warned', 'invited', 'archived', 'all'] as const;

function one(raw: Record<string, unknown>, key: string): string | undefined {
  const value = raw[key];
  const first: unknown = Array.isArray(value) ? value[0] : value;
  return typeof first === 'string' ? first.trim() : undefined;
}

export function parseUserListQuery(raw: Record<string, unknown>): { query: UserListQuery; errors: FieldErrors } {
  const errors: Record<string, string> = {};
  const query: UserListQuery = { status: 'active', sort: 'name', page: 1 };

  const la = one(raw, 'la');
  if (la) {
    if (/^[0-9]{3}$/.test(la)) query.la = la;
    else errors.la = 'Select a Local Authority from the list';
  }
  const q = one(raw, 'q');
  if (q) {
    if (q.length > 100) errors.q = 'Search must be 100 characters or fewer';
    else query.q = q;
  }
  const months = one(raw, 'inactiveMonths');
  if (months) {
    if (/^[0-9]{1,3}$/.test(months) && Number(months) <= 600) query.inactiveMonths = Number(months);
    else errors.inactiveMonths = 'Enter a whole number of months between 0 and 600, like 12';
  }
  const type = one(raw, 'type');
  if (type) {
    if (isUserType(type)) query.type = type;
    else errors.type = 'Select a Type of User from the list';
  }
  const privilege = one(raw, 'privilege');
  if (privilege) {
    if (isPrivilege(privilege)) query.privilege = privilege;
    else errors.privilege = 'Select a privilege from the list';
  }
  const status = one(raw, 'status');
  if (status) {
    if ((STATUSES as readonly string[]).includes(status)) query.status = status as UserListQuery['status'];
    else errors.status = 'Select a status from the list';
  }
  const sort = one(raw, 'sort');
  if (sort && (SORTS as readonly string[]).includes(sort)) query.sort = sort as UserListQuery['sort'];
  const page = one(raw, 'page');
  if (page && /^[0-9]{1,6}$/.test(page) && Number(page) >= 1) query.page = Number(page);
  return { query, errors };
}

/** The query string for a list page, with `changes` applied; empty values are left out. */
export function userListHref(
  path: string,
  query: UserListQuery,
  changes: Partial<Record<keyof UserListQuery, string | number | undefined>> = {},
): string {
  const merged: Record<string, string | number | undefined> = {
    la: query.la,
    q: query.q,
    inactiveMonths: query.inactiveMonths,
    type: query.type,
    privilege: query.privilege,
    status: query.status === 'active' ? undefined : query.status,
    sort: query.sort === 'name' ? undefined : query.sort,
    page: query.page === 1 ? undefined : query.page,
    ...changes,
  };
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(merged)) {
    if (value !== undefined && value !== '' && !(key === 'page' && value === 1)) params.set(key, String(value));
  }
  const search = params.toString();
  return search ? `${path}?${search}` : path;
}
