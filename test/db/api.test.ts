import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer } from '../../src/http/server.ts';
import { loadPrincipal } from '../../src/services/sign-in/principal.ts';
import { loggerOptions } from '../../src/http/logging.ts';
import { apiClient, createApiToken, OpenApiValidator } from '../support/api-client.ts';
import { createAccount, createOrganisation, type FixtureAccount } from '../support/fixtures.ts';
import { signInAs } from '../support/sign-in.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';

/**
 * The JSON API's behaviour beyond the access matrix: tokens (made on the page, shown once,
 * stored hashed, revoked at once, acting as their creator now, audited, never logged), stable
 * cursors, the rules of the user pages, and bad input (problem details, nothing written).
 */

let t: TestApp;
let logged: FastifyInstance;
const logLines: string[] = [];
let validator: OpenApiValidator;
let camden: number;
let kent: number;
let admin: FixtureAccount;
let kentAdmin: FixtureAccount;
let adminToken: string;
let kentToken: string;
let school: number;

const api = (token?: string) => apiClient(t.app, validator, token);

async function counts() {
  const db = t.handle.db;
  const n = async (table: 'accounts' | 'email_outbox' | 'account_privileges' | 'school_assignments') =>
    Number(
      (
        await db
          .selectFrom(table)
          .select((eb) => eb.fn.countAll<string>().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );
  const audit = Number(
    (
      await db
        .selectFrom('audit_events')
        .select((eb) => eb.fn.countAll<string>().as('n'))
        .where('action', '!=', 'api-token.used')
        .executeTakeFirstOrThrow()
    ).n,
  );
  return {
    accounts: await n('accounts'),
    outbox: await n('email_outbox'),
    privileges: await n('account_privileges'),
    schools: await n('school_assignments'),
    audit,
  };
}

beforeAll(async () => {
  t = await createTestApp({ env: { API_RATE_LIMIT_PER_MINUTE: '100000' } });
  const db = t.handle.db;
  camden = await createOrganisation(db, '202', 'Camden');
  kent = await createOrganisation(db, '886', 'Kent');
  school = (
    await db
      .insertInto('schools')
      .values({
        urn: 100001,
        organisation_id: camden,
        name: 'Camden Primary',
        phase: 'Primary',
        updated_at: new Date(),
      })
      .returning('id')
      .executeTakeFirstOrThrow()
  ).id;
  admin = await createAccount(db, t.config.secretKey, {
    organisationId: camden,
    username: 'camden.admin',
    userType: 'la_admin',
  });
  await createAccount(db, t.config.secretKey, {
    organisationId: camden,
    username: 'camden.admin2',
    userType: 'la_admin',
  });
  kentAdmin = await createAccount(db, t.config.secretKey, {
    organisationId: kent,
    username: 'kent.admin',
    userType: 'la_admin',
  });
  adminToken = await createApiToken(db, { organisationId: camden, accountId: admin.id, name: 'camden script' });
  kentToken = await createApiToken(db, { organisationId: kent, accountId: kentAdmin.id, name: 'kent script' });
  validator = await OpenApiValidator.load(t.app);
  // A second app on the same services whose log goes to memory, as the server's does to stdout.
  const stream = new Writable({
    write(chunk, _enc, done) {
      logLines.push(String(chunk));
      done();
    },
  });
  logged = await buildServer(t.services, { logger: { ...(loggerOptions('debug') as object), stream } as never });
  await logged.ready();
});
afterAll(async () => {
  await logged?.close();
  await t?.close();
});

describe('API tokens', () => {
  it('are made on the page, shown once, stored only as a hash, and work at once', async () => {
    const browser = await signInAs(t, admin);
    const form = await browser.get('/admin/api-tokens/new');
    expect(form.statusCode).toBe(200);
    const created = await browser.post('/admin/api-tokens/new', { name: 'Entra ID provisioning', lifetimeDays: '90' });
    expect(created.statusCode).toBe(200);
    expect(created.headers['cache-control']).toBe('no-store');
    const token = /nxa_[A-Za-z0-9_-]{43}/.exec(created.body)?.[0];
    expect(token).toBeDefined();
    const row = await t.handle.db
      .selectFrom('api_tokens')
      .selectAll()
      .where('name', '=', 'Entra ID provisioning')
      .executeTakeFirstOrThrow();
    expect(JSON.stringify(row)).not.toContain(token!);
    expect(row.token_hash).toMatch(/^[0-9a-f]{64}$/);
    const list = await browser.get('/admin/api-tokens');
    expect(list.body).toContain('Entra ID provisioning');
    expect(list.body).toContain(token!.slice(0, 12));
    expect(list.body).not.toContain(token!);
    const me = await api(token)('GET', '/api/v1/me');
    expect(me.statusCode).toBe(200);
    expect(me.json()).toMatchObject({
      username: 'camden.admin',
      organisation: { laCode: '202' },
      token: { name: 'Entra ID provisioning' },
    });
  });

  it('refuses a bad name or lifetime on the page and writes nothing', async () => {
    const browser = await signInAs(t, admin);
    const before = await t.handle.db.selectFrom('api_tokens').select('id').execute();
    for (const body of [
      { name: '', lifetimeDays: '90' },
      { name: 'x'.repeat(101), lifetimeDays: '90' },
      { name: 'ok', lifetimeDays: '9999' },
      { name: 'a\u0007b', lifetimeDays: '30' },
    ]) {
      const response = await browser.post('/admin/api-tokens/new', body);
      expect(response.statusCode).toBe(400);
      expect(response.body).toContain('govuk-error-summary');
    }
    expect(await t.handle.db.selectFrom('api_tokens').select('id').execute()).toHaveLength(before.length);
  });

  it('stop working the moment they are revoked', async () => {
    const token = await createApiToken(t.handle.db, { organisationId: camden, accountId: admin.id, name: 'to revoke' });
    expect((await api(token)('GET', '/api/v1/users')).statusCode).toBe(200);
    const browser = await signInAs(t, admin);
    const row = await t.handle.db
      .selectFrom('api_tokens')
      .select('id')
      .where('name', '=', 'to revoke')
      .executeTakeFirstOrThrow();
    expect((await browser.get(`/admin/api-tokens/${row.id}/revoke`)).statusCode).toBe(200);
    const revoked = await browser.post(`/admin/api-tokens/${row.id}/revoke`, {});
    expect(revoked.statusCode).toBe(303);
    const refused = await api(token)('GET', '/api/v1/users');
    expect(refused.statusCode).toBe(401);
    expect(refused.json()).toMatchObject({ status: 401, title: 'Not authenticated' });
    // Revoking twice is refused, and another LA's administrator cannot see or revoke it.
    expect((await browser.post(`/admin/api-tokens/${row.id}/revoke`, {})).statusCode).toBe(409);
    const kentBrowser = await signInAs(t, kentAdmin);
    expect((await kentBrowser.post(`/admin/api-tokens/${row.id}/revoke`, {})).statusCode).toBe(404);
  });

  it('refuse expired tokens, unknown tokens, malformed headers and cookies on writes', async () => {
    const expired = await createApiToken(t.handle.db, {
      organisationId: camden,
      accountId: admin.id,
      expiresAt: new Date('2026-01-02T00:00:00Z'),
    });
    expect((await api(expired)('GET', '/api/v1/me')).statusCode).toBe(401);
    expect((await api(`nxa_${'A'.repeat(43)}`)('GET', '/api/v1/me')).statusCode).toBe(401);
    for (const header of ['Bearer', 'Basic abc', `Bearer ${adminToken} extra`, 'Bearer \u00e9']) {
      const response = await t.app.inject({ url: '/api/v1/me', headers: { authorization: header } });
      expect(response.statusCode, header).toBe(401);
    }
    // A signed-in browser may read JSON, but never write through the cookie (no CSRF defence needed).
    const browser = await signInAs(t, admin);
    expect((await browser.get('/api/v1/me')).statusCode).toBe(200);
    const write = await t.app.inject({
      method: 'POST',
      url: '/api/v1/users',
      headers: { cookie: browser.cookieHeader(), 'content-type': 'application/json' },
      payload: '{}',
    });
    expect(write.statusCode).toBe(401);
  });

  it("act with their creator's privileges at the time of use", async () => {
    const db = t.handle.db;
    const creator = await createAccount(db, t.config.secretKey, {
      organisationId: camden,
      username: 'camden.weakening',
      userType: 'la_admin',
    });
    const token = await createApiToken(db, { organisationId: camden, accountId: creator.id });
    const body = {
      username: 'made.by.token',
      firstName: 'Made',
      lastName: 'Bytoken',
      email: 'made@camden.gov.uk',
      userType: 'read_only',
    };
    expect((await api(token)('POST', '/api/v1/users', body)).statusCode).toBe(201);
    await db
      .deleteFrom('account_privileges')
      .where('account_id', '=', creator.id)
      .where('privilege', '=', 'manage_users')
      .execute();
    const refused = await api(token)('POST', '/api/v1/users', { ...body, username: 'made.by.token2' });
    expect(refused.statusCode).toBe(403);
    expect(
      await db.selectFrom('accounts').select('id').where('username', '=', 'made.by.token2').executeTakeFirst(),
    ).toBeUndefined();
    await db
      .updateTable('accounts')
      .set({ status: 'archived', archived_at: new Date(), archive_reason: 'manual' })
      .where('id', '=', creator.id)
      .execute();
    expect((await api(token)('GET', '/api/v1/me')).statusCode).toBe(401);
  });

  it('are revoked for good when their creator is archived: restoring the creator does not revive them', async () => {
    const db = t.handle.db;
    const creator = await createAccount(db, t.config.secretKey, {
      organisationId: camden,
      username: 'camden.leaver.tokens',
      userType: 'la_admin',
    });
    const token = await createApiToken(db, { organisationId: camden, accountId: creator.id });
    const other = await createApiToken(db, { organisationId: camden, accountId: admin.id });
    const othersBefore = await db
      .selectFrom('api_tokens')
      .select(['id', 'revoked_at'])
      .where('created_by', '!=', creator.id)
      .orderBy('id')
      .execute();
    expect((await api(token)('GET', '/api/v1/me')).statusCode).toBe(200);
    expect((await api(adminToken)('POST', `/api/v1/users/${creator.id}/archive`)).statusCode).toBe(200);
    expect((await api(token)('GET', '/api/v1/me')).statusCode).toBe(401);
    const event = await db
      .selectFrom('audit_events')
      .select('details')
      .where('action', '=', 'account.archived')
      .where('subject_account_id', '=', creator.id)
      .executeTakeFirstOrThrow();
    expect(event.details).toMatchObject({ apiTokensRevoked: 1 });
    expect((await api(adminToken)('POST', `/api/v1/users/${creator.id}/restore`)).statusCode).toBe(200);
    expect((await api(token)('GET', '/api/v1/me')).statusCode).toBe(401);
    const revoked = await db
      .selectFrom('api_tokens')
      .select(['revoked_at', 'revoked_by'])
      .where('created_by', '=', creator.id)
      .execute();
    expect(revoked.map((r) => r.revoked_by)).toEqual([admin.id]);
    // Nobody else's token was touched.
    expect(
      await db
        .selectFrom('api_tokens')
        .select(['id', 'revoked_at'])
        .where('created_by', '!=', creator.id)
        .orderBy('id')
        .execute(),
    ).toEqual(othersBefore);
    expect((await api(other)('GET', '/api/v1/me')).statusCode).toBe(200);
  });

  it("of one LA cannot touch another LA's accounts", async () => {
    const camdenUser = await createAccount(t.handle.db, t.config.secretKey, {
      organisationId: camden,
      username: 'camden.target',
      userType: 'la_officer',
    });
    const before = await counts();
    const kentApi = api(kentToken);
    expect((await kentApi('GET', `/api/v1/users/${camdenUser.id}`)).statusCode).toBe(404);
    expect((await kentApi('PATCH', `/api/v1/users/${camdenUser.id}`, { firstName: 'Hacked' })).statusCode).toBe(404);
    expect((await kentApi('POST', `/api/v1/users/${camdenUser.id}/archive`)).statusCode).toBe(404);
    expect((await kentApi('DELETE', `/api/v1/users/${camdenUser.id}`)).statusCode).toBe(404);
    expect(
      (await kentApi('PUT', `/api/v1/users/${camdenUser.id}/privileges`, { userType: 'la_admin', privileges: [] }))
        .statusCode,
    ).toBe(404);
    expect((await kentApi('GET', '/api/v1/users?la=202')).statusCode).toBe(404);
    expect((await kentApi('GET', '/api/v1/audit-events?la=202')).statusCode).toBe(404);
    expect(
      (
        await kentApi('POST', '/api/v1/users', {
          la: '202',
          username: 'sneaky',
          firstName: 'S',
          lastName: 'S',
          email: 's@x.gov.uk',
          userType: 'read_only',
        })
      ).statusCode,
    ).toBe(404);
    const listed = (await kentApi('GET', '/api/v1/users?limit=100')).json<{ items: { id: string }[] }>();
    expect(listed.items.map((i) => i.id)).not.toContain(camdenUser.id);
    expect(await counts()).toEqual(before);
    const account = await t.handle.db
      .selectFrom('accounts')
      .select(['first_name', 'status'])
      .where('id', '=', camdenUser.id)
      .executeTakeFirstOrThrow();
    expect(account).toEqual({ first_name: 'Test', status: 'active' });
  });

  it('audit every use, naming the token and the route, not the URL', async () => {
    const token = await createApiToken(t.handle.db, { organisationId: camden, accountId: admin.id, name: 'audited' });
    await api(token)('GET', '/api/v1/users?q=secret-search-term');
    await api(token)('GET', '/api/v1/users/00000000-0000-4000-8000-000000000000');
    const events = await t.handle.db
      .selectFrom('audit_events')
      .selectAll()
      .where('action', '=', 'api-token.used')
      .where('organisation_id', '=', camden)
      .execute();
    const mine = events.filter((e) => (e.details as { token?: string }).token === 'audited');
    expect(mine.map((e) => e.details)).toEqual([
      expect.objectContaining({ method: 'GET', route: '/api/v1/users', status: 200 }),
      expect.objectContaining({ method: 'GET', route: '/api/v1/users/:id', status: 404 }),
    ]);
    expect(mine.every((e) => e.actor_account_id === admin.id)).toBe(true);
    expect(JSON.stringify(mine)).not.toContain('secret-search-term');
  });

  it('never appear in the logs, whether accepted or refused', async () => {
    const token = await createApiToken(t.handle.db, { organisationId: camden, accountId: admin.id, name: 'logged' });
    const wrong = `nxa_${'B'.repeat(43)}`;
    logLines.length = 0;
    await logged.inject({ url: '/api/v1/me', headers: { authorization: `Bearer ${token}` } });
    await logged.inject({ url: '/api/v1/me', headers: { authorization: `Bearer ${wrong}` } });
    await logged.inject({
      method: 'POST',
      url: '/api/v1/users',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      payload: '{"broken',
    });
    expect(logLines.length).toBeGreaterThan(3);
    const all = logLines.join('\n');
    expect(all).toContain('/api/v1/me');
    expect(all).not.toContain(token);
    expect(all).not.toContain(token.slice(4, 30));
    expect(all).not.toContain(wrong);
  });
});

describe('the audit events API', () => {
  it('says each event in the words of the audit log page (one renderer): label, sentence and changes', async () => {
    const target = await createAccount(t.handle.db, t.config.secretKey, {
      organisationId: camden,
      username: 'camden.renamed',
      firstName: 'Rena',
      lastName: 'Med',
    });
    const patched = await api(adminToken)('PATCH', `/api/v1/users/${target.id}`, { firstName: 'Renata' });
    expect(patched.statusCode).toBe(200);
    const response = await api(adminToken)('GET', '/api/v1/audit-events?action=account.details-changed');
    expect(response.statusCode).toBe(200);
    const item = response
      .json<{
        items: { id: string; subjectAccountId: string | null; label: string; sentence: string; changes: string[] }[];
      }>()
      .items.find((i) => i.subjectAccountId === target.id)!;
    const principal = await loadPrincipal(t.handle.db, admin.id);
    const page = await t.services.audit.forOrganisation(principal!.actor, { action: 'account.details-changed' });
    const row = page.rows.find((r) => String(r.id) === item.id)!;
    expect({ label: item.label, sentence: item.sentence, changes: item.changes }).toEqual({
      label: row.label,
      sentence: row.sentence,
      changes: [...row.lines],
    });
    expect(item.label).toBe('Details changed');
    expect(item.changes.join('\n')).toContain('Rena → Renata');
    // `details` stays raw for scripts; the words never show a code or an object.
    expect(JSON.stringify([item.label, item.sentence, item.changes])).not.toMatch(/\[object|first_name|[{}]/);
  });
});

describe('the users API', () => {
  it('pages through every account exactly once with stable cursors, even while accounts are added', async () => {
    const db = t.handle.db;
    const leeds = await createOrganisation(db, '383', 'Leeds');
    const leedsAdmin = await createAccount(db, t.config.secretKey, {
      organisationId: leeds,
      username: 'leeds.admin',
      userType: 'la_admin',
      lastName: 'Aaaa',
    });
    for (let i = 0; i < 120; i += 1) {
      await createAccount(db, t.config.secretKey, {
        organisationId: leeds,
        username: `leeds.${i}`,
        lastName: i % 3 === 0 ? 'Same' : `Name${String(i).padStart(3, '0')}`,
        firstName: 'Pat',
      });
    }
    const token = await createApiToken(db, { organisationId: leeds, accountId: leedsAdmin.id });
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const response = await api(token)('GET', `/api/v1/users?limit=50${cursor ? `&cursor=${cursor}` : ''}`);
      expect(response.statusCode).toBe(200);
      const page = response.json<{ items: { id: string; lastName: string }[]; next: string | null }>();
      seen.push(...page.items.map((i) => i.id));
      cursor = page.next;
      pages += 1;
      // Added during the walk, sorting before the cursor: not on a later page, and nothing shifts.
      if (pages === 1)
        await createAccount(db, t.config.secretKey, {
          organisationId: leeds,
          username: 'leeds.late',
          lastName: 'Aaab',
        });
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen).toHaveLength(121);
    expect(new Set(seen).size).toBe(121);
    const bad = await api(token)('GET', '/api/v1/users?cursor=bm90LWEtY3Vyc29y');
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ errors: { cursor: expect.any(String) } });
  });

  it('creates an account with its invitation, then reads, changes, archives, restores and deletes it', async () => {
    const call = api(adminToken);
    const created = await call('POST', '/api/v1/users', {
      username: 'api.person',
      firstName: 'Api',
      lastName: 'Person',
      email: 'api.person@camden.gov.uk',
      userType: 'la_officer',
      jobTitle: 'Analyst',
    });
    expect(created.statusCode).toBe(201);
    const user = created.json<{ id: string; privileges: string[]; status: string }>();
    expect(created.headers.location).toBe(`/api/v1/users/${user.id}`);
    expect(user.privileges).toEqual(['view_users', 'summary_reports', 'pupil_level']);
    const invitation = await t.handle.db
      .selectFrom('email_outbox')
      .select('template')
      .where('account_id', '=', user.id)
      .execute();
    expect(invitation.map((r) => r.template)).toContain('invitation');

    const patched = await call('PATCH', `/api/v1/users/${user.id}`, { jobTitle: null, phone: '020 7974 4444' });
    expect(patched.statusCode).toBe(200);
    expect(patched.json()).toMatchObject({ firstName: 'Api', jobTitle: null, phone: '020 7974 4444' });

    const schools = await call('PUT', `/api/v1/users/${user.id}/schools`, {
      items: [{ schoolId: school, role: 'consultant' }],
    });
    expect(schools.json()).toMatchObject({ items: [{ urn: 100001, role: 'consultant', status: 'open' }] });

    const archived = await call('POST', `/api/v1/users/${user.id}/archive`);
    expect(archived.statusCode).toBe(200);
    expect((await call('POST', `/api/v1/users/${user.id}/archive`)).statusCode).toBe(409);
    const restored = await call('POST', `/api/v1/users/${user.id}/restore`);
    expect(restored.json()).toMatchObject({ status: 'active', schools: [{ urn: 100001 }] });
    expect((await call('DELETE', `/api/v1/users/${user.id}`)).statusCode).toBe(204);
    expect((await call('GET', `/api/v1/users/${user.id}`)).statusCode).toBe(404);
  });

  it('keeps the rules of the user pages: R7, R15, R16, R17 and no self-archive', async () => {
    const db = t.handle.db;
    const officer = await createAccount(db, t.config.secretKey, {
      organisationId: camden,
      username: 'camden.officer.api',
      userType: 'la_officer',
    });
    const call = api(adminToken);
    const cinHolder = await createAccount(db, t.config.secretKey, {
      organisationId: camden,
      username: 'camden.cin.admin',
      userType: 'la_admin',
      privileges: ['manage_users', 'view_users', 'summary_reports', 'cin_cla'],
    });
    const cinToken = await createApiToken(db, { organisationId: camden, accountId: cinHolder.id });
    const taken = await call('POST', '/api/v1/users', {
      username: 'CAMDEN.ADMIN',
      firstName: 'A',
      lastName: 'B',
      email: 'a@b.gov.uk',
      userType: 'read_only',
    });
    // A username another account holds (in any case) is a conflict: 409, as in SCIM (issue 14).
    expect(taken.statusCode).toBe(409);
    expect(taken.json()).toMatchObject({ status: 409, errors: { username: expect.stringMatching(/already/i) } });
    // R15: an administrator cannot grant what they do not hold (upload_data is not in la_admin's defaults).
    const notHeld = await call('PUT', `/api/v1/users/${officer.id}/privileges`, {
      userType: 'la_officer',
      privileges: ['upload_data'],
    });
    expect(notHeld.statusCode).toBe(400);
    // R16: CiN/CLA needs who agreed it.
    const before = await counts();
    const cin = await api(cinToken)('PUT', `/api/v1/users/${officer.id}/privileges`, {
      userType: 'virtual_school',
      privileges: ['summary_reports', 'cin_cla'],
    });
    expect(cin.statusCode).toBe(400);
    expect(cin.json()).toMatchObject({ errors: { cinClaAgreedBy: expect.any(String) } });
    expect(await counts()).toEqual(before);
    const agreed = await api(cinToken)('PUT', `/api/v1/users/${officer.id}/privileges`, {
      userType: 'virtual_school',
      privileges: ['summary_reports', 'cin_cla'],
      cinClaAgreedBy: 'Jane Doe',
      cinClaAgreedRole: 'Virtual Head',
      cinClaAgreedOn: '2026-11-01',
    });
    expect(agreed.json()).toEqual({ userType: 'virtual_school', privileges: ['summary_reports', 'cin_cla'] });
    // No self-archive (R29); the matrix covers R17's last administrator through the page rules.
    expect((await call('POST', `/api/v1/users/${admin.id}/archive`)).statusCode).toBe(403);
  });

  it('answers bad input with problem details and writes nothing, never a 500', async () => {
    const call = api(adminToken);
    const before = await counts();
    const valid = {
      username: 'bad.input',
      firstName: 'Bad',
      lastName: 'Input',
      email: 'bad@camden.gov.uk',
      userType: 'read_only',
    };
    const cases: [string, unknown, number][] = [
      ['empty body', '', 400],
      ['not JSON', '{"username": ', 400],
      ['an array', '[]', 400],
      ['a string', '"hello"', 400],
      ['deep nesting', '['.repeat(5000) + ']'.repeat(5000), 400],
      ['missing fields', { username: 'x' }, 400],
      ['unknown field', { ...valid, isAdmin: true }, 400],
      ['wrong types', { ...valid, firstName: 42, privileges: 'manage_users' }, 400],
      ['too long', { ...valid, lastName: 'x'.repeat(10_000) }, 400],
      ['unknown type', { ...valid, userType: 'god' }, 400],
      [
        'markup and SQL',
        { ...valid, username: "x'; DROP TABLE accounts; --", firstName: '<script>alert(1)</script>' },
        400,
      ],
      ['NUL and lone surrogate', { ...valid, username: 'nul\u0000user', lastName: '\ud800' }, 400],
      [
        'prototype pollution',
        JSON.parse(
          `{"username":"proto.user","firstName":"A","lastName":"B","email":"a@b.gov.uk","userType":"read_only","__proto__":{"admin":true}}`,
        ) as unknown,
        400,
      ],
    ];
    for (const [name, body, status] of cases) {
      const response = await call('POST', '/api/v1/users', body);
      expect(response.statusCode, name).toBe(status);
      expect(response.headers['content-type'], name).toMatch(/^application\/problem\+json/);
      expect(response.body, name).not.toMatch(/at .*\.ts:\d+|node_modules/);
    }
    const wrongType = await t.app.inject({
      method: 'POST',
      url: '/api/v1/users',
      headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'text/plain' },
      payload: 'username=x',
    });
    expect(wrongType.statusCode).toBe(415);
    const form = await t.app.inject({
      method: 'POST',
      url: '/api/v1/users',
      headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'username=x',
    });
    expect(form.statusCode).toBe(415);
    for (const url of [
      '/api/v1/users/not-a-uuid',
      "/api/v1/users/1' OR '1'='1",
      '/api/v1/users?limit=0',
      '/api/v1/users?limit=abc',
      '/api/v1/users?status=gone',
      '/api/v1/users?type=god',
      '/api/v1/users?privilege=root',
      '/api/v1/users?inactiveMonths=-1',
      '/api/v1/audit-events?from=yesterday',
    ]) {
      const response = await call('GET', url);
      expect(response.statusCode, url).toBe(400);
    }
    // An unknown Type of User or privilege is named in the error, not answered with an empty page.
    const badType = (await call('GET', '/api/v1/users?type=god')).json<{ errors: Record<string, string> }>();
    expect(Object.keys(badType.errors)).toEqual(['type']);
    const admins = (await call('GET', '/api/v1/users?type=la_admin')).json<{ items: { userType: string }[] }>();
    expect(admins.items.length).toBeGreaterThan(0);
    expect(new Set(admins.items.map((u) => u.userType))).toEqual(new Set(['la_admin']));
    const unknown = await t.app.inject({
      url: '/api/v1/nothing-here',
      headers: { authorization: `Bearer ${adminToken}` },
    });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(await counts()).toEqual(before);
  });

  it('limits the rate per token with 429 problem details', async () => {
    const limited = await createTestApp({ env: { API_RATE_LIMIT_PER_MINUTE: '3' } });
    try {
      const org = await createOrganisation(limited.handle.db, '202', 'Camden');
      const person = await createAccount(limited.handle.db, limited.config.secretKey, {
        organisationId: org,
        username: 'rate.admin',
        userType: 'la_admin',
      });
      const one = await createApiToken(limited.handle.db, { organisationId: org, accountId: person.id });
      const two = await createApiToken(limited.handle.db, { organisationId: org, accountId: person.id });
      const call = apiClient(limited.app, await OpenApiValidator.load(limited.app), one);
      const statuses = [];
      for (let i = 0; i < 5; i += 1) statuses.push((await call('GET', '/api/v1/me')).statusCode);
      expect(statuses).toEqual([200, 200, 200, 429, 429]);
      const last = await call('GET', '/api/v1/me');
      expect(last.json()).toMatchObject({ status: 429, title: 'Too many requests' });
      expect(last.headers['retry-after']).toBeDefined();
      // Another token has its own allowance.
      expect(
        (await apiClient(limited.app, await OpenApiValidator.load(limited.app), two)('GET', '/api/v1/me')).statusCode,
      ).toBe(200);
    } finally {
      await limited.close();
    }
  });

  it("gives the caller's privileges, My Schools and default school group for reporting", async () => {
    const db = t.handle.db;
    const group = await db
      .insertInto('school_groups')
      .values({ organisation_id: camden, name: 'North', created_at: new Date() })
      .returning('id')
      .executeTakeFirstOrThrow();
    const reporter = await createAccount(db, t.config.secretKey, {
      organisationId: camden,
      username: 'camden.reporter',
      userType: 'la_officer',
    });
    await db
      .insertInto('school_assignments')
      .values({ account_id: reporter.id, school_id: school, role: 'consultant', assigned_at: new Date() })
      .execute();
    await db
      .insertInto('account_school_groups')
      .values({ account_id: reporter.id, school_group_id: group.id })
      .execute();
    await db.updateTable('accounts').set({ default_school_group_id: group.id }).where('id', '=', reporter.id).execute();
    const token = await createApiToken(db, { organisationId: camden, accountId: reporter.id });
    const me = await api(token)('GET', '/api/v1/me');
    expect(me.json()).toMatchObject({
      username: 'camden.reporter',
      privileges: ['view_users', 'summary_reports', 'pupil_level'],
      schools: [{ urn: 100001, name: 'Camden Primary', role: 'consultant' }],
      schoolGroups: [{ id: group.id, name: 'North' }],
      defaultSchoolGroup: { id: group.id, name: 'North' },
    });
  });

  it('checked every response of this file against the OpenAPI document', () => {
    expect(validator.checked.length).toBeGreaterThan(30);
  });
});
