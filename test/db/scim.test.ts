import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addMonthsUtc } from '../../src/domain/calendar.ts';
import { createApiToken } from '../support/api-client.ts';
import { createAccount, createOrganisation, type FixtureAccount } from '../support/fixtures.ts';
import { signInAs } from '../support/sign-in.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';
import {
  expectScimError,
  PATCH,
  scimClient,
  USER,
  type ScimList,
  type ScimUser,
  type Send,
} from '../support/scim-client.ts';

let t: TestApp;
let camden: number;
let kent: number;
let admin: FixtureAccount;
let adminToken: string;
let viewerToken: string;
let kentToken: string;

const send = scimClient(
  () => t,
  () => adminToken,
);
const scim = (
  method: Parameters<Send>[0],
  url: string,
  body?: unknown,
  token: string | null = adminToken,
): Promise<LightMyRequestResponse> => send(method, url, body, { token });

async function counts() {
  const db = t.handle.db;
  const [accounts, outbox, audit] = await Promise.all([
    db
      .selectFrom('accounts')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .executeTakeFirstOrThrow(),
    db
      .selectFrom('email_outbox')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .executeTakeFirstOrThrow(),
    db
      .selectFrom('audit_events')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('action', '!=', 'api-token.used')
      .executeTakeFirstOrThrow(),
  ]);
  return { accounts: accounts.n, outbox: outbox.n, audit: audit.n };
}

const bjensen = {
  schemas: [USER],
  userName: 'bjensen',
  externalId: 'bjensen',
  name: { formatted: 'Ms. Barbara J Jensen III', familyName: 'Jensen', givenName: 'Barbara' },
};

beforeAll(async () => {
  t = await createTestApp();
  const db = t.handle.db;
  camden = await createOrganisation(db, '202', 'Camden');
  kent = await createOrganisation(db, '886', 'Kent');
  const key = t.config.secretKey;
  admin = await createAccount(db, key, {
    organisationId: camden,
    username: 'camden.admin',
    userType: 'la_admin',
    email: 'admin@camden.gov.uk',
  });
  await createAccount(db, key, { organisationId: camden, username: 'camden.admin2', userType: 'la_admin' });
  const viewer = await createAccount(db, key, {
    organisationId: camden,
    username: 'camden.viewer',
    userType: 'la_officer',
  });
  const kentAdmin = await createAccount(db, key, {
    organisationId: kent,
    username: 'kent.admin',
    userType: 'la_admin',
  });
  await createAccount(db, key, { organisationId: kent, username: 'kent.officer', userType: 'la_officer' });
  adminToken = await createApiToken(db, { organisationId: camden, accountId: admin.id });
  viewerToken = await createApiToken(db, { organisationId: camden, accountId: viewer.id });
  kentToken = await createApiToken(db, { organisationId: kent, accountId: kentAdmin.id });
});
afterAll(async () => t?.close());

describe('SCIM discovery (RFC 7644 §4)', () => {
  it('serves ServiceProviderConfig, Schemas and ResourceTypes as SCIM JSON', async () => {
    const config = await scim('GET', '/ServiceProviderConfig');
    expect(config.statusCode).toBe(200);
    expect(config.headers['content-type']).toMatch(/^application\/scim\+json/);
    expect(config.json()).toMatchObject({
      patch: { supported: true },
      filter: { supported: true },
      bulk: { supported: false },
      etag: { supported: true },
    });
    const schemas = (await scim('GET', '/Schemas')).json<{ Resources: { id: string }[] }>();
    expect(schemas.Resources.map((s) => s.id)).toContain(USER);
    const user = await scim('GET', `/Schemas/${USER}`);
    expect(user.json()).toMatchObject({ id: USER, name: 'User' });
    const types = (await scim('GET', '/ResourceTypes')).json<{ Resources: { id: string; endpoint: string }[] }>();
    expect(types.Resources).toEqual([expect.objectContaining({ id: 'User', endpoint: '/Users' })]);
    expectScimError(await scim('GET', '/Groups'), 404);
  });

  it('refuses requests without a valid token with 401 and a SCIM error', async () => {
    const none = await scim('GET', '/Users', undefined, null);
    expectScimError(none, 401);
    expect(none.headers['www-authenticate']).toMatch(/^Bearer/);
    expectScimError(await scim('GET', '/Users', undefined, 'nxa_not-a-real-token-at-all-000000000000000000'), 401);
    // A browser session is no credential here.
    const browser = await signInAs(t, admin);
    expectScimError(
      await t.app.inject({
        method: 'GET',
        url: '/scim/v2/Users',
        headers: { cookie: [...browser.cookies].map(([k, v]) => `${k}=${v}`).join('; ') },
      }),
      401,
    );
  });
});

