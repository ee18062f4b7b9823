import type { Executor } from '../database.ts';

/** Schools as other areas pick them: one LA's, by id. Imports write schools (school-import-queries.ts). */

/** Which of these school ids are schools of the LA (callers compare the count to refuse others'). */
export async function schoolIdsOfOrganisation(
  db: Executor,
  organisationId: number,
  schoolIds: readonly number[],
): Promise<{ id: number }[]> {
  if (schoolIds.length === 0) return [];
  return db
    .selectFrom('schools')
    .select('id')
    .where('organisation_id', '=', organisationId)
    .where('id', 'in', schoolIds)
    .execute();
}

export async function findSchoolOfOrganisation(db: Executor, organisationId: number, schoolId: number) {
  return db
    .selectFrom('schools')
    .select(['id', 'name', 'urn'])
    .where('id', '=', schoolId)
    .where('organisation_id', '=', organisationId)
    .executeTakeFirst();
}

/** A school's URN and name, as the audit names it. */
export async function schoolNamed(db: Executor, schoolId: number): Promise<{ urn: number; name: string } | undefined> {
  return db.selectFrom('schools').select(['urn', 'name']).where('id', '=', schoolId).executeTakeFirst();
}

/** Every school's id by URN. */
export async function schoolIdsByUrn(db: Executor): Promise<Map<number, number>> {
  const rows = await db.selectFrom('schools').select(['id', 'urn']).execute();
  return new Map(rows.map((r) => [r.urn, r.id]));
}
