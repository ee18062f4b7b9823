import type { Executor } from '../database.ts';
import { fullName } from '../../domain/names.ts';

/** What the user page (R24–R27) shows besides the account row itself. */

export async function schoolAssignmentsOf(db: Executor, accountId: string) {
  return db
    .selectFrom('school_assignments')
    .innerJoin('schools', 'schools.id', 'school_assignments.school_id')
    .select([
      'schools.id',
      'schools.urn',
      'schools.name',
      'schools.phase',
      'schools.status',
      'school_assignments.role',
      'school_assignments.assigned_at',
    ])
    .where('school_assignments.account_id', '=', accountId)
    .orderBy('schools.name')
    .orderBy('schools.id')
    .execute();
}

/** The schools of several accounts, one row an assignment, by school name. */
export async function schoolsOfAccounts(db: Executor, accountIds: readonly string[]) {
  return db
    .selectFrom('school_assignments')
    .innerJoin('schools', 'schools.id', 'school_assignments.school_id')
    .select(['school_assignments.account_id', 'schools.name', 'schools.urn'])
    .where('school_assignments.account_id', 'in', accountIds)
    .orderBy('schools.name')
    .execute();
}

export async function schoolGroupsOf(db: Executor, accountId: string) {
  return db
    .selectFrom('account_school_groups')
    .innerJoin('school_groups', 'school_groups.id', 'account_school_groups.school_group_id')
    .select(['school_groups.id', 'school_groups.name'])
    .where('account_school_groups.account_id', '=', accountId)
    .orderBy('school_groups.name')
    .execute();
}

export async function subscriptionsOf(db: Executor, accountId: string): Promise<string[]> {
  const rows = await db
    .selectFrom('communication_subscriptions')
    .select('topic')
    .where('account_id', '=', accountId)
    .execute();
  return rows.map((r) => r.topic);
}

export async function schoolsOfOrganisation(db: Executor, organisationId: number) {
  return db
    .selectFrom('schools')
    .select(['id', 'urn', 'name', 'phase', 'status'])
    .where('organisation_id', '=', organisationId)
    .orderBy('name')
    .orderBy('id')
    .execute();
}

export async function schoolGroupsOfOrganisation(db: Executor, organisationId: number) {
  return db
    .selectFrom('school_groups')
    .select(['id', 'name'])
    .where('organisation_id', '=', organisationId)
    .orderBy('name')
    .execute();
}

export async function accountLabel(db: Executor, accountId: string | null): Promise<string | null> {
  if (!accountId) return null;
  const row = await db
    .selectFrom('accounts')
    .select(['first_name', 'last_name', 'username'])
    .where('id', '=', accountId)
    .executeTakeFirst();
  return row ? fullName(row) : null;
}
