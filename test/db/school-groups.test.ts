import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FormClient } from '../support/browser.ts';
import { signInAs } from '../support/sign-in.ts';
import { createAccount, createOrganisation, type FixtureAccount } from '../support/fixtures.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';

let t: TestApp;
let admin: FixtureAccount;
let user: FixtureAccount;
let kentAdmin: FixtureAccount;
let schools: number[];

const signIn = (account: FixtureAccount): Promise<FormClient> => signInAs(t, account);

beforeAll(async () => {
  t = await createTestApp();
  const db = t.handle.db;
  const camden = await createOrganisation(db, '202', 'Camden');
  const kent = await createOrganisation(db, '886', 'Kent');
  schools = (
    await db
      .insertInto('schools')
      .values([
        { urn: 200001, organisation_id: camden, name: 'Alpha Primary', phase: 'Primary', updated_at: new Date() },
        { urn: 200002, organisation_id: camden, name: 'Beta Secondary', phase: 'Secondary', updated_at: new Date() },
        { urn: 200003, organisation_id: kent, name: 'Kent School', phase: 'Primary', updated_at: new Date() },
      ])
      .returning('id')
      .execute()
  ).map((r) => r.id);
  admin = await createAccount(db, t.config.secretKey, {
    organisationId: camden,
    username: 'camden.admin',
    userType: 'la_admin',
  });
  user = await createAccount(db, t.config.secretKey, {
    organisationId: camden,
    username: 'camden.sip',
    userType: 'commissioned',
    firstName: 'Sam',
    lastName: 'Sip',
  });
  kentAdmin = await createAccount(db, t.config.secretKey, {
    organisationId: kent,
    username: 'kent.admin',
    userType: 'la_admin',
  });
});
afterAll(async () => t?.close());

describe('school groups and the Default School Group (R10)', () => {
  it('creates a group, assigns it as a default, and clears that default when the group is deleted, saying so first', async () => {
    const client = await signIn(admin);
    await client.get('/admin/school-groups/new');
    const created = await client.post('/admin/school-groups/new', {
      name: 'North cluster',
      schoolIds: [String(schools[0]), String(schools[1])],
    });
    expect(created.statusCode).toBe(303);
    const group = await t.handle.db
      .selectFrom('school_groups')
      .selectAll()
      .where('name', '=', 'North cluster')
      .executeTakeFirstOrThrow();
    const members = await t.handle.db
      .selectFrom('school_group_schools')
      .select('school_id')
      .where('school_group_id', '=', group.id)
      .execute();
    expect(members.map((m) => m.school_id).sort()).toEqual([schools[0], schools[1]].sort());

    await client.get(`/admin/users/${user.id}/edit`);
    const refused = await client.post(`/admin/users/${user.id}/edit`, {
      firstName: 'Sam',
      lastName: 'Sip',
      email: 'sam@camden.gov.uk',
      defaultSchoolGroupId: String(group.id),
    });
    expect(refused.statusCode).toBe(400);
    expect(refused.body).toContain('The default school group must be one of the groups you selected');
    const saved = await client.post(`/admin/users/${user.id}/edit`, {
      firstName: 'Sam',
      lastName: 'Sip',
      email: 'sam@camden.gov.uk',
      schoolGroupIds: String(group.id),
      defaultSchoolGroupId: String(group.id),
    });
    expect(saved.statusCode).toBe(303);
    expect(
      (
        await t.handle.db
          .selectFrom('accounts')
          .select('default_school_group_id')
          .where('id', '=', user.id)
          .executeTakeFirstOrThrow()
      ).default_school_group_id,
    ).toBe(group.id);

    const confirm = await client.get(`/admin/school-groups/${group.id}/delete`);
    expect(confirm.body).toContain('Default School Group of 1 user');
    expect(confirm.body).toContain('Sam Sip');
    const deleted = await client.post(`/admin/school-groups/${group.id}/delete`, {});
    expect(deleted.statusCode).toBe(303);
    const after = await t.handle.db
      .selectFrom('accounts')
      .select('default_school_group_id')
      .where('id', '=', user.id)
      .executeTakeFirstOrThrow();
    expect(after.default_school_group_id).toBeNull();
    expect(
      await t.handle.db.selectFrom('account_school_groups').selectAll().where('account_id', '=', user.id).execute(),
    ).toEqual([]);
  });

  it("refuses another LA's schools and groups, duplicate names and bad input, changing nothing", async () => {
    const client = await signIn(admin);
    await client.get('/admin/school-groups/new');
    const other = await client.post('/admin/school-groups/new', { name: 'Sneaky', schoolIds: String(schools[2]) });
    expect(other.statusCode).toBe(400);
    await client.post('/admin/school-groups/new', { name: 'South' });
    const duplicate = await client.post('/admin/school-groups/new', { name: 'SOUTH' });
    expect(duplicate.statusCode).toBe(400);
    expect(duplicate.body).toContain('already exists');
    const empty = await client.post('/admin/school-groups/new', { name: '' });
    expect(empty.statusCode).toBe(400);
    const long = await client.post('/admin/school-groups/new', {
      name: 'x'.repeat(500),
      schoolIds: ["1'; DROP TABLE schools; --"],
    });
    expect(long.statusCode).toBe(400);
    expect(await t.handle.db.selectFrom('school_groups').select('name').execute()).toEqual([{ name: 'South' }]);

    const south = await t.handle.db
      .selectFrom('school_groups')
      .select('id')
      .where('name', '=', 'South')
      .executeTakeFirstOrThrow();
    const kent = await signIn(kentAdmin);
    expect((await kent.get(`/admin/school-groups/${south.id}`)).statusCode).toBe(404);
    await kent.get('/admin/school-groups');
    expect((await kent.post(`/admin/school-groups/${south.id}/delete`, {})).statusCode).toBe(404);
    expect(await t.handle.db.selectFrom('school_groups').select('name').execute()).toEqual([{ name: 'South' }]);
  });
});
