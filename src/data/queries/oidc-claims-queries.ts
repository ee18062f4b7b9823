import { sql } from 'kysely';
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
