import { sql, type Selectable } from 'kysely';
import type { Executor, SchoolGroupsTable } from '../database.ts';

/** School groups of an LA (R3, R10). The groups an account belongs to: user-detail-queries.ts, account-school-queries.ts. */

export async function findSchoolGroup(db: Executor, id: number): Promise<Selectable<SchoolGroupsTable> | undefined> {
  return db.selectFrom('school_groups').selectAll().where('id', '=', id).executeTakeFirst();
}

/** The LA's groups by name, with how many schools and accounts each has. */
export async function schoolGroupsWithCounts(db: Executor, organisationId: number) {
  return db
    .selectFrom('school_groups')
    .select([
      'school_groups.id',
      'school_groups.name',
      sql<string>`(SELECT count(*) FROM school_group_schools s WHERE s.school_group_id = school_groups.id)`.as(
        'schools',
      ),
      sql<string>`(SELECT count(*) FROM account_school_groups a WHERE a.school_group_id = school_groups.id)`.as(
        'accounts',
      ),
    ])
    .where('organisation_id', '=', organisationId)
    .orderBy('name')
    .execute();
}

/** Which of these group ids are groups of the LA (callers compare the count to refuse others'). */
export async function schoolGroupIdsOfOrganisation(
  db: Executor,
  organisationId: number,
  groupIds: readonly number[],
): Promise<{ id: number }[]> {
  if (groupIds.length === 0) return [];
  return db
    .selectFrom('school_groups')
    .select('id')
    .where('organisation_id', '=', organisationId)
    .where('id', 'in', groupIds)
    .execute();
}

export async function schoolIdsOfGroup(db: Executor, groupId: number): Promise<number[]> {
  const rows = await db
    .selectFrom('school_group_schools')
    .select('school_id')
    .where('school_group_id', '=', groupId)
    .execute();
  return rows.map((r) => r.school_id);
}

/** The accounts whose default school group this is, by last name. */
export async function accountsDefaultingTo(db: Executor, groupId: number) {
  return db
    .selectFrom('accounts')
    .select(['id', 'first_name', 'last_name'])
    .where('default_school_group_id', '=', groupId)
    .orderBy('last_name')
    .execute();
}

/** The ids of the accounts whose default school group this is. */
export async function accountIdsDefaultingTo(db: Executor, groupId: number): Promise<{ id: string }[]> {
  return db.selectFrom('accounts').select('id').where('default_school_group_id', '=', groupId).execute();
}

/** Another group of the LA with this name, if any (names are unique in an LA). */
export async function schoolGroupNamed(
  db: Executor,
  organisationId: number,
  name: string,
  exceptId?: number,
): Promise<{ id: number } | undefined> {
  let query = db
    .selectFrom('school_groups')
    .select('id')
    .where('organisation_id', '=', organisationId)
    .where('name', '=', name);
  if (exceptId !== undefined) query = query.where('id', '!=', exceptId);
  return query.executeTakeFirst();
}

/** A new group with its schools; returns its id. */
export async function insertSchoolGroup(
  db: Executor,
  group: { organisationId: number; name: string; schoolIds: readonly number[]; now: Date },
): Promise<number> {
  const { id } = await db
    .insertInto('school_groups')
    .values({ organisation_id: group.organisationId, name: group.name, created_at: group.now })
    .returning('id')
    .executeTakeFirstOrThrow();
  await insertSchoolsOfGroup(db, id, group.schoolIds);
  return id;
}

/** Renames the group; its schools become exactly these. */
export async function updateSchoolGroup(
  db: Executor,
  groupId: number,
  name: string,
  schoolIds: readonly number[],
): Promise<void> {
  await db.updateTable('school_groups').set({ name }).where('id', '=', groupId).execute();
  await db.deleteFrom('school_group_schools').where('school_group_id', '=', groupId).execute();
  await insertSchoolsOfGroup(db, groupId, schoolIds);
}

async function insertSchoolsOfGroup(db: Executor, groupId: number, schoolIds: readonly number[]): Promise<void> {
  if (schoolIds.length === 0) return;
  await db
    .insertInto('school_group_schools')
    .values(schoolIds.map((school_id) => ({ school_group_id: groupId, school_id })))
    .execute();
}

/** Deletes the group: the schema unassigns it and clears it as anyone's default (SET NULL, R10). */
export async function deleteSchoolGroup(db: Executor, groupId: number): Promise<void> {
  await db.deleteFrom('school_groups').where('id', '=', groupId).execute();
}

/** A group's schools with their URN and name, by name (the `nexus` claims of the OpenID Connect provider). */
export async function schoolsOfGroup(db: Executor, groupId: number) {
  return db
    .selectFrom('school_group_schools')
    .innerJoin('schools', 'schools.id', 'school_group_schools.school_id')
    .select(['schools.urn', 'schools.name'])
    .where('school_group_schools.school_group_id', '=', groupId)
    .orderBy('schools.name')
    .orderBy('schools.urn')
    .execute();
}
