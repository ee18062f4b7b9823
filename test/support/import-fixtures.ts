import type { Db } from '../../src/data/database.ts';

/**
 * Camden (LA 202) as the user-import tests expect it: its two schools (URNs 100001 and 100002)
 * and the school groups named. Returns the organisation's id.
 */
export async function seedCamdenForImport(db: Db, groups: readonly string[] = []): Promise<number> {
  const now = new Date();
  const org = await db
    .insertInto('organisations')
    .values({ kind: 'la', la_code: '202', name: 'Camden', created_at: now })
    .returning('id')
    .executeTakeFirstOrThrow();
  await db
    .insertInto('schools')
    .values([
      { urn: 100001, organisation_id: org.id, name: 'Camden Primary', phase: 'Primary', updated_at: now },
      { urn: 100002, organisation_id: org.id, name: 'Camden Secondary', phase: 'Secondary', updated_at: now },
    ])
    .execute();
  if (groups.length > 0)
    await db
      .insertInto('school_groups')
      .values(groups.map((name) => ({ organisation_id: org.id, name, created_at: now })))
      .execute();
  return org.id;
}
