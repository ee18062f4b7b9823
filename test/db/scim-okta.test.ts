import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { expectScimError, LIST, PATCH, useScimLa, USER, type ScimList, type ScimUser } from '../support/scim-client.ts';

/**
 * Okta's published SCIM 2.0 test sequence (the Runscope "Okta SCIM 2.0 SPEC Test" and "CRUD Test"
 * that Okta asks integrators to pass), request by request with its assertions: list with
 * count=1&startIndex=1 and its paging fields, get the first user, filter for a user that does not
 * exist, create one (userName in the case sent), get it, create it again (409), filter in another
 * case, 404 on a random id, PUT of the body GET returned, PATCH active. Some of Okta's requests
 * carry no Content-Type.
 */

const RANDOM = 'RunscopeUser8d2f';
const USER_NAME = `${RANDOM}Username@atko.com`;
const EMAIL = `${RANDOM}Email@atko.com`;

const { app, send: okta } = useScimLa();

function expectListShape(body: ScimList) {
  expect(body.schemas).toContain(LIST);
  expect(typeof body.itemsPerPage).toBe('number');
  expect(typeof body.startIndex).toBe('number');
  expect(typeof body.totalResults).toBe('number');
  expect(Array.isArray(body.Resources)).toBe(true);
}

describe("Okta's SCIM 2.0 spec test", () => {
  let firstId: string;
  let id: string;

  it('GET /Users?count=1&startIndex=1: 200, one resource, the ListResponse paging fields', async () => {
    const response = await okta('GET', '/Users?count=1&startIndex=1');
    expect(response.statusCode).toBe(200);
    const body = response.json<ScimList>();
    expectListShape(body);
    expect(body).toMatchObject({ startIndex: 1, itemsPerPage: 1, totalResults: 2 });
    expect(body.Resources).toHaveLength(1);
    expect(body.Resources[0]).toMatchObject({ userName: expect.stringMatching(/^camden\.admin2?$/), active: true });
    firstId = body.Resources[0]!.id;
    const firstName = body.Resources[0]!.userName;
    // The next page holds the other account, and a page past the end is empty, with the same total.
    const second = (await okta('GET', '/Users?count=1&startIndex=2')).json<ScimList>();
    expect(second).toMatchObject({ startIndex: 2, itemsPerPage: 1, totalResults: 2 });
    expect([firstName, second.Resources[0]!.userName].sort()).toEqual(['camden.admin', 'camden.admin2']);
    expect((await okta('GET', '/Users?count=1&startIndex=3')).json<ScimList>()).toMatchObject({
      startIndex: 3,
      itemsPerPage: 0,
      totalResults: 2,
      Resources: [],
    });
  });

  it('GET /Users/{id} of the first: its id, names, userName, active and emails', async () => {
    const response = await okta('GET', `/Users/${firstId}`);
    expect(response.statusCode).toBe(200);
    const body = response.json<ScimUser>();
    expect(body.id).toBe(firstId);
    expect(body.name.familyName).not.toBe('');
    expect(body.name.givenName).not.toBe('');
    expect(body.userName).toMatch(/^camden\.admin2?$/);
    expect(body.active).toBe(true);
    expect(body.emails[0]!.value).toMatch(/@/);
  });

  it('GET /Users?filter=userName eq "<a user that does not exist>": 200, totalResults 0', async () => {
    const response = await okta('GET', `/Users?filter=${encodeURIComponent(`userName eq "${USER_NAME}"`)}`);
    expect(response.statusCode).toBe(200);
    const body = response.json<ScimList>();
    expectListShape(body);
    expect(body.totalResults).toBe(0);
    expect(body.Resources).toEqual([]);
  });

  it('POST /Users (no Content-Type, as Okta sends it): 201, userName exactly as sent, active', async () => {
    const response = await okta(
      'POST',
      '/Users',
      {
        schemas: [USER],
        userName: USER_NAME,
        name: { givenName: `${RANDOM}GivenName`, familyName: `${RANDOM}FamilyName` },
        emails: [{ primary: true, value: EMAIL, type: 'work' }],
        displayName: `${RANDOM}DisplayName`,
        active: true,
      },
      { contentType: null },
    );
    expect(response.statusCode, response.body).toBe(201);
    const body = response.json<ScimUser>();
    expect(body.userName).toBe(USER_NAME);
    expect(body.active).toBe(true);
    expect(body.name).toMatchObject({ givenName: `${RANDOM}GivenName`, familyName: `${RANDOM}FamilyName` });
    expect(body.emails).toEqual([{ value: EMAIL, type: 'work', primary: true }]);
    id = body.id;
  });

  it('GET /Users/{id} of the new user: the same userName, case kept', async () => {
    const response = await okta('GET', `/Users/${id}`);
    expect(response.statusCode).toBe(200);
    expect(response.json<ScimUser>()).toMatchObject({ id, userName: USER_NAME, active: true });
  });

  it('POST /Users again with the same values: 409', async () => {
    expectScimError(
      await okta('POST', '/Users', {
        schemas: [USER],
        userName: USER_NAME,
        name: { givenName: 'a', familyName: 'b' },
        emails: [{ primary: true, value: EMAIL, type: 'work' }],
        active: true,
      }),
      409,
      'uniqueness',
    );
  });

  it('username case sensitivity: filter in capitals finds the one user, returned as created', async () => {
    const response = await okta(
      'GET',
      `/Users?filter=${encodeURIComponent(`userName eq "${USER_NAME.toUpperCase()}"`)}`,
    );
    expect(response.statusCode).toBe(200);
    const body = response.json<ScimList>();
    expect(body.totalResults).toBe(1);
    expect(body.Resources[0]).toMatchObject({ id, userName: USER_NAME });
  });

  it('GET /Users/<a random id>: 404 with a SCIM error', async () => {
    expectScimError(await okta('GET', `/Users/${randomUUID()}`), 404);
    expectScimError(await okta('GET', '/Users/010101010101010101'), 404);
  });

  it('PUT /Users/{id} with the body GET returned, a name changed: 200, the change kept, nothing else', async () => {
    const got = (await okta('GET', `/Users/${id}`)).json<ScimUser>();
    const response = await okta('PUT', `/Users/${id}`, {
      ...got,
      name: { ...got.name, givenName: `${RANDOM}Changed` },
    });
    expect(response.statusCode, response.body).toBe(200);
    const body = response.json<ScimUser>();
    expect(body).toMatchObject({ id, userName: USER_NAME, active: true, emails: got.emails });
    expect(body.name.givenName).toBe(`${RANDOM}Changed`);
    // The same body again changes nothing: the version stays.
    const again = await okta('PUT', `/Users/${id}`, body);
    expect(again.statusCode).toBe(200);
    expect(again.json<ScimUser>().meta.version).toBe(body.meta.version);
  });

  it('PATCH active false (no path, an object value), then true: 200 each, the account archived then restored', async () => {
    const off = await okta('PATCH', `/Users/${id}`, {
      schemas: [PATCH],
      Operations: [{ op: 'replace', value: { active: false } }],
    });
    expect(off.statusCode, off.body).toBe(200);
    expect(off.json<ScimUser>().active).toBe(false);
    expect((await okta('GET', `/Users/${id}`)).json<ScimUser>().active).toBe(false);
    const on = await okta('PATCH', `/Users/${id}`, {
      schemas: [PATCH],
      Operations: [{ op: 'replace', value: { active: true } }],
    });
    expect(on.statusCode, on.body).toBe(200);
    expect(on.json<ScimUser>().active).toBe(true);
    const row = await app()
      .handle.db.selectFrom('accounts')
      .select('status')
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    expect(row.status).toBe('active');
  });

  it('a body with no Content-Type is read as JSON, while a form body is still refused (415)', async () => {
    const bare = await okta(
      'PATCH',
      `/Users/${id}`,
      { schemas: [PATCH], Operations: [{ op: 'replace', path: 'title', value: 'Okta title' }] },
      { contentType: null },
    );
    expect(bare.statusCode, bare.body).toBe(200);
    expect(bare.json<ScimUser>().title).toBe('Okta title');
    expectScimError(
      await okta('PATCH', `/Users/${id}`, 'title=x', { contentType: 'application/x-www-form-urlencoded' }),
      415,
    );
  });
});