describe('SCIM Users: the RFC 7644 examples', () => {
  let id: string;

  it('creates the §3.3 example (with the email Nexus needs for the invitation): 201, Location, meta, invitation sent', async () => {
    const bare = await scim('POST', '/Users', bjensen);
    expectScimError(bare, 400, 'invalidValue');
    expect(bare.json<{ detail: string }>().detail).toMatch(/emails/);

    const response = await scim('POST', '/Users', {
      ...bjensen,
      emails: [{ value: 'bjensen@example.com', type: 'work', primary: true }],
    });
    expect(response.statusCode, response.body).toBe(201);
    expect(response.headers['content-type']).toMatch(/^application\/scim\+json/);
    const body = response.json<ScimUser>();
    id = body.id;
    expect(response.headers.location).toBe(`http://localhost:3000/scim/v2/Users/${id}`);
    expect(body).toMatchObject({
      schemas: [USER, 'urn:ietf:params:scim:schemas:extension:nexus:2.0:User'],
      userName: 'bjensen',
      externalId: 'bjensen',
      active: true,
      name: { givenName: 'Barbara', familyName: 'Jensen' },
      emails: [{ value: 'bjensen@example.com', type: 'work', primary: true }],
      'urn:ietf:params:scim:schemas:extension:nexus:2.0:User': { typeOfUser: 'read_only' },
      meta: {
        resourceType: 'User',
        created: t.clock.now().toISOString(),
        lastModified: t.clock.now().toISOString(),
        location: response.headers.location,
        version: 'W/"1"',
      },
    });
    const row = await t.handle.db.selectFrom('accounts').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    expect(row).toMatchObject({
      organisation_id: camden,
      external_id: 'bjensen',
      user_type: 'read_only',
      created_by: admin.id,
    });
    const privileges = await t.handle.db
      .selectFrom('account_privileges')
      .select('privilege')
      .where('account_id', '=', id)
      .execute();
    expect(privileges.map((p) => p.privilege)).toEqual(['summary_reports']);
    const invitation = await t.handle.db
      .selectFrom('email_outbox')
      .select(['template', 'to_address'])
      .where('account_id', '=', id)
      .execute();
    expect(invitation).toEqual([{ template: 'invitation', to_address: 'bjensen@example.com' }]);
    const audit = await t.handle.db
      .selectFrom('audit_events')
      .select(['action', 'actor_account_id'])
      .where('subject_account_id', '=', id)
      .execute();
    expect(audit).toEqual([
      { action: 'account.created', actor_account_id: admin.id },
      { action: 'invitation.sent', actor_account_id: admin.id },
    ]);
  });

  it('refuses a duplicate userName (in any case) or externalId with 409 uniqueness, writing nothing', async () => {
    const before = await counts();
    expectScimError(
      await scim('POST', '/Users', {
        ...bjensen,
        userName: 'BJensen',
        externalId: 'other',
        emails: [{ value: 'x@example.com' }],
      }),
      409,
      'uniqueness',
    );
    expectScimError(
      await scim('POST', '/Users', { ...bjensen, userName: 'bjensen2', emails: [{ value: 'x@example.com' }] }),
      409,
      'uniqueness',
    );
    expect(await counts()).toEqual(before);
  });

  it('gets by id and filters as in §3.4.2.2, with and, and pages per §3.4.2.4', async () => {
    const one = await scim('GET', `/Users/${id}`);
    expect(one.statusCode).toBe(200);
    expect(one.json()).toMatchObject({ id, userName: 'bjensen' });
    expect(one.headers.etag).toBe('W/"1"');

    const q = (filter: string, extra = '') => scim('GET', `/Users?filter=${encodeURIComponent(filter)}${extra}`);
    const byName = (await q('userName eq "bjensen"')).json<ScimList>();
    expect(byName).toMatchObject({
      schemas: ['urn:ietf:params:scim:api:messages:2.0:ListResponse'],
      totalResults: 1,
      startIndex: 1,
      itemsPerPage: 1,
    });
    expect(byName.Resources[0]!.id).toBe(id);
    expect((await q('userName eq "BJENSEN"')).json<ScimList>().totalResults).toBe(1);
    expect(
      (await q('externalId eq "bjensen" and emails.value eq "BJensen@Example.com"')).json<ScimList>().totalResults,
    ).toBe(1);
    expect((await q('externalId eq "BJENSEN"')).json<ScimList>().totalResults).toBe(0);
    expect((await q('userName eq "bjensen" and active eq false')).json<ScimList>().totalResults).toBe(0);
    expect((await q('emails[value eq "bjensen@example.com"]')).json<ScimList>().totalResults).toBe(1);
    expect((await q('userName sw "camden." or userName eq "bjensen"')).json<ScimList>().totalResults).toBe(4);
    expect((await q('id eq "not-a-uuid"')).json<ScimList>().totalResults).toBe(0);

    const all = (await scim('GET', '/Users')).json<ScimList>();
    expect(all.totalResults).toBe(4);
    expect(all.Resources.map((r: { userName: string }) => r.userName)).not.toContain('kent.admin');
    const page = (await scim('GET', '/Users?startIndex=2&count=2')).json<ScimList>();
    expect(page).toMatchObject({ totalResults: 4, startIndex: 2, itemsPerPage: 2 });
    expect(page.Resources.map((r: { id: string }) => r.id)).toEqual(
      all.Resources.slice(1, 3).map((r: { id: string }) => r.id),
    );
    expect((await scim('GET', '/Users?startIndex=0&count=-5')).json()).toMatchObject({
      totalResults: 4,
      startIndex: 1,
      itemsPerPage: 0,
      Resources: [],
    });
    expectScimError(await scim('GET', '/Users?count=lots'), 400, 'invalidValue');
  });

  it('replaces as in §3.5.1: the first email is kept, attributes left out are cleared, version moves on', async () => {
    await scim('PATCH', `/Users/${id}`, {
      schemas: [PATCH],
      Operations: [{ op: 'add', path: 'title', value: 'Tour Guide' }],
    });
    const response = await scim('PUT', `/Users/${id}`, {
      schemas: [USER],
      id,
      userName: 'bjensen',
      externalId: 'bjensen',
      name: { formatted: 'Ms. Barbara J Jensen III', familyName: 'Jensen', givenName: 'Babs', middleName: 'Jane' },
      roles: [],
      emails: [{ value: 'bjensen@example.com' }, { value: 'babs@jensen.org' }],
    });
    expect(response.statusCode, response.body).toBe(200);
    const body = response.json<ScimUser>();
    expect(body).toMatchObject({
      name: { givenName: 'Babs', familyName: 'Jensen' },
      emails: [{ value: 'bjensen@example.com' }],
      active: true,
    });
    expect(body.title).toBeUndefined();
    expect(body.meta.version).toBe('W/"3"');
    // A rename to a username another account holds, in any case, is a conflict (R7); nothing changes.
    expectScimError(
      await scim('PUT', `/Users/${id}`, { ...bjensen, userName: 'Camden.Admin', emails: [{ value: 'b@example.com' }] }),
      409,
      'uniqueness',
    );
    expect((await scim('GET', `/Users/${id}`)).json<ScimUser>()).toMatchObject({
      userName: 'bjensen',
      emails: [{ value: 'bjensen@example.com' }],
    });
  });

  it('patches as in §3.5.2: add emails, replace, remove; what SCIM does not know (groups, access end date) stays', async () => {
    const db = t.handle.db;
    const group = await db
      .insertInto('school_groups')
      .values({ organisation_id: camden, name: 'North', created_at: t.clock.now() })
      .returning('id')
      .executeTakeFirstOrThrow();
    await db.insertInto('account_school_groups').values({ account_id: id, school_group_id: group.id }).execute();
    await db
      .updateTable('accounts')
      .set({ default_school_group_id: group.id, access_end_date: '2027-03-31' })
      .where('id', '=', id)
      .execute();
    const add = await scim('PATCH', `/Users/${id}`, {
      schemas: [PATCH],
      Operations: [{ op: 'add', value: { emails: [{ value: 'babs@jensen.org', type: 'home' }], nickname: 'Babs' } }],
    });
    expect(add.statusCode, add.body).toBe(200);
    expect(add.json<ScimUser>().emails).toEqual([{ value: 'bjensen@example.com', type: 'work', primary: true }]);
    const replace = await scim('PATCH', `/Users/${id}`, {
      schemas: [PATCH],
      Operations: [
        { op: 'replace', path: 'name.familyName', value: 'Jensen-Smith' },
        { op: 'replace', path: 'emails[type eq "work"].value', value: 'babs@example.org' },
        { op: 'add', path: 'phoneNumbers', value: [{ value: '01632 960 001', type: 'work' }] },
      ],
    });
    expect(replace.statusCode, replace.body).toBe(200);
    expect(replace.json()).toMatchObject({
      name: { familyName: 'Jensen-Smith' },
      emails: [{ value: 'babs@example.org' }],
      phoneNumbers: [{ value: '01632 960 001' }],
    });
    const remove = await scim('PATCH', `/Users/${id}`, {
      schemas: [PATCH],
      Operations: [
        { op: 'remove', path: 'phoneNumbers' },
        { op: 'remove', path: 'externalId' },
      ],
    });
    expect(remove.statusCode, remove.body).toBe(200);
    expect(remove.json<ScimUser>().phoneNumbers).toBeUndefined();
    expect(remove.json<ScimUser>().externalId).toBeUndefined();
    const row = await t.handle.db
      .selectFrom('accounts')
      .select(['last_name', 'email', 'phone', 'external_id'])
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    expect(row).toEqual({ last_name: 'Jensen-Smith', email: 'babs@example.org', phone: null, external_id: null });
    const kept = await db
      .selectFrom('accounts')
      .select(['default_school_group_id', 'access_end_date'])
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    expect(kept).toEqual({ default_school_group_id: group.id, access_end_date: '2027-03-31' });
    expect(
      await db.selectFrom('account_school_groups').select('school_group_id').where('account_id', '=', id).execute(),
    ).toEqual([{ school_group_id: group.id }]);
    // The required email cannot be removed (RFC 7644 §3.5.2.2: a required attribute is 400 mutability).
    expectScimError(
      await scim('PATCH', `/Users/${id}`, { schemas: [PATCH], Operations: [{ op: 'remove', path: 'emails' }] }),
      400,
      'mutability',
    );
  });

  it('two creations racing for one externalId: one 201, one 409 uniqueness', async () => {
    const body = (userName: string) => ({
      schemas: [USER],
      userName,
      externalId: 'racer',
      name: { givenName: 'R', familyName: 'Acer' },
      emails: [{ value: `${userName}@example.com` }],
    });
    const results = await Promise.all([
      scim('POST', '/Users', body('racer.one')),
      scim('POST', '/Users', body('racer.two')),
    ]);
    expect(results.map((r) => r.statusCode).sort()).toEqual([201, 409]);
    expectScimError(
      results.find((r) => r.statusCode === 409)!,
      409,
      'uniqueness',
    );
  });
});

