import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAccount, createOrganisation, type FixtureAccount } from '../support/fixtures.ts';
import { signInAs } from '../support/sign-in.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';

/** The user page's Schools tab (R26): adding a school, the picker, closed schools. */

let t: TestApp;
let admin: FixtureAccount;
let user: FixtureAccount;
const school: Record<'alder' | 'birch' | 'damson' | 'kent', number> = { alder: 0, birch: 0, damson: 0, kent: 0 };

async function assignments() {
  return t.handle.db
    .selectFrom('school_assignments')
    .select(['school_id', 'role'])
    .where('account_id', '=', user.id)
    .orderBy('school_id')
    .execute();
}

async function auditCount() {
  return (
    await t.handle.db
      .selectFrom('audit_events')
      .select('id')
      .where('subject_account_id', '=', user.id)
      .where('action', '=', 'account.school-added')
      .execute()
  ).length;
}

beforeAll(async () => {
  t = await createTestApp();
  const db = t.handle.db;
  const camden = await createOrganisation(db, '202', 'Camden');
  const kent = await createOrganisation(db, '886', 'Kent');
  const rows = await db
    .insertInto('schools')
    .values([
      { urn: 100001, organisation_id: camden, name: 'Alder Primary', phase: 'Primary', updated_at: new Date() },
      { urn: 100002, organisation_id: camden, name: 'Birch Secondary', phase: 'Secondary', updated_at: new Date() },
      {
        urn: 100004,
        organisation_id: camden,
        name: 'Damson Academy',
        phase: 'Secondary',
        status: 'closed',
        updated_at: new Date(),
      },
      { urn: 200001, organisation_id: kent, name: 'Kent Primary', phase: 'Primary', updated_at: new Date() },
    ])
    .returning(['id', 'urn'])
    .execute();
  const id = (urn: number) => rows.find((r) => r.urn === urn)!.id;
  Object.assign(school, { alder: id(100001), birch: id(100002), damson: id(100004), kent: id(200001) });
  admin = await createAccount(db, t.config.secretKey, {
    organisationId: camden,
    username: 'camden.admin',
    userType: 'la_admin',
  });
  user = await createAccount(db, t.config.secretKey, {
    organisationId: camden,
    username: 'camden.user',
    userType: 'read_only',
  });
});
afterAll(async () => t?.close());

describe('Schools tab (R26)', () => {
  it('adds a school; adding it again says it is already there with its role, and changes nothing', async () => {
    const client = await signInAs(t, admin);
    await client.get(`/admin/users/${user.id}/schools`);
    const added = await client.post(`/admin/users/${user.id}/schools`, {
      schoolId: String(school.alder),
      role: 'headteacher',
    });
    expect(added.statusCode).toBe(303);
    expect((await client.get(`/admin/users/${user.id}/schools`)).body).toContain('School added.');
    expect(await assignments()).toEqual([{ school_id: school.alder, role: 'headteacher' }]);
    const events = await auditCount();

    const again = await client.post(`/admin/users/${user.id}/schools`, {
      schoolId: String(school.alder),
      role: 'governor',
    });
    expect(again.statusCode).toBe(400);
    const sentence =
      'Alder Primary is already in this user&#39;s schools as Headteacher. To change its role, remove it and add it again.';
    // In the summary, linked to the picker, and beside it.
    expect(again.body).toContain(`<a href="#schoolId">${sentence}</a>`);
    expect(again.body).toMatch(
      /id="schoolId-error"[^>]*>\s*<span class="govuk-visually-hidden">Error:<\/span> Alder Primary is already/,
    );
    expect(again.body).not.toContain('School added.');
    expect(await assignments()).toEqual([{ school_id: school.alder, role: 'headteacher' }]);
    expect(await auditCount()).toBe(events);
  });

  it("refuses another LA's school and a missing choice, each named", async () => {
    const client = await signInAs(t, admin);
    await client.get(`/admin/users/${user.id}/schools`);
    const other = await client.post(`/admin/users/${user.id}/schools`, {
      schoolId: String(school.kent),
      role: 'governor',
    });
    expect(other.statusCode).toBe(400);
    expect(other.body).toContain('Select a school of this Local Authority');
    const none = await client.post(`/admin/users/${user.id}/schools`, { schoolId: '', role: '' });
    expect(none.statusCode).toBe(400);
    expect(none.body).toContain('Select a school');
    expect(none.body).toContain('Select a role');
    expect((await assignments()).map((a) => a.school_id)).not.toContain(school.kent);
  });

  it("the picker is a plain select of the LA's schools, marked for the autocomplete; closed schools say so in it and in the list", async () => {
    const client = await signInAs(t, admin);
    await client.get(`/admin/users/${user.id}/schools`);
    await client.post(`/admin/users/${user.id}/schools`, { schoolId: String(school.damson), role: 'data_manager' });
    const page = await client.get(`/admin/users/${user.id}/schools`);
    const select = /<select[^>]*id="schoolId"[^>]*>([\s\S]*?)<\/select>/.exec(page.body);
    expect(select?.[0]).toContain('data-module="app-school-picker"');
    const options = [...select![1]!.matchAll(/<option value="(\d*)"[^>]*>([^<]*)<\/option>/g)].map((m) => m[2]!.trim());
    expect(options).toEqual([
      'Choose a school',
      'Alder Primary (100001)',
      'Birch Secondary (100002)',
      'Damson Academy (100004) – closed',
    ]);
    // In the list of the user's schools.
    expect(page.body).toMatch(/Damson Academy <strong class="govuk-tag govuk-tag--grey">Closed<\/strong>/);
  });

  it('serves the picker and the autocomplete library from the service itself, under a CSP without inline code', async () => {
    const client = await signInAs(t, admin);
    const page = await client.get(`/admin/users/${user.id}/schools`);
    const csp = String(page.headers['content-security-policy']);
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).not.toContain('unsafe-eval');
    for (const asset of [
      '/assets/init.mjs',
      '/assets/school-picker.mjs',
      '/assets/accessible-autocomplete.min.js',
      '/assets/accessible-autocomplete.min.css',
    ]) {
      const response = await t.app.inject({ method: 'GET', url: asset });
      expect(response.statusCode, asset).toBe(200);
    }
    const init = (await t.app.inject({ method: 'GET', url: '/assets/init.mjs' })).body;
    expect(init).toContain("import('/assets/school-picker.mjs')");
  });
});
