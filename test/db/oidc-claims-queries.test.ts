import { afterAll, beforeAll, expect, it } from 'vitest';
import type { DatabaseHandle } from '../../src/data/connect.ts';
import { findAccountWithClaims, schoolClaimsOf } from '../../src/data/queries/oidc-claims-queries.ts';
import { createAccount, createOrganisation } from '../support/fixtures.ts';
import { createTestDatabase } from '../support/test-db.ts';

/**
 * The provider's account read (issue 16, R62): the account, its organisation, privileges and the
 * school part of the `nexus` claims in one statement, in the order and shape the claims give them.
 */

let handle: DatabaseHandle;
const SECRET = 'test-secret-key-test-secret-key-0123456789';

beforeAll(async () => {
  handle = await createTestDatabase();
});
afterAll(async () => handle.close());

it('gives empty schools and no group for an account with neither, and nothing for an unknown account', async () => {
  const { db } = handle;
  const la = await createOrganisation(db, '301', 'Testshire');
  const alone = await createAccount(db, SECRET, { organisationId: la, username: 'no.schools' });
  const found = await findAccountWithClaims(db, alone.id);
  expect(found?.account.username).toBe('no.schools');
  expect(found?.organisation.la_code).toBe('301');
  expect(found?.schoolClaims).toEqual({ schools: [], defaultGroup: null });
  expect(await schoolClaimsOf(db, alone.id)).toEqual({ schools: [], defaultGroup: null });
  expect(await findAccountWithClaims(db, '00000000-0000-4000-8000-000000000000')).toBeUndefined();
  expect(await findAccountWithClaims(db, 'not-a-uuid')).toBeUndefined();
});

it('lists schools by name with the role, and the default group by name with its schools by name', async () => {
  const { db } = handle;
  const la = await createOrganisation(db, '302', 'Otherside');
  const person = await createAccount(db, SECRET, {
    organisationId: la,
    username: 'many.schools',
    privileges: ['pupil_level'],
  });
  const schools = await db
    .insertInto('schools')
    .values(
      [
        [200003, 'Cedar High'],
        [200001, 'Alder Infants'],
        [200002, 'Beech Junior'],
      ].map(([urn, name]) => ({
        urn: urn as number,
        organisation_id: la,
        name: name as string,
        updated_at: new Date(),
      })),
    )
    .returning(['id', 'urn'])
    .execute();
  const idOf = (urn: number) => schools.find((s) => s.urn === urn)!.id;
  await db
    .insertInto('school_assignments')
    .values([
      { account_id: person.id, school_id: idOf(200003), role: 'teacher', assigned_at: new Date() },
      { account_id: person.id, school_id: idOf(200001), role: 'headteacher', assigned_at: new Date() },
    ])
    .execute();
  const empty = await db
    .insertInto('school_groups')
    .values({ organisation_id: la, name: 'Empty cluster', created_at: new Date() })
    .returning('id')
    .executeTakeFirstOrThrow();
  const group = await db
    .insertInto('school_groups')
    .values({ organisation_id: la, name: 'South cluster', created_at: new Date() })
    .returning('id')
    .executeTakeFirstOrThrow();
  await db
    .insertInto('school_group_schools')
    .values([200002, 200001].map((urn) => ({ school_group_id: group.id, school_id: idOf(urn) })))
    .execute();
  // The default group is one of the account's own groups (a constraint).
  await db
    .insertInto('account_school_groups')
    .values([group.id, empty.id].map((id) => ({ account_id: person.id, school_group_id: id })))
    .execute();
  await db.updateTable('accounts').set({ default_school_group_id: group.id }).where('id', '=', person.id).execute();

  const expected = {
    schools: [
      { urn: 200001, name: 'Alder Infants', role: 'headteacher' },
      { urn: 200003, name: 'Cedar High', role: 'teacher' },
    ],
    defaultGroup: {
      name: 'South cluster',
      schools: [
        { urn: 200001, name: 'Alder Infants' },
        { urn: 200002, name: 'Beech Junior' },
      ],
    },
  };
  const found = await findAccountWithClaims(db, person.id);
  expect(found?.privileges).toEqual(['pupil_level']);
  expect(found?.schoolClaims).toEqual(expected);
  expect(await schoolClaimsOf(db, person.id)).toEqual(expected);

  await db.updateTable('accounts').set({ default_school_group_id: empty.id }).where('id', '=', person.id).execute();
  expect((await schoolClaimsOf(db, person.id))?.defaultGroup).toEqual({ name: 'Empty cluster', schools: [] });
});