describe('Entra-ID-style deprovisioning', () => {
  it('PATCH active "False" archives with reason provisioning, ends sessions at once, shows in the next digest; true restores', async () => {
    const db = t.handle.db;
    const leaver = await createAccount(db, t.config.secretKey, {
      organisationId: camden,
      username: 'lee.leaver',
      firstName: 'Lee',
      lastName: 'Leaver',
    });
    await db.updateTable('accounts').set({ external_id: 'entra-object-1' }).where('id', '=', leaver.id).execute();
    const browser = await signInAs(t, leaver);
    expect((await browser.get('/')).statusCode).toBe(200);

    const found = (
      await scim('GET', `/Users?filter=${encodeURIComponent('externalId eq "entra-object-1"')}`)
    ).json<ScimList>();
    expect(found.Resources.map((r: { id: string }) => r.id)).toEqual([leaver.id]);
    const off = await scim('PATCH', `/Users/${leaver.id}`, {
      schemas: [PATCH],
      Operations: [{ op: 'Replace', path: 'active', value: 'False' }],
    });
    expect(off.statusCode, off.body).toBe(200);
    expect(off.json<ScimUser>().active).toBe(false);
    const row = await db
      .selectFrom('accounts')
      .select(['status', 'archive_reason', 'archived_by', 'deletion_due_at'])
      .where('id', '=', leaver.id)
      .executeTakeFirstOrThrow();
    // Provisioning keeps the automatic retention (R33): nobody here chose to archive.
    expect(row).toEqual({
      status: 'archived',
      archive_reason: 'provisioning',
      archived_by: admin.id,
      deletion_due_at: addMonthsUtc(t.clock.now(), 18),
    });
    const next = await browser.get('/');
    expect(next.statusCode).toBe(302);
    expect(next.headers.location).toBe('/sign-in');

    await t.services.digest.send({ now: new Date(t.clock.now().getTime() + 86_400_000) });
    const digest = await db
      .selectFrom('email_outbox')
      .select('text_body')
      .where('template', '=', 'admin-digest')
      .where('to_address', '=', 'admin@camden.gov.uk')
      .executeTakeFirstOrThrow();
    expect(digest.text_body).toMatch(
      /Accounts archived this week:\n\n(- .*\n)*- Lee Leaver \(lee\.leaver\): archived by provisioning/,
    );

    const on = await scim('PATCH', `/Users/${leaver.id}`, {
      schemas: [PATCH],
      Operations: [{ op: 'replace', value: { active: true } }],
    });
    expect(on.statusCode, on.body).toBe(200);
    expect(on.json<ScimUser>().active).toBe(true);
    expect(
      await db
        .selectFrom('accounts')
        .select(['status', 'archive_reason'])
        .where('id', '=', leaver.id)
        .executeTakeFirstOrThrow(),
    ).toEqual({ status: 'active', archive_reason: null });
    // The no-path form Entra ID also sends.
    const again = await scim('PATCH', `/Users/${leaver.id}`, {
      schemas: [PATCH],
      Operations: [{ op: 'replace', value: { active: false } }],
    });
    expect(again.json<ScimUser>().active).toBe(false);
  });

  it('DELETE archives with reason provisioning by default (SCIM_DELETE=archive): 204, then gone for SCIM (404), archived for the LA', async () => {
    const created = (
      await scim('POST', '/Users', {
        ...bjensen,
        userName: 'short.stay',
        externalId: 'short',
        emails: [{ value: 'short@example.com' }],
      })
    ).json<ScimUser>();
    const deleted = await scim('DELETE', `/Users/${created.id}`);
    expect(deleted.statusCode).toBe(204);
    expect(deleted.body).toBe('');
    // RFC 7644 §3.6: once deleted, the resource is not found by any method, nor listed.
    expectScimError(await scim('GET', `/Users/${created.id}`), 404);
    expectScimError(await scim('DELETE', `/Users/${created.id}`), 404);
    expectScimError(
      await scim('PUT', `/Users/${created.id}`, { ...bjensen, userName: 'short.stay', emails: [{ value: 's@x.org' }] }),
      404,
    );
    expectScimError(
      await scim('PATCH', `/Users/${created.id}`, {
        schemas: [PATCH],
        Operations: [{ op: 'replace', path: 'active', value: true }],
      }),
      404,
    );
    expect((await scim('GET', '/Users?filter=userName eq "short.stay"')).json<ScimList>().totalResults).toBe(0);
    const row = await t.handle.db
      .selectFrom('accounts')
      .select(['status', 'archive_reason', 'email'])
      .select((eb) => eb('deprovisioned_at', 'is not', null).as('deprovisioned'))
      .where('id', '=', created.id)
      .executeTakeFirstOrThrow();
    expect(row).toEqual({
      status: 'archived',
      archive_reason: 'provisioning',
      email: 'short@example.com',
      deprovisioned: true,
    });
    const audit = await t.handle.db
      .selectFrom('audit_events')
      .select('action')
      .where('subject_account_id', '=', created.id)
      .orderBy('id')
      .execute();
    expect(audit.map((a) => a.action)).toEqual([
      'account.created',
      'invitation.sent',
      'account.archived',
      'account.deprovisioned',
    ]);
  });

  it('an archived account that SCIM did not delete is still found, and PUT without active leaves it archived', async () => {
    const created = (
      await scim('POST', '/Users', {
        ...bjensen,
        userName: 'paused.stay',
        externalId: 'paused',
        emails: [{ value: 'paused@example.com' }],
        active: false,
      })
    ).json<ScimUser>();
    expect((await scim('GET', `/Users/${created.id}`)).json<ScimUser>().active).toBe(false);
    const put = await scim('PUT', `/Users/${created.id}`, {
      ...bjensen,
      userName: 'paused.stay',
      externalId: 'paused',
      emails: [{ value: 'paused@example.org' }],
    });
    expect(put.statusCode, put.body).toBe(200);
    expect(put.json()).toMatchObject({ active: false, emails: [{ value: 'paused@example.org' }] });
  });

  it('accepts media types with parameters (application/scim+json; charset=utf-8, application/json)', async () => {
    for (const type of ['application/scim+json; charset=utf-8', 'application/json']) {
      const response = await t.app.inject({
        method: 'PATCH',
        url: `/scim/v2/Users/${(await scim('GET', `/Users?filter=${encodeURIComponent('userName eq "camden.viewer"')}`)).json<ScimList>().Resources[0]!.id}`,
        headers: { authorization: `Bearer ${adminToken}`, 'content-type': type },
        payload: JSON.stringify({ schemas: [PATCH], Operations: [{ op: 'replace', path: 'title', value: 'Officer' }] }),
      });
      expect(response.statusCode, response.body).toBe(200);
    }
  });
});

