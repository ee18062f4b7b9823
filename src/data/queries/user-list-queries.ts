import { sql, type Expression, type SelectQueryBuilder, type SqlBool } from 'kysely';
import { addMonthsUtc } from '../../domain/calendar.ts';
import type { UserListQuery } from '../../domain/user-filters.ts';
import type { Account, Database, Executor } from '../database.ts';
import { INACTIVE_SINCE, WARNED } from './lifecycle-queries.ts';

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
  /**
   * `warned`: active, with a warning sent in the current inactivity period; `invited`: active,
   * never set a password (the invitation not taken up).
   */
  status?: 'active' | 'archived' | 'warned' | 'invited';
}

/** The filter of Admin > Users and its export for one LA's query, as of `now`. */
export function userListFilter(organisationId: number, query: UserListQuery, now: Date): UserListFilter {
  return {
    organisationId,
    text: query.q,
    inactiveSinceOnOrBefore: query.inactiveMonths === undefined ? undefined : addMonthsUtc(now, -query.inactiveMonths),
    userType: query.type,
    privilege: query.privilege,
    status: query.status === 'all' ? undefined : query.status,
  };
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
  /** False for an invited account: its holder never set a password. */
  has_password: boolean;
  warned: boolean;
}

/**
 * A row of Admin > Users: the list's columns, the rest of what the lifecycle schedule needs for a
 * warned row's archive date, and the passkeys held, all in the page's one statement (each
 * statement more was a round trip, a write and a parse on every page).
 */
export interface UserPageRow extends UserListRow, Pick<Account, 'restored_at' | 'access_end_date' | 'deletion_due_at'> {
  passkeys: number;
}

/** Escapes LIKE wildcards so that "50%" or "a_b" match literally. */
export function likePattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/**
 * Name, username and email as one text, joined by a unit separator (U+001F): a pattern without
 * that character matches it exactly when it matches one of the three, since a match cannot span a
 * character the pattern does not contain. Migration 0006 indexes this very expression, with the
 * LA, where the server has pg_trgm and btree_gin: keep the two the same expression (the planner
 * matches the index by it; the table name qualifying the columns does not matter).
 */
const SEARCH_TEXT = sql.raw(
  `lower(accounts.first_name || ' ' || accounts.last_name || E'\\x1f' || accounts.username::text || E'\\x1f' || accounts.email)`,
);
const SEPARATOR = '\x1f';

/**
 * Free text (R21): the name ("first last"), the username or the email contains the text, in any
 * case. What `x ILIKE p` does (PostgreSQL lowercases both with lower(), then matches
 * case-sensitively), with the pattern lowercased once rather than on every row.
 */
function matchesText(text: string): Expression<SqlBool> {
  const pattern = sql`lower(${likePattern(text)})`;
  if (!text.includes(SEPARATOR)) return sql<SqlBool>`${SEARCH_TEXT} LIKE ${pattern}`;
  // Only a text holding the separator could match across two fields: test them one by one.
  return sql<SqlBool>`(lower(accounts.first_name || ' ' || accounts.last_name) LIKE ${pattern}
    OR lower(accounts.username::text) LIKE ${pattern} OR lower(accounts.email) LIKE ${pattern})`;
}

function filtered(db: Executor, filter: UserListFilter) {
  let query = db.selectFrom('accounts').where('accounts.organisation_id', '=', filter.organisationId);
  if (filter.status) query = query.where('accounts.status', '=', filter.status === 'archived' ? 'archived' : 'active');
  if (filter.status === 'warned') query = query.where(WARNED);
  if (filter.status === 'invited') query = query.where('accounts.password_hash', 'is', null);
  if (filter.userType) query = query.where('accounts.user_type', '=', filter.userType);
  if (filter.inactiveSinceOnOrBefore)
    query = query.where(sql<SqlBool>`${INACTIVE_SINCE} <= ${filter.inactiveSinceOnOrBefore}`);
  if (filter.privilege) {
    const privilege = filter.privilege;
    query = query.where((eb) =>
      eb.exists(
        eb
          .selectFrom('account_privileges')
          .select(sql`1`.as('one'))
          .whereRef('account_privileges.account_id', '=', 'accounts.id')
          .where('account_privileges.privilege', '=', privilege),
      ),
    );
  }
  if (filter.text) query = query.where(matchesText(filter.text));
  return query;
}

