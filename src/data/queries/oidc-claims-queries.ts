import { sql, type RawBuilder } from 'kysely';
import type { Account, Executor, Organisation } from '../database.ts';
import { accountWithOrganisation, accountWithOrganisationQuery, isUuid } from './account-queries.ts';

/** The schools part of an account's `nexus` claims (R62): its schools, and its Default School Group with its schools. */
export interface SchoolClaims {
  readonly schools: { urn: number; name: string; role: string }[];
  readonly defaultGroup: { name: string; schools: { urn: number; name: string }[] } | null;
}

// Subqueries of a row of `accounts`, so that the claims come with the account in one round trip.
const schoolsColumn = sql<SchoolClaims['schools']>`COALESCE((
  SELECT json_agg(json_build_object('urn', s.urn, 'name', s.name, 'role', sa.role) ORDER BY s.name, s.id)
  FROM school_assignments sa JOIN schools s ON s.id = sa.school_id
  WHERE sa.account_id = accounts.id), '[]'::json)`;
const defaultGroupColumn = sql<SchoolClaims['defaultGroup']>`(
  SELECT json_build_object('name', g.name, 'schools', COALESCE((
    SELECT json_agg(json_build_object('urn', s.urn, 'name', s.name) ORDER BY s.name, s.urn)
    FROM school_group_schools gs JOIN schools s ON s.id = gs.school_id
    WHERE gs.school_group_id = g.id), '[]'::json))
  FROM school_groups g WHERE g.id = accounts.default_school_group_id)`;

/**
 * What the claims of an active account are made of (R62), read as one JSON value within another
 * statement: the token endpoint reads it with the code or refresh token it is given
 * (oidc-state-queries.ts), so the tokens cost no statement of their own for the account.
 */
export interface ClaimsPerson {
  readonly id: string;
  readonly first_name: string;
  readonly last_name: string;
  readonly username: string;
  readonly email: string;
  readonly user_type: string;
  readonly la_code: string | null;
  readonly la_name: string;
  readonly privileges: string[];
  readonly schoolClaims: SchoolClaims;
}

/**
 * The ClaimsPerson of the account whose id is `accountId` (an SQL text expression), as a JSON value:
 * NULL unless the account exists and is active (an archived or deleted account gets no token, R18).
 * An id that is not a UUID matches nothing rather than failing the statement.
 */
export const claimsPersonJson = (accountId: RawBuilder<string | null>) => sql<ClaimsPerson | null>`(
  SELECT json_build_object('id', accounts.id, 'first_name', accounts.first_name, 'last_name', accounts.last_name,
    'username', accounts.username, 'email', accounts.email, 'user_type', accounts.user_type,
    'la_code', organisations.la_code, 'la_name', organisations.name,
    'privileges', ARRAY(SELECT privilege FROM account_privileges WHERE account_privileges.account_id = accounts.id),
    'schoolClaims', json_build_object('schools', ${schoolsColumn}, 'defaultGroup', ${defaultGroupColumn}))
  FROM accounts JOIN organisations ON organisations.id = accounts.organisation_id
  WHERE accounts.status = 'active' AND accounts.id = (SELECT CASE WHEN a ~* ${UUID_PATTERN} THEN a::uuid END
    FROM (SELECT ${accountId} AS a) AS given))`;

const UUID_PATTERN = '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$';

/** The school claims of an account, in one query; undefined for an unknown account. */
export async function schoolClaimsOf(db: Executor, accountId: string): Promise<SchoolClaims | undefined> {
  if (!isUuid(accountId)) return undefined;
  const row = await db
    .selectFrom('accounts')
    .select([schoolsColumn.as('school_claims'), defaultGroupColumn.as('default_group_claims')])
    .where('id', '=', accountId)
    .executeTakeFirst();
  return row && { schools: row.school_claims, defaultGroup: row.default_group_claims };
}

/** An account with its organisation, privilege codes and school claims, in one query (the provider's every use). */
export async function findAccountWithClaims(
  db: Executor,
  accountId: string,
): Promise<
  { account: Account; organisation: Organisation; privileges: string[]; schoolClaims: SchoolClaims } | undefined
> {
  if (!isUuid(accountId)) return undefined;
  const row = await accountWithOrganisationQuery(db, accountId)
    .select([schoolsColumn.as('school_claims'), defaultGroupColumn.as('default_group_claims')])
    .executeTakeFirst();
  if (!row) return undefined;
  const { school_claims, default_group_claims, ...rest } = row;
  return {
    ...accountWithOrganisation(rest),
    schoolClaims: { schools: school_claims, defaultGroup: default_group_claims },
  };
}