describe('SCIM queries as RFC 7644 §3.4 has them (issue 14 items 4, 7, 8)', () => {
  it('POST /Users/.search takes filter, paging and attributes in the body; meta dates filter with gt/lt', async () => {
    const search = await scim('POST', '/Users/.search', {
      schemas: ['urn:ietf:params:scim:api:messages:2.0:SearchRequest'],
      filter: 'userName sw "camden."',
      attributes: ['userName', 'name.familyName'],
      startIndex: 1,
      count: 10,
    });
    expect(search.statusCode, search.body).toBe(200);
    const found = search.json<ScimList<Record<string, unknown>>>();
    expect(found.totalResults).toBeGreaterThanOrEqual(3);
    for (const r of found.Resources) {
      expect(Object.keys(r).sort()).toEqual(['id', 'name', 'schemas', 'userName']);
      expect(Object.keys(r.name as object)).toEqual(['familyName']);
    }
    expectScimError(await scim('POST', '/Users/.search', { filter: 'userName pr' }), 400, 'invalidSyntax');
    const all = (await scim('GET', '/Users?count=200')).json<ScimList>();
    const since = (
      await scim('GET', `/Users?count=200&filter=${encodeURIComponent('meta.created gt "2000-01-01T00:00:00Z"')}`)
    ).json<ScimList>();
    expect(since.totalResults).toBe(all.totalResults);
    const before = (
      await scim('GET', `/Users?filter=${encodeURIComponent('meta.lastModified lt "2000-01-01T00:00:00Z"')}`)
    ).json<ScimList>();
    expect(before.totalResults).toBe(0);
    expectScimError(
      await scim('GET', `/Users?filter=${encodeURIComponent('meta.created gt "yesterday"')}`),
      400,
      'invalidFilter',
    );
    expectScimError(await scim('GET', `/Users?filter=${encodeURIComponent('userName gt "a"')}`), 400, 'invalidFilter');
  });

  it('answers POST, PUT, PATCH and DELETE on the discovery endpoints with 405 and a SCIM error', async () => {
    for (const url of [
      '/ServiceProviderConfig',
      '/Schemas',
      '/ResourceTypes',
      `/Schemas/${USER}`,
      '/ResourceTypes/User',
    ]) {
      const response = await scim('POST', url, { schemas: [USER] });
      expectScimError(response, 405);
      expect(response.headers.allow).toBe('GET');
      expectScimError(await scim('DELETE', url), 405);
    }
  });
});