export function countUsersQuery(db: Executor, filter: UserListFilter) {
  return filtered(db, filter).select(sql<string>`count(*)`.as('n'));
}

export async function countUsers(db: Executor, filter: UserListFilter): Promise<number> {
  const row = await countUsersQuery(db, filter).executeTakeFirstOrThrow();
  return Number(row.n);
}

/**
 * A digest of everything the LA picker shows of the organisations (id, kind, code, name, in id
 * order): it changes whenever one is created, renamed, recoded or removed, in any process (a GIAS
 * import, the demo seed), and only then. Scans the organisations table (about 150 rows).
 */
const ORGANISATIONS_VERSION = sql<string>`(SELECT md5(coalesce(string_agg(concat_ws(chr(31), o.id, o.kind, o.la_code, o.name), chr(30) ORDER BY o.id), '')) FROM organisations o)`;

/** The list's count with the organisations' digest in the same statement (Admin > Users' LA picker). */
export function countUsersWithOrganisationsVersionQuery(db: Executor, filter: UserListFilter) {
  return countUsersQuery(db, filter).select(ORGANISATIONS_VERSION.as('organisations_version'));
}

export async function countUsersWithOrganisationsVersion(
  db: Executor,
  filter: UserListFilter,
): Promise<{ total: number; organisationsVersion: string }> {
  const row = await countUsersWithOrganisationsVersionQuery(db, filter).executeTakeFirstOrThrow();
  return { total: Number(row.n), organisationsVersion: row.organisations_version };
}

const ACCOUNT_COLUMNS = [
  'accounts.id',
  'accounts.username',
  'accounts.first_name',
  'accounts.last_name',
  'accounts.email',
  'accounts.job_title',
  'accounts.user_type',
  'accounts.status',
  'accounts.last_sign_in_at',
  'accounts.created_at',
] as const;
const TWO_FACTOR = sql<boolean>`accounts.totp_secret IS NOT NULL`;
const HAS_PASSWORD = sql<boolean>`accounts.password_hash IS NOT NULL`;

/** The columns of a list row, the same for the page and the API. */
function withListColumns(query: ReturnType<typeof filtered>) {
  return query.select([
    ...ACCOUNT_COLUMNS,
    INACTIVE_SINCE.as('inactive_since'),
    TWO_FACTOR.as('two_factor'),
    HAS_PASSWORD.as('has_password'),
    WARNED.as('warned'),
  ]);
}

/** A row of the CSV export: what it shows, and the last sign-in as text for the next batch's position. */
export type UserExportRow = Omit<UserListRow, 'inactive_since' | 'warned'>;

function withExportColumns(query: ReturnType<typeof filtered>) {
  return query.select([
    ...ACCOUNT_COLUMNS,
    TWO_FACTOR.as('two_factor'),
    HAS_PASSWORD.as('has_password'),
    sql<string | null>`accounts.last_sign_in_at::text`.as('last_sign_in_key'),
  ]);
}

/**
 * The page's order, ending with the id as a stable tiebreak. Never-signed-in accounts sort as
 * the longest inactive ("never" is older than any date).
 */
function sorted<O>(
  query: SelectQueryBuilder<Database, 'accounts', O>,
  sort: UserSort,
): SelectQueryBuilder<Database, 'accounts', O> {
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
  return query.orderBy('accounts.id');
}

/**
 * The rows whose ids `ids` selects, with the list's columns, in `sort`'s order. The filter, the
 * order and LIMIT/OFFSET run on the ids alone (a covering index answers them without reading the
 * table, migration 0005), and the columns — WARNED's lookup among them — are read for the page's
 * rows only: computed inside the same statement they were worked out for every row skipped by
 * OFFSET, and PostgreSQL answered WARNED by hashing every lifecycle notice of the platform.
 */
function rowsOf(db: Executor, ids: ReturnType<typeof filtered>, sort: UserSort) {
  return sorted(withListColumns(db.selectFrom('accounts').where('accounts.id', 'in', ids.select('accounts.id'))), sort);
}

