import type { Executor } from '../database.ts';

/** An account's schools (R26) and school groups (R10): the writes of the user page. Reads: user-detail-queries.ts. */

/** The account's school groups become exactly these. */
export async function replaceSchoolGroupsOf(
  db: Executor,
  accountId: string,
  schoolGroupIds: readonly number[],
): Promise<void> {
  await db.deleteFrom('account_school_groups').where('account_id', '=', accountId).execute();
  if (schoolGroupIds.length > 0) {
    await db
      .insertInto('account_school_groups')
      .values(schoolGroupIds.map((g) => ({ account_id: accountId, school_group_id: g })))
      .execute();
  }
}

/** The account's role at a school, if it is assigned there. */
export async function schoolRoleOf(db: Executor, accountId: string, schoolId: number): Promise<string | undefined> {
  const row = await db
    .selectFrom('school_assignments')
    .select('role')
    .where('account_id', '=', accountId)
    .where('school_id', '=', schoolId)
    .executeTakeFirst();
  return row?.role;
}

/**
 * Assigns the account to a school with this role; false, changing nothing, when it is already
 * assigned there (its role is not silently changed).
 */
export async function assignSchool(
  db: Executor,
  assignment: { accountId: string; schoolId: number; role: string; now: Date },
): Promise<boolean> {
  const inserted = await db
    .insertInto('school_assignments')
    .values({
      account_id: assignment.accountId,
      school_id: assignment.schoolId,
      role: assignment.role,
      assigned_at: assignment.now,
    })
    .onConflict((oc) => oc.columns(['account_id', 'school_id']).doNothing())
    .returning('school_id')
    .executeTakeFirst();
  return inserted !== undefined;
}

/** Unassigns the account from a school; the removed assignment, if there was one. */
export async function unassignSchool(
  db: Executor,
  accountId: string,
  schoolId: number,
): Promise<{ school_id: number; role: string } | undefined> {
  return db
    .deleteFrom('school_assignments')
    .where('account_id', '=', accountId)
    .where('school_id', '=', schoolId)
    .returning(['school_id', 'role'])
    .executeTakeFirst();
}

/** The account's schools become exactly these (R26 re-assignment). */
export async function replaceSchoolsOf(
  db: Executor,
  accountId: string,
  schools: readonly { schoolId: number; role: string }[],
  now: Date,
): Promise<void> {
  await db.deleteFrom('school_assignments').where('account_id', '=', accountId).execute();
  if (schools.length > 0) {
    await db
      .insertInto('school_assignments')
      .values(schools.map((s) => ({ account_id: accountId, school_id: s.schoolId, role: s.role, assigned_at: now })))
      .execute();
  }
}
