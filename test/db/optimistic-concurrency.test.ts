import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Problem } from '../../src/api/problem.ts';
import { createApiToken } from '../support/api-client.ts';
import { createAccount, createOrganisation, type FixtureAccount } from '../support/fixtures.ts';
import { signInAs } from '../support/sign-in.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';

/**
 * Optimistic concurrency on an account's `version` (issue 12): a change names the version it was
 * made against (API If-Match, SCIM If-Match or the version it read, the edit form's hidden
 * field); a stale one is refused with nothing written, and fields a caller does not send are
 * never written back from a stale read.
 */

let t: TestApp;
let camden: number;
let admin: FixtureAccount;
let token: string;

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';

function api(method: 'GET' | 'PATCH', url: string, body?: unknown, headers: Record<string, string> = {}) {
  return t.app.inject({
    method,
    url: `/api/v1${url}`,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...headers,
    },
    ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
  });
}

function scim(method: 'GET' | 'PUT' | 'PATCH', url: string, body?: unknown, headers: Record<string, string> = {}) {
  return t.app.inject({
    method,
    url: `/scim/v2${url}`,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/scim+json' }),
      ...headers,
    },
    ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
  });
}

async function stored(id: string) {
  return t.handle.db
    .selectFrom('accounts')
    .select(['first_name', 'last_name', 'job_title', 'phone', 'status', 'version'])
    .where('id', '=', id)
    .executeTakeFirstOrThrow();
}