function pageRowsOf(db: Executor, ids: ReturnType<typeof filtered>, sort: UserSort) {
  return sorted(
    withListColumns(db.selectFrom('accounts').where('accounts.id', 'in', ids.select('accounts.id'))).select([
      'accounts.restored_at',
      'accounts.access_end_date',
      'accounts.deletion_due_at',
      sql<number>`(SELECT count(*) FROM passkeys WHERE passkeys.account_id = accounts.id)::int`.as('passkeys'),
    ]),
    sort,
  );
}

/** The same for the export, whose columns have no lookups: WARNED is not in the CSV. */
function exportRowsOf(db: Executor, ids: ReturnType<typeof filtered>, sort: UserSort) {
  return sorted(
    withExportColumns(db.selectFrom('accounts').where('accounts.id', 'in', ids.select('accounts.id'))),
    sort,
  );
}

export function listUsersQuery(db: Executor, filter: UserListFilter, sort: UserSort, limit: number, offset: number) {
  return pageRowsOf(db, sorted(filtered(db, filter), sort).limit(limit).offset(offset), sort);
}

export async function listUsers(
  db: Executor,
  filter: UserListFilter,
  sort: UserSort,
  limit: number,
  offset: number,
): Promise<UserPageRow[]> {
  return listUsersQuery(db, filter, sort, limit, offset).execute();
}

/** Keyset page in name order (the API's stable cursors): the rows after `after`. */
export async function listUsersAfter(
  db: Executor,
  filter: UserListFilter,
  after: { lastName: string; firstName: string; id: string } | undefined,
  limit: number,
): Promise<UserListRow[]> {
  let query = filtered(db, filter);
  if (after)
    query = query.where(
      sql<SqlBool>`(accounts.last_name, accounts.first_name, accounts.id) > (${after.lastName}, ${after.firstName}, ${after.id}::uuid)`,
    );
  return rowsOf(db, sorted(query, 'name').limit(limit), 'name').execute();
}

/**
 * Where a batch of the export ended: the sort key of its last row. The last sign-in travels as
 * PostgreSQL's own text for it, not as a JavaScript Date, whose milliseconds would cut off the
 * microseconds the column holds and make the next batch repeat or skip rows.
 */
export interface UserListPosition {
  id: string;
  lastName: string;
  firstName: string;
  lastSignIn: string | null;
}

export interface UserListBatch {
  rows: UserExportRow[];
  /** The position after the last row; undefined when this batch was the last. */
  next: UserListPosition | undefined;
}

/** The rows strictly after `p` in `sort`'s order (the order of sorted(): the id breaks ties, ascending). */
function after(sort: UserSort, p: UserListPosition) {
  const id = sql`${p.id}::uuid`;
  switch (sort) {
    case 'name':
      return sql<SqlBool>`(accounts.last_name, accounts.first_name, accounts.id) > (${p.lastName}, ${p.firstName}, ${id})`;
    case '-name':
      // Names descending, the id ascending: no row comparison fits; the first bound lets an index range help.
      return sql<SqlBool>`(accounts.last_name <= ${p.lastName} AND (accounts.last_name < ${p.lastName}
        OR accounts.first_name < ${p.firstName} OR (accounts.first_name = ${p.firstName} AND accounts.id > ${id})))`;
    case 'lastSignIn':
      // NULLS FIRST: after a never-signed-in row come the rest of those, then every dated one.
      return p.lastSignIn === null
        ? sql<SqlBool>`(accounts.last_sign_in_at IS NOT NULL OR accounts.id > ${id})`
        : sql<SqlBool>`(accounts.last_sign_in_at >= ${p.lastSignIn}::timestamptz AND (accounts.last_sign_in_at > ${p.lastSignIn}::timestamptz OR accounts.id > ${id}))`;
    case '-lastSignIn':
      // NULLS LAST: after a dated row come older ones, then the never-signed-in.
      return p.lastSignIn === null
        ? sql<SqlBool>`(accounts.last_sign_in_at IS NULL AND accounts.id > ${id})`
        : sql<SqlBool>`(accounts.last_sign_in_at IS NULL OR (accounts.last_sign_in_at <= ${p.lastSignIn}::timestamptz
          AND (accounts.last_sign_in_at < ${p.lastSignIn}::timestamptz OR accounts.id > ${id})))`;
  }
}

