import { sql, type Expression, type SqlBool } from 'kysely';
import type { Executor } from '../database.ts';

/** Admin > Users (R20–R21): one LA's accounts, filtered, sorted and paged in the database. */

export type UserSort = 'name' | '-name' | 'lastSignIn' | '-lastSignIn';

export interface UserListFilter {
  organisationId: number;
  /** Free text over name, username and email. */
  text?: string;
  /** Inactive since (R34) on or before this instant: "not signed in for at least N months". */
  inactiveSinceOnOrBefore?: Date;
  userType?: string;
  privilege?: string;
  status?: 'active' | 'archived';
}

export interface UserListRow {
  id: string;
  username: string;
  first_name: string;
  last_name: string;
  email: string;
  job_title: string | null;
  user_type: string;
  status: 'active' | 'archived';
  last_sign_in_at: Date | null;
  created_at: Date;
  inactive_since: Date;
  two_factor: boolean;
}

/** Escapes LIKE wildcards so that "50%" or "a_b" match literally. */
export function likePattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

const inactiveSince = sql<Date>`GREATEST(accounts.last_sign_in_at, accounts.created_at, accounts.restored_at)`;

function filtered(db: Executor, filter: UserListFilter) {
  let query = db.selectFrom('accounts').where('accounts.organisation_id', '=', filter.organisationId);
  if (filter.status) query = query.where('accounts.status', '=', filter.status);
  if (filter.userType) query = query.where('accounts.user_type', '=', filter.userType);
  if (filter.inactiveSinceOnOrBefore) query = query.where(sql<SqlBool>`${inactiveSince} <= ${filter.inactiveSinceOnOrBefore}`);
  if (filter.privilege) {
    const privilege = filter.privilege;
    query = query.where((eb) => eb.exists(
      eb.selectFrom('account_privileges').select(sql`1`.as('one'))
        .whereRef('account_privileges.account_id', '=', 'accounts.id')
        .where('account_privileges.privilege', '=', privilege),
    ));
  }
  if (filter.text) {
    const pattern = likePattern(filter.text);
    query = query.where((eb) => eb.or([
      sql<SqlBool>`(accounts.first_name || ' ' || accounts.last_name) ILIKE ${pattern}`,
      sql<SqlBool>`accounts.username::text ILIKE ${pattern}`,
      sql<SqlBool>`accounts.email ILIKE ${pattern}`,
    ] as Expression<SqlBool>[]));
  }
  return query;
}

export async function countUsers(db: Executor, filter: UserListFilter): Promise<number> {
  const row = await filtered(db, filter).select(sql<string>`count(*)`.as('n')).executeTakeFirstOrThrow();
  return Number(row.n);
}

export async function listUsers(db: Executor, filter: UserListFilter, sort: UserSort, limit: number, offset: number): Promise<UserListRow[]> {
  let query = filtered(db, filter).select([
    'accounts.id', 'accounts.username', 'accounts.first_name', 'accounts.last_name', 'accounts.email',
    'accounts.job_title', 'accounts.user_type', 'accounts.status', 'accounts.last_sign_in_at', 'accounts.created_at',
    inactiveSince.as('inactive_since'),
    sql<boolean>`accounts.totp_secret IS NOT NULL`.as('two_factor'),
  ]);
  // Never-signed-in accounts sort as the longest inactive ("never" is older than any date).
  switch (sort) {
    case 'name':
      query = query.orderBy('accounts.last_name').orderBy('accounts.first_name');
      break;
    case '-name':
      query = query.orderBy('accounts.last_name', 'desc').orderBy('accounts.first_name', 'desc');
      break;
    case 'lastSignIn':
      query = query.orderBy(sql`accounts.last_sign_in_at ASC NULLS FIRST`);
      break;
    case '-lastSignIn':
      query = query.orderBy(sql`accounts.last_sign_in_at DESC NULLS LAST`);
      break;
  }
  return query.orderBy('accounts.id').limit(limit).offset(offset).execute() as Promise<UserListRow[]>;
}

/** Keyset page in name order (the API's stable cursors): the rows after `after`. */
export async function listUsersAfter(db: Executor, filter: UserListFilter, after: { lastName: string; firstName: string; id: string } | undefined, limit: number): Promise<UserListRow[]> {
  let query = filtered(db, filter);
  if (after) query = query.where(sql<SqlBool>`(accounts.last_name, accounts.first_name, accounts.id) > (${after.lastName}, ${after.firstName}, ${after.id}::uuid)`);
  return query.select([
    'accounts.id', 'accounts.username', 'accounts.first_name', 'accounts.last_name', 'accounts.email',
    'accounts.job_title', 'accounts.user_type', 'accounts.status', 'accounts.last_sign_in_at', 'accounts.created_at',
    inactiveSince.as('inactive_since'),
    sql<boolean>`accounts.totp_secret IS NOT NULL`.as('two_factor'),
  ]).orderBy('accounts.last_name').orderBy('accounts.first_name').orderBy('accounts.id').limit(limit).execute() as Promise<UserListRow[]>;
}

/** Contact details of another LA's active accounts (R5): name, email, job title, nothing else. */
export async function listContacts(db: Executor, organisationId: number, text: string | undefined, limit: number, offset: number) {
  let query = db.selectFrom('accounts')
    .select(['first_name', 'last_name', 'email', 'job_title'])
    .where('organisation_id', '=', organisationId)
    .where('status', '=', 'active');
  if (text) {
    const pattern = likePattern(text);
    query = query.where((eb) => eb.or([
      sql<SqlBool>`(first_name || ' ' || last_name) ILIKE ${pattern}`,
      sql<SqlBool>`email ILIKE ${pattern}`,
    ] as Expression<SqlBool>[]));
  }
  const rows = await query.orderBy('last_name').orderBy('first_name').orderBy('id').limit(limit + 1).offset(offset).execute();
  return { rows: rows.slice(0, limit), more: rows.length > limit };
}

export async function listOrganisations(db: Executor) {
  return db.selectFrom('organisations').select(['id', 'name', 'la_code', 'kind']).orderBy('kind', 'desc').orderBy('name').execute();
}

/** Archived users (R23): newest first, with who archived them. */
export async function listArchived(db: Executor, organisationId: number) {
  return db.selectFrom('accounts as a')
    .leftJoin('accounts as by', 'by.id', 'a.archived_by')
    .select(['a.id', 'a.username', 'a.first_name', 'a.last_name', 'a.archived_at', 'a.archive_reason', 'a.deletion_due_at',
      sql<string | null>`by.first_name || ' ' || by.last_name`.as('archived_by_name'), 'a.archived_by'])
    .where('a.organisation_id', '=', organisationId)
    .where('a.status', '=', 'archived')
    .orderBy('a.archived_at', 'desc').orderBy('a.id')
    .execute();
}