describe('SCIM refuses bad input with SCIM errors, never 500, writing nothing', () => {
  it.each([
    ['no value', 'userName eq'],
    ['an unknown operator', 'userName xx "a"'],
    ['unbalanced quotes', 'userName eq "unbalanced'],
    ['10,000 characters', `userName eq "${'x'.repeat(9_985)}"`],
    ['an unknown attribute', 'shoeSize eq "42"'],
    ['an unbalanced parenthesis', 'userName eq "a" and ('],
    ['an unquoted value', 'userName eq bjensen'],
    ['a NUL in a string', 'userName eq "a\u0000b"'],
  ])('a filter with %s → 400 invalidFilter', async (_what, filter) => {
    expectScimError(await scim('GET', `/Users?filter=${encodeURIComponent(filter)}`), 400, 'invalidFilter');
  });

  const ok = {
    schemas: [USER],
    userName: 'new.person',
    name: { givenName: 'New', familyName: 'Person' },
    emails: [{ value: 'new@example.com' }],
  };
  it.each([
    ['not JSON', '{"schemas": [', 'invalidSyntax'],
    ['an empty body', '', 'invalidSyntax'],
    ['an array', '[]', 'invalidSyntax'],
    ['no schemas', { ...ok, schemas: undefined }, 'invalidSyntax'],
    ['no userName', { ...ok, userName: undefined }, 'invalidValue'],
    ['a numeric userName', { ...ok, userName: 42 }, 'invalidValue'],
    ['a userName with markup', { ...ok, userName: '<b>x</b>' }, 'invalidValue'],
    ['name as a string', { ...ok, name: 'New Person' }, 'invalidValue'],
    ['emails as a string', { ...ok, emails: 'new@example.com' }, 'invalidValue'],
    ['a bad email', { ...ok, emails: [{ value: 'not an email' }] }, 'invalidValue'],
    ['active "maybe"', { ...ok, active: 'maybe' }, 'invalidValue'],
    [
      'a control character in a name',
      { ...ok, name: { givenName: 'New\u0000\u202e', familyName: 'Person' } },
      'invalidValue',
    ],
    ['a 101-character name', { ...ok, name: { givenName: 'N'.repeat(101), familyName: 'Person' } }, 'invalidValue'],
    [
      'the central support type',
      { ...ok, 'urn:ietf:params:scim:schemas:extension:nexus:2.0:User': { typeOfUser: 'support' } },
      'invalidValue',
    ],
    [
      'Virtual School, whose CiN/CLA needs an agreement SCIM cannot carry (R16)',
      { ...ok, 'urn:ietf:params:scim:schemas:extension:nexus:2.0:User': { typeOfUser: 'virtual_school' } },
      'invalidValue',
    ],
    [
      'a deeply nested body',
      JSON.stringify({ ...ok, x: JSON.parse(`${'['.repeat(40)}${']'.repeat(40)}`) }),
      'invalidSyntax',
    ],
  ])('POST with %s → 400', async (_what, body, scimType) => {
    const before = await counts();
    expectScimError(await scim('POST', '/Users', body), 400, scimType);
    expect(await counts()).toEqual(before);
  });

  it('refuses a patch to an unknown attribute, and a body of another media type', async () => {
    const target = (
      await scim('GET', `/Users?filter=${encodeURIComponent('userName eq "camden.viewer"')}`)
    ).json<ScimList>().Resources[0]!.id;
    const before = await counts();
    expectScimError(
      await scim('PATCH', `/Users/${target}`, {
        schemas: [PATCH],
        Operations: [{ op: 'replace', path: 'shoeSize', value: '9' }],
      }),
      400,
      'invalidPath',
    );
    expectScimError(
      await scim('PATCH', `/Users/${target}`, {
        schemas: [PATCH],
        Operations: [{ op: 'Replace', path: 'active', value: 'Nope' }],
      }),
      400,
      'invalidValue',
    );
    expectScimError(await scim('PATCH', `/Users/${target}`, { Operations: [] }), 400, 'invalidSyntax');
    const form = await t.app.inject({
      method: 'POST',
      url: '/scim/v2/Users',
      headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'userName=x',
    });
    expectScimError(form, 415);
    expectScimError(await scim('GET', '/Users/not-a-uuid'), 404);
    expect(await counts()).toEqual(before);
  });

  it('stores names with unicode, markup and SQL metacharacters as text and returns them as JSON', async () => {
    const name = { givenName: 'Zoë <script>alert(1)</script>', familyName: 'O\'Brien"); DROP TABLE accounts;--' };
    const response = await scim('POST', '/Users', {
      schemas: [USER],
      userName: 'zoe.obrien',
      name,
      emails: [{ value: 'zoe@example.com' }],
    });
    expect(response.statusCode, response.body).toBe(201);
    expect(response.headers['content-type']).toMatch(/^application\/scim\+json/);
    expect(response.json<ScimUser>().name).toMatchObject(name);
    const found = (
      await scim(
        'GET',
        `/Users?filter=${encodeURIComponent('name.familyName eq "O\'Brien\\"); DROP TABLE accounts;--"')}`,
      )
    ).json<ScimList>();
    expect(found.totalResults).toBe(1);
  });
});