async function detailsEvents(id: string): Promise<number> {
  const row = await t.handle.db
    .selectFrom('audit_events')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('subject_account_id', '=', id)
    .where('action', '=', 'account.details-changed')
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

let n = 0;
async function newOfficer(): Promise<FixtureAccount> {
  n += 1;
  return createAccount(t.handle.db, t.config.secretKey, {
    organisationId: camden,
    username: `camden.officer${n}`,
    userType: 'la_officer',
    firstName: 'Alex',
    lastName: 'Smith',
  });
}

const statusOf = (r: LightMyRequestResponse) => r.statusCode;

beforeAll(async () => {
  t = await createTestApp({ env: { API_RATE_LIMIT_PER_MINUTE: '100000' } });
  camden = await createOrganisation(t.handle.db, '202', 'Camden');
  admin = await createAccount(t.handle.db, t.config.secretKey, {
    organisationId: camden,
    username: 'camden.admin',
    userType: 'la_admin',
  });
  await createAccount(t.handle.db, t.config.secretKey, {
    organisationId: camden,
    username: 'camden.admin2',
    userType: 'la_admin',
  });
  token = await createApiToken(t.handle.db, { organisationId: camden, accountId: admin.id, name: 'script' });
});
afterAll(async () => t?.close());

describe('JSON API: PATCH /api/v1/users/{id} with If-Match', () => {
  it('two clients with the same version at once: one 200, one 412 with the current ETag; nothing lost', async () => {
    const officer = await newOfficer();
    const read = await api('GET', `/users/${officer.id}`);
    expect(read.statusCode).toBe(200);
    const etag = read.headers.etag as string;
    expect(etag).toBe(`"${read.json<{ version: number }>().version}"`);
    const before = await detailsEvents(officer.id);

    const [a, b] = await Promise.all([
      api('PATCH', `/users/${officer.id}`, { firstName: 'Alexandra' }, { 'if-match': etag }),
      api('PATCH', `/users/${officer.id}`, { jobTitle: 'Data officer' }, { 'if-match': etag }),
    ]);
    expect([a, b].map(statusOf).sort()).toEqual([200, 412]);
    const [won, lost] = a.statusCode === 200 ? [a, b] : [b, a];
    expect(lost.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(lost.json()).toMatchObject({ status: 412, title: 'Precondition failed' });
    expect(lost.json<Problem>().detail).toMatch(/Someone else changed this account/);
    // The refusal names the version that won, which is the one now stored.
    const now = await stored(officer.id);
    expect(lost.headers.etag).toBe(`"${now.version}"`);
    expect(won.headers.etag).toBe(`"${now.version}"`);
    expect(await detailsEvents(officer.id)).toBe(before + 1);
    const wonFirstName = won === a;
    expect(now.first_name).toBe(wonFirstName ? 'Alexandra' : 'Alex');
    expect(now.job_title).toBe(wonFirstName ? null : 'Data officer');

    // The loser reads again and sends its change against the current version: both changes kept.
    const retry = await api(
      'PATCH',
      `/users/${officer.id}`,
      wonFirstName ? { jobTitle: 'Data officer' } : { firstName: 'Alexandra' },
      { 'if-match': lost.headers.etag as string },
    );
    expect(retry.statusCode).toBe(200);
    const after = await stored(officer.id);
    expect(after).toMatchObject({ first_name: 'Alexandra', job_title: 'Data officer', last_name: 'Smith' });
    expect(await detailsEvents(officer.id)).toBe(before + 2);
  });

  it('a stale If-Match writes nothing: no field, no audit event, no new version', async () => {
    const officer = await newOfficer();
    const etag = (await api('GET', `/users/${officer.id}`)).headers.etag as string;
    expect(
      (await api('PATCH', `/users/${officer.id}`, { phone: '020 7946 0000' }, { 'if-match': etag })).statusCode,
    ).toBe(200);
    const before = await stored(officer.id);
    const events = await detailsEvents(officer.id);
    const stale = await api('PATCH', `/users/${officer.id}`, { lastName: 'Jones' }, { 'if-match': etag });
    expect(stale.statusCode).toBe(412);
    expect(await stored(officer.id)).toEqual(before);
    expect(await detailsEvents(officer.id)).toBe(events);
  });

  it('without If-Match, fields left out are never written back from an older read', async () => {
    const officer = await newOfficer();
    const [a, b] = await Promise.all([
      api('PATCH', `/users/${officer.id}`, { firstName: 'Sam' }),
      api('PATCH', `/users/${officer.id}`, { phone: '0161 496 0000' }),
    ]);
    expect([a.statusCode, b.statusCode]).toEqual([200, 200]);
    expect(await stored(officer.id)).toMatchObject({ first_name: 'Sam', phone: '0161 496 0000', last_name: 'Smith' });
  });

  it('weak tags and * are taken; a malformed If-Match is a 400 with nothing written', async () => {
    const officer = await newOfficer();
    const { version } = (await api('GET', `/users/${officer.id}`)).json<{ version: number }>();
    const weak = await api('PATCH', `/users/${officer.id}`, { firstName: 'Jo' }, { 'if-match': `W/"${version}"` });
    expect(weak.statusCode).toBe(200);
    expect((await api('PATCH', `/users/${officer.id}`, { firstName: 'Jody' }, { 'if-match': '*' })).statusCode).toBe(
      200,
    );
    const before = await stored(officer.id);
    for (const bad of ['7', '"seven"', '"1", "2"', `"${'9'.repeat(12)}"`, "'; DROP TABLE accounts; --"]) {
      const response = await api('PATCH', `/users/${officer.id}`, { firstName: 'Nope' }, { 'if-match': bad });
      expect(response.statusCode, bad).toBe(400);
      expect(response.json<Problem>().errors).toHaveProperty('If-Match');
    }
    expect(await stored(officer.id)).toEqual(before);
  });
});

describe('Edit user details page: the form carries the version', () => {
  it('a form filled in before someone else saved is refused with a clear message and the current details', async () => {
    const officer = await newOfficer();
    const browser = await signInAs(t, admin);
    const form = await browser.get(`/admin/users/${officer.id}/edit`);
    expect(form.statusCode).toBe(200);
    const version = /name="version" value="([0-9]+)"/.exec(form.body)?.[1];
    expect(version).toBe(String((await stored(officer.id)).version));

    // Meanwhile a script changes the last name.
    expect((await api('PATCH', `/users/${officer.id}`, { lastName: 'Patel' })).statusCode).toBe(200);
    const before = await stored(officer.id);

    const fields = {
      firstName: 'Alex',
      lastName: 'Smith',
      email: `camden.officer${n}@example.gov.uk`,
      jobTitle: 'Analyst',
      phone: '',
      accessEndDate: '',
      defaultSchoolGroupId: '',
    };
    const refused = await browser.post(`/admin/users/${officer.id}/edit`, { ...fields, version: version! });
    expect(refused.statusCode).toBe(409);
    expect(refused.body).toContain('Someone else changed this account after you opened it');
    expect(refused.body).toContain('govuk-error-summary');
    // The form now shows the account as it is, with its current version.
    expect(refused.body).toContain('value="Patel"');
    expect(refused.body).toContain(`name="version" value="${before.version}"`);
    expect(await stored(officer.id)).toEqual(before);

    const saved = await browser.post(`/admin/users/${officer.id}/edit`, {
      ...fields,
      lastName: 'Patel',
      version: String(before.version),
    });
    expect(saved.statusCode).toBe(303);
    expect(await stored(officer.id)).toMatchObject({ last_name: 'Patel', job_title: 'Analyst' });
  });
});

describe('Privileges and Schools forms carry the version too', () => {
  async function privilegeCodes(id: string): Promise<string[]> {
    const rows = await t.handle.db
      .selectFrom('account_privileges')
      .select('privilege')
      .where('account_id', '=', id)
      .orderBy('privilege')
      .execute();
    return rows.map((r) => r.privilege);
  }

  it('a Privileges form opened before another change is refused, nothing written, with the current privileges', async () => {
    const officer = await newOfficer();
    const browser = await signInAs(t, admin);
    const page = await browser.get(`/admin/users/${officer.id}/privileges`);
    const version = /name="version" value="([0-9]+)"/.exec(page.body)?.[1];
    expect(version).toBe(String((await stored(officer.id)).version));
    expect((await api('PATCH', `/users/${officer.id}`, { jobTitle: 'Moved on' })).statusCode).toBe(200);
    const before = { account: await stored(officer.id), privileges: await privilegeCodes(officer.id) };

    const refused = await browser.post(`/admin/users/${officer.id}/privileges`, {
      userType: 'la_officer',
      privileges: ['view_users', 'summary_reports', 'pupil_level'],
      cinClaAgreedBy: '',
      action: 'save',
      version: version!,
    });
    expect(refused.statusCode).toBe(409);
    expect(refused.body).toContain('Someone else changed this account after you opened it');
    expect(refused.body).toContain(`name="version" value="${before.account.version}"`);
    expect({ account: await stored(officer.id), privileges: await privilegeCodes(officer.id) }).toEqual(before);
  });

  it('the API PUT of privileges and of schools honours If-Match', async () => {
    const officer = await newOfficer();
    const etag = (await api('GET', `/users/${officer.id}`)).headers.etag as string;
    expect((await api('PATCH', `/users/${officer.id}`, { phone: '01632 960000' })).statusCode).toBe(200);
    const before = { account: await stored(officer.id), privileges: await privilegeCodes(officer.id) };
    const put = (url: string, body: unknown, ifMatch: string) =>
      t.app.inject({
        method: 'PUT',
        url: `/api/v1${url}`,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'if-match': ifMatch },
        payload: JSON.stringify(body),
      });
    const privileges = await put(
      `/users/${officer.id}/privileges`,
      { userType: 'la_officer', privileges: ['view_users'] },
      etag,
    );
    expect(privileges.statusCode).toBe(412);
    const schools = await put(`/users/${officer.id}/schools`, { items: [] }, etag);
    expect(schools.statusCode).toBe(412);
    expect({ account: await stored(officer.id), privileges: await privilegeCodes(officer.id) }).toEqual(before);
    const current = await put(
      `/users/${officer.id}/privileges`,
      { userType: 'la_officer', privileges: ['view_users'] },
      `"${before.account.version}"`,
    );
    expect(current.statusCode).toBe(200);
    expect(await privilegeCodes(officer.id)).toEqual(['view_users']);
  });
});

describe('SCIM: one request, one transaction', () => {
  it('a PUT that edits and archives is refused whole when the archive is refused: no half-written edit', async () => {
    // The token's creator deprovisioning their own account: the edit alone is allowed, the
    // archive is not (nobody archives themselves). Before, the edit was committed first.
    const got = await scim('GET', `/Users/${admin.id}`);
    expect(got.statusCode).toBe(200);
    const user = got.json<Record<string, unknown> & { name: Record<string, string> }>();
    const before = await stored(admin.id);
    const events = await detailsEvents(admin.id);
    const put = await scim('PUT', `/Users/${admin.id}`, {
      ...user,
      schemas: [USER],
      name: { ...user.name, givenName: 'Renamed' },
      active: false,
    });
    expect(put.statusCode).toBe(403);
    expect(put.headers['content-type']).toMatch(/^application\/scim\+json/);
    expect(await stored(admin.id)).toEqual(before);
    expect(await detailsEvents(admin.id)).toBe(events);
  });

  it('a PUT against a version that is no longer current (If-Match) is 412 and writes nothing', async () => {
    const officer = await newOfficer();
    const got = await scim('GET', `/Users/${officer.id}`);
    const user = got.json<Record<string, unknown> & { name: Record<string, string>; meta: { version: string } }>();
    expect(user.meta.version).toBe(`W/"${(await stored(officer.id)).version}"`);
    expect((await api('PATCH', `/users/${officer.id}`, { jobTitle: 'Changed elsewhere' })).statusCode).toBe(200);
    const before = await stored(officer.id);
    const put = await scim(
      'PUT',
      `/Users/${officer.id}`,
      { ...user, schemas: [USER], name: { ...user.name, givenName: 'Stale' } },
      { 'if-match': user.meta.version },
    );
    expect(put.statusCode).toBe(412);
    expect(put.json<{ schemas: string[] }>().schemas).toEqual(['urn:ietf:params:scim:api:messages:2.0:Error']);
    expect(await stored(officer.id)).toEqual(before);

    const current = await scim(
      'PATCH',
      `/Users/${officer.id}`,
      {
        schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
        Operations: [{ op: 'replace', path: 'name.givenName', value: 'Fresh' }],
      },
      { 'if-match': `W/"${before.version}"` },
    );
    expect(current.statusCode).toBe(200);
    expect(await stored(officer.id)).toMatchObject({ first_name: 'Fresh', job_title: 'Changed elsewhere' });
  });
});