/** The statement of one export batch. */
export function listUsersBatchQuery(
  db: Executor,
  filter: UserListFilter,
  sort: UserSort,
  from: UserListPosition | undefined,
  limit: number,
) {
  let query = filtered(db, filter);
  if (from) query = query.where(after(sort, from));
  return exportRowsOf(db, sorted(query, sort).limit(limit), sort);
}

/** Where the batch after `rows` starts; undefined when `rows` (fewer than `limit`) was the last. */
export function positionAfter(
  rows: readonly { id: string; last_name: string; first_name: string; last_sign_in_key: string | null }[],
  limit: number,
): UserListPosition | undefined {
  const last = rows[rows.length - 1];
  return rows.length === limit && last
    ? { id: last.id, lastName: last.last_name, firstName: last.first_name, lastSignIn: last.last_sign_in_key }
    : undefined;
}

/**
 * One batch of the filtered list in the page's order (listUsers: same filter, same order), by
 * keyset rather than offset, so that every batch costs the same however far into the LA it is.
 * Each batch is its own statement: a long download holds no connection or transaction between
 * batches (PGlite has one connection for everything).
 */
export async function listUsersBatch(
  db: Executor,
  filter: UserListFilter,
  sort: UserSort,
  from: UserListPosition | undefined,
  limit: number,
): Promise<UserListBatch> {
  const rows = await listUsersBatchQuery(db, filter, sort, from, limit).execute();
  return {
    rows: rows.map(({ last_sign_in_key: _key, ...row }) => row),
    next: positionAfter(rows, limit),
  };
}

/** Contact details of another LA's active accounts (R5): name, email, job title, nothing else. */
export async function listContacts(
  db: Executor,
  organisationId: number,
  text: string | undefined,
  limit: number,
  offset: number,
) {
  let query = db
    .selectFrom('accounts')
    .select(['first_name', 'last_name', 'email', 'job_title'])
    .where('organisation_id', '=', organisationId)
    .where('status', '=', 'active');
  if (text) {
    const pattern = likePattern(text);
    query = query.where((eb) =>
      eb.or([
        sql<SqlBool>`(first_name || ' ' || last_name) ILIKE ${pattern}`,
        sql<SqlBool>`email ILIKE ${pattern}`,
      ] as Expression<SqlBool>[]),
    );
  }
  const rows = await query
    .orderBy('last_name')
    .orderBy('first_name')
    .orderBy('id')
    .limit(limit + 1)
    .offset(offset)
    .execute();
  return { rows: rows.slice(0, limit), more: rows.length > limit };
}

/** Every organisation, central first then by name, with the digest of them all (see ORGANISATIONS_VERSION). */
export async function listOrganisations(db: Executor) {
  const rows = await db
    .selectFrom('organisations')
    .select(['id', 'name', 'la_code', 'kind', ORGANISATIONS_VERSION.as('version')])
    .orderBy('kind', 'desc')
    .orderBy('name')
    .execute();
  return {
    version: rows[0]?.version ?? null,
    organisations: rows.map(({ version: _version, ...organisation }) => organisation),
  };
}

/** Archived users (R23): newest first, with who archived them. */
export async function listArchived(db: Executor, organisationId: number) {
  return db
    .selectFrom('accounts as a')
    .leftJoin('accounts as by', 'by.id', 'a.archived_by')
    .select([
      'a.id',
      'a.username',
      'a.first_name',
      'a.last_name',
      'a.archived_at',
      'a.archive_reason',
      'a.deletion_due_at',
      sql<string | null>`by.first_name || ' ' || by.last_name`.as('archived_by_name'),
      'a.archived_by',
    ])
    .where('a.organisation_id', '=', organisationId)
    .where('a.status', '=', 'archived')
    .orderBy('a.archived_at', 'desc')
    .orderBy('a.id')
    .execute();
}