describe("SCIM keeps to the token's LA and its creator's privileges now", () => {
  it("a token of LA A cannot read or change LA B's users: 404", async () => {
    const kentOfficer = await t.handle.db
      .selectFrom('accounts')
      .select('id')
      .where('username', '=', 'kent.officer')
      .executeTakeFirstOrThrow();
    const before = await counts();
    expectScimError(await scim('GET', `/Users/${kentOfficer.id}`), 404);
    expectScimError(
      await scim('PUT', `/Users/${kentOfficer.id}`, {
        ...bjensen,
        userName: 'kent.officer',
        emails: [{ value: 'k@example.com' }],
      }),
      404,
    );
    expectScimError(
      await scim('PATCH', `/Users/${kentOfficer.id}`, {
        schemas: [PATCH],
        Operations: [{ op: 'replace', path: 'active', value: false }],
      }),
      404,
    );
    expectScimError(await scim('DELETE', `/Users/${kentOfficer.id}`), 404);
    expect(
      (await scim('GET', `/Users?filter=${encodeURIComponent('userName eq "kent.officer"')}`)).json<ScimList>()
        .totalResults,
    ).toBe(0);
    const kentList = (await scim('GET', '/Users', undefined, kentToken)).json<ScimList>();
    expect(kentList.Resources.map((r: { userName: string }) => r.userName).sort()).toEqual([
      'kent.admin',
      'kent.officer',
    ]);
    expect(await counts()).toEqual(before);
  });

  it('a read-only token reads but cannot write: 403', async () => {
    expect((await scim('GET', '/Users', undefined, viewerToken)).statusCode).toBe(200);
    expectScimError(
      await scim(
        'POST',
        '/Users',
        { ...bjensen, userName: 'by.viewer', emails: [{ value: 'v@example.com' }] },
        viewerToken,
      ),
      403,
    );
  });

  it('a token whose creator lost manage_users can no longer write (403); a revoked token is refused at once (401)', async () => {
    const db = t.handle.db;
    const admin2 = await db
      .selectFrom('accounts')
      .select('id')
      .where('username', '=', 'camden.admin2')
      .executeTakeFirstOrThrow();
    const token = await createApiToken(db, { organisationId: camden, accountId: admin2.id });
    const target = (
      await scim('GET', `/Users?filter=${encodeURIComponent('userName eq "camden.viewer"')}`, undefined, token)
    ).json<ScimList>().Resources[0]!.id;
    const rename = { schemas: [PATCH], Operations: [{ op: 'replace', path: 'title', value: 'Analyst' }] };
    expect((await scim('PATCH', `/Users/${target}`, rename, token)).statusCode).toBe(200);

    await db
      .deleteFrom('account_privileges')
      .where('account_id', '=', admin2.id)
      .where('privilege', '=', 'manage_users')
      .execute();
    expectScimError(await scim('PATCH', `/Users/${target}`, rename, token), 403);
    expectScimError(
      await scim('POST', '/Users', { ...bjensen, userName: 'late.write', emails: [{ value: 'l@example.com' }] }, token),
      403,
    );
    expectScimError(await scim('DELETE', `/Users/${target}`, undefined, token), 403);
    expect((await scim('GET', `/Users/${target}`, undefined, token)).statusCode).toBe(200);

    await db.updateTable('api_tokens').set({ revoked_at: t.clock.now() }).where('created_by', '=', admin2.id).execute();
    expectScimError(await scim('GET', '/Users', undefined, token), 401);
  });

  it('audits every use of the token', async () => {
    const uses = await t.handle.db
      .selectFrom('audit_events')
      .select('details')
      .where('action', '=', 'api-token.used')
      .execute();
    expect(uses.some((u) => (u.details as { route?: string }).route === '/scim/v2/Users/:id')).toBe(true);
  });
});

describe('SCIM with SCIM_DELETE=delete and a low rate limit', () => {
  let d: TestApp;
  let token: string;
  const inD = scimClient(
    () => d,
    () => token,
  );
  beforeAll(async () => {
    d = await createTestApp({ env: { SCIM_DELETE: 'delete', API_RATE_LIMIT_PER_MINUTE: '5' } });
    const la = await createOrganisation(d.handle.db, '202', 'Camden');
    const owner = await createAccount(d.handle.db, d.config.secretKey, {
      organisationId: la,
      username: 'camden.admin',
      userType: 'la_admin',
    });
    token = await createApiToken(d.handle.db, { organisationId: la, accountId: owner.id });
  });
  afterAll(async () => d?.close());

  it('DELETE erases the account (204, then 404), and the sixth request in a minute is 429', async () => {
    const created = await inD('POST', '/Users', { ...bjensen, emails: [{ value: 'b@example.com' }] });
    expect(created.statusCode, created.body).toBe(201);
    const id = created.json<ScimUser>().id;
    expect((await inD('DELETE', `/Users/${id}`)).statusCode).toBe(204);
    expect(await d.handle.db.selectFrom('accounts').select('id').where('id', '=', id).execute()).toEqual([]);
    expectScimError(await inD('GET', `/Users/${id}`), 404);
    expect((await inD('GET', '/Users')).statusCode).toBe(200);
    expect((await inD('GET', '/ServiceProviderConfig')).statusCode).toBe(200);
    expectScimError(await inD('GET', '/Users'), 429);
  });
});
