import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateTotp } from '../../src/domain/totp.ts';
import { FormClient } from '../support/browser.ts';
import { createAccount, createOrganisation, TEST_PASSWORD, type FixtureAccount } from '../support/fixtures.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';

/**
 * The access matrix of Admin > Users (issue 3): every page and action × every kind of caller.
 * Each cell runs against a fresh target account of Camden, so one cell's change cannot affect
 * another's. Expected statuses: 200 page, 303 done, 403 no privilege, 404 another LA's id,
 * 302 sent to sign in.
 */

type Caller = 'ownAdmin' | 'ownOfficer' | 'ownReader' | 'otherAdmin' | 'support' | 'signedOut' | 'archivedSession';
const CALLERS: Caller[] = ['ownAdmin', 'ownOfficer', 'ownReader', 'otherAdmin', 'support', 'signedOut', 'archivedSession'];

interface Row {
  name: string;
  method: 'GET' | 'POST';
  /** `:id` is the target account, `:school` a school of Camden assigned to it. */
  path: string;
  body?: (cell: string) => Record<string, string | string[]>;
  /** Sent as a file upload (multipart) instead of a form. */
  upload?: (cell: string) => string;
  /** The target starts archived. */
  archived?: boolean;
  /** Does the row change the target? (Then a refused cell must leave it exactly as it was.) */
  changes?: boolean;
  expect: Record<Caller, number>;
}

//                                                      ownAdmin ownOfficer ownReader otherAdmin support signedOut archivedSession
const x = (a: number, b: number, c: number, d: number, e: number, f: number, g: number): Record<Caller, number> =>
  ({ ownAdmin: a, ownOfficer: b, ownReader: c, otherAdmin: d, support: e, signedOut: f, archivedSession: g });

const MATRIX: Row[] = [
  { name: 'list users', method: 'GET', path: '/admin/users', expect: x(200, 200, 403, 200, 200, 302, 302) },
  { name: 'list Camden (other LA: contacts)', method: 'GET', path: '/admin/users?la=202', expect: x(200, 200, 403, 200, 200, 302, 302) },
  { name: 'export CSV', method: 'GET', path: '/admin/users/export.csv', expect: x(200, 200, 403, 200, 200, 302, 302) },
  { name: 'export Camden CSV', method: 'GET', path: '/admin/users/export.csv?la=202', expect: x(200, 200, 403, 404, 200, 302, 302) },
  { name: 'create user form', method: 'GET', path: '/admin/users/new', expect: x(200, 403, 403, 200, 200, 302, 302) },
  { name: 'create user in Camden form', method: 'GET', path: '/admin/users/new?la=202', expect: x(200, 403, 403, 404, 200, 302, 302) },
  {
    name: 'create user in Camden', method: 'POST', path: '/admin/users/new?la=202',
    body: (cell) => ({ username: `new.${cell}`, firstName: 'New', lastName: 'Person', email: 'new@camden.gov.uk', userType: 'la_officer' }),
    expect: x(303, 403, 403, 404, 303, 302, 302),
  },
  { name: 'import users form', method: 'GET', path: '/admin/users/import', expect: x(200, 403, 403, 200, 200, 302, 302) },
  { name: 'import users into Camden form', method: 'GET', path: '/admin/users/import?la=202', expect: x(200, 403, 403, 404, 200, 302, 302) },
  { name: 'import template of Camden', method: 'GET', path: '/admin/users/import/template.csv?la=202', expect: x(200, 403, 403, 404, 200, 302, 302) },
  {
    name: 'import users into Camden', method: 'POST', path: '/admin/users/import?la=202',
    upload: (cell) => `username,first_name,last_name,email,user_type\r\nimported.${cell},Imp,Orted,imported@camden.gov.uk,read_only\r\n`,
    expect: x(200, 403, 403, 404, 200, 302, 302),
  },
  { name: 'import school assignments of Camden form', method: 'GET', path: '/admin/users/import-schools?la=202', expect: x(200, 403, 403, 404, 200, 302, 302) },
  {
    name: 'import school assignments of Camden', method: 'POST', path: '/admin/users/import-schools?la=202', changes: true,
    upload: (cell) => `username,urn,role\r\ntarget.${cell},100002,governor\r\n`,
    expect: x(200, 403, 403, 404, 200, 302, 302),
  },
  { name: 'user page', method: 'GET', path: '/admin/users/:id', expect: x(200, 200, 403, 404, 200, 302, 302) },
  { name: 'communications tab', method: 'GET', path: '/admin/users/:id/communications', expect: x(200, 200, 403, 404, 200, 302, 302) },
  { name: 'schools tab', method: 'GET', path: '/admin/users/:id/schools', expect: x(200, 200, 403, 404, 200, 302, 302) },
  { name: 'privileges tab', method: 'GET', path: '/admin/users/:id/privileges', expect: x(200, 200, 403, 404, 200, 302, 302) },
  { name: 'edit details form', method: 'GET', path: '/admin/users/:id/edit', expect: x(200, 403, 403, 404, 200, 302, 302) },
  {
    name: 'edit details', method: 'POST', path: '/admin/users/:id/edit', changes: true,
    body: () => ({ firstName: 'Changed', lastName: 'Name', email: 'changed@camden.gov.uk', jobTitle: '', phone: '', accessEndDate: '' }),
    expect: x(303, 403, 403, 404, 303, 302, 302),
  },
  {
    name: 'add school', method: 'POST', path: '/admin/users/:id/schools', changes: true,
    body: () => ({ schoolId: String(schoolTwo), role: 'consultant' }),
    expect: x(303, 403, 403, 404, 303, 302, 302),
  },
  { name: 'remove school', method: 'POST', path: '/admin/users/:id/schools/:school/remove', changes: true, expect: x(303, 403, 403, 404, 303, 302, 302) },
  {
    name: 'replace schools', method: 'POST', path: '/admin/users/:id/schools/replace', changes: true,
    body: () => ({ schools: [String(schoolTwo)], newRole: 'governor' }),
    expect: x(303, 403, 403, 404, 303, 302, 302),
  },
  {
    name: 'change privileges', method: 'POST', path: '/admin/users/:id/privileges', changes: true,
    body: () => ({ userType: 'read_only', privileges: ['summary_reports'], action: 'save' }),
    expect: x(303, 403, 403, 404, 303, 302, 302),
  },
  { name: 'archive confirmation', method: 'GET', path: '/admin/users/:id/archive', expect: x(200, 403, 403, 404, 200, 302, 302) },
  { name: 'archive', method: 'POST', path: '/admin/users/:id/archive', changes: true, expect: x(303, 403, 403, 404, 303, 302, 302) },
  { name: 'delete confirmation', method: 'GET', path: '/admin/users/:id/delete', expect: x(200, 403, 403, 404, 200, 302, 302) },
  { name: 'delete', method: 'POST', path: '/admin/users/:id/delete', changes: true, expect: x(303, 403, 403, 404, 303, 302, 302) },
  { name: 'reset 2FA confirmation', method: 'GET', path: '/admin/users/:id/reset-two-factor', expect: x(200, 403, 403, 404, 200, 302, 302) },
  { name: 'reset 2FA', method: 'POST', path: '/admin/users/:id/reset-two-factor', changes: true, expect: x(303, 403, 403, 404, 303, 302, 302) },
  { name: 'archived users', method: 'GET', path: '/admin/archived-users', expect: x(200, 403, 403, 200, 200, 302, 302) },
  { name: 'archived users of Camden', method: 'GET', path: '/admin/archived-users?la=202', expect: x(200, 403, 403, 404, 200, 302, 302) },
  { name: 'account audit timeline', method: 'GET', path: '/admin/users/:id/audit', expect: x(200, 403, 403, 404, 200, 302, 302) },
  { name: 'audit log', method: 'GET', path: '/admin/audit', expect: x(200, 403, 403, 200, 200, 302, 302) },
  { name: 'audit log of Camden', method: 'GET', path: '/admin/audit?la=202', expect: x(200, 403, 403, 404, 200, 302, 302) },
  { name: 'audit CSV of Camden', method: 'GET', path: '/admin/audit/export.csv?la=202', expect: x(200, 403, 403, 404, 200, 302, 302) },
  { name: 'lifecycle preview', method: 'GET', path: '/admin/lifecycle', expect: x(200, 403, 403, 200, 200, 302, 302) },
  { name: 'lifecycle preview of Camden', method: 'GET', path: '/admin/lifecycle?la=202&days=60', expect: x(200, 403, 403, 404, 200, 302, 302) },
  { name: 'school groups', method: 'GET', path: '/admin/school-groups', expect: x(200, 403, 403, 200, 200, 302, 302) },
  { name: 'school groups of Camden', method: 'GET', path: '/admin/school-groups?la=202', expect: x(200, 403, 403, 404, 200, 302, 302) },
  { name: 'sent email (support)', method: 'GET', path: '/support/sent-email', expect: x(403, 403, 403, 403, 200, 302, 302) },
  { name: 'communications form (support)', method: 'GET', path: '/support/communications', expect: x(403, 403, 403, 403, 200, 302, 302) },
  { name: 'lifecycle preview API', method: 'GET', path: '/api/v1/lifecycle/preview?la=202', expect: x(200, 403, 403, 404, 200, 401, 401) },
  { name: 'restore', method: 'POST', path: '/admin/archived-users/:id/restore', archived: true, changes: true, expect: x(303, 403, 403, 404, 303, 302, 302) },
];

let t: TestApp;
let camden: number;
let schoolOne: number;
let schoolTwo: number;
const clients = {} as Record<Caller, FormClient>;

async function signIn(account: FixtureAccount): Promise<FormClient> {
  const client = new FormClient(t.app, { ip: `10.0.0.${Object.keys(clients).length + 1}` });
  await client.get('/sign-in');
  await client.post('/sign-in', { username: account.username, password: TEST_PASSWORD });
  await client.get('/sign-in/two-factor');
  const done = await client.post('/sign-in/two-factor', { code: generateTotp(account.totpSecret!, t.clock.now()) });
  expect(done.headers.location).toBe('/');
  await client.get('/');
  return client;
}

async function snapshot(id: string) {
  const db = t.handle.db;
  const account = await db.selectFrom('accounts').selectAll().where('id', '=', id).executeTakeFirst();
  const privileges = await db.selectFrom('account_privileges').select('privilege').where('account_id', '=', id).orderBy('privilege').execute();
  const schools = await db.selectFrom('school_assignments').select(['school_id', 'role']).where('account_id', '=', id).orderBy('school_id').execute();
  const sessions = await db.selectFrom('sessions').select('id_hash').where('account_id', '=', id).execute();
  return JSON.stringify({ account, privileges, schools, sessions });
}

beforeAll(async () => {
  t = await createTestApp({ env: { THROTTLE_ADDRESS_LIMIT: '10000' } });
  const db = t.handle.db;
  camden = await createOrganisation(db, '202', 'Camden');
  const kent = await createOrganisation(db, '886', 'Kent');
  const central = await createOrganisation(db, 'central', 'NCER Support');
  const schools = await db.insertInto('schools').values([
    { urn: 100001, organisation_id: camden, name: 'Camden Primary', phase: 'Primary', updated_at: new Date() },
    { urn: 100002, organisation_id: camden, name: 'Camden Secondary', phase: 'Secondary', updated_at: new Date() },
  ]).returning('id').execute();
  schoolOne = schools[0]!.id;
  schoolTwo = schools[1]!.id;
  const key = t.config.secretKey;
  const accounts = {
    ownAdmin: await createAccount(db, key, { organisationId: camden, username: 'camden.admin', userType: 'la_admin' }),
    ownOfficer: await createAccount(db, key, { organisationId: camden, username: 'camden.officer', userType: 'la_officer' }),
    ownReader: await createAccount(db, key, { organisationId: camden, username: 'camden.reader', userType: 'read_only' }),
    otherAdmin: await createAccount(db, key, { organisationId: kent, username: 'kent.admin', userType: 'la_admin' }),
    support: await createAccount(db, key, { organisationId: central, username: 'support', userType: 'support' }),
    archivedSession: await createAccount(db, key, { organisationId: camden, username: 'camden.leaver', userType: 'la_admin' }),
  };
  // A second Camden administrator, so that archiving or deleting a target is never refused by R17.
  await createAccount(db, key, { organisationId: camden, username: 'camden.admin2', userType: 'la_admin', enrolled: false });
  for (const caller of ['ownAdmin', 'ownOfficer', 'ownReader', 'otherAdmin', 'support', 'archivedSession'] as const) {
    clients[caller] = await signIn(accounts[caller]);
  }
  clients.signedOut = new FormClient(t.app, { ip: '10.0.1.1' });
  await clients.signedOut.get('/sign-in');
  // The leaver's session outlives nothing: archiving ends it, and the old cookie must not work.
  await db.updateTable('accounts').set({ status: 'archived', archived_at: new Date(), archive_reason: 'manual' }).where('id', '=', accounts.archivedSession.id).execute();
});
afterAll(async () => t?.close());

describe('access matrix of Admin > Users', () => {
  for (const row of MATRIX) {
    for (const caller of CALLERS) {
      const expected = row.expect[caller];
      it(`${row.name} as ${caller} → ${expected}`, async () => {
        const cell = `${MATRIX.indexOf(row)}-${CALLERS.indexOf(caller)}`;
        const target = await createAccount(t.handle.db, t.config.secretKey, {
          organisationId: camden, username: `target.${cell}`, status: row.archived ? 'archived' : 'active', userType: 'la_officer',
        });
        await t.handle.db.insertInto('school_assignments').values({ account_id: target.id, school_id: schoolOne, role: 'consultant', assigned_at: new Date() }).execute();
        const before = await snapshot(target.id);
        const path = row.path.replace(':id', target.id).replace(':school', String(schoolOne));
        const client = clients[caller];
        const response = row.method === 'GET' ? await client.get(path)
          : row.upload ? await client.upload(path, { name: 'import.csv', content: row.upload(cell) })
          : await client.post(path, row.body?.(cell) ?? {});
        expect(response.statusCode, `${row.method} ${row.path}`).toBe(expected);
        if (expected === 302) expect(response.headers.location).toBe('/sign-in');
        if (path.startsWith('/api/')) expect(response.headers['content-type']).toMatch(expected === 200 ? /^application\/json/ : /^application\/problem\+json/);
        if (expected >= 400) {
          expect(response.body).not.toMatch(/at .*\.ts:\d+/);
          if (row.changes) expect(await snapshot(target.id)).toBe(before);
        }
        if (row.name === 'create user in Camden') {
          const created = await t.handle.db.selectFrom('accounts').select('id').where('username', '=', `new.${cell}`).executeTakeFirst();
          expect(created !== undefined).toBe(expected === 303);
        }
        if (row.name === 'import users into Camden') {
          const created = await t.handle.db.selectFrom('accounts').select('id').where('username', '=', `imported.${cell}`).executeTakeFirst();
          expect(created !== undefined).toBe(expected === 200);
        }
        if ((expected === 303 || (expected === 200 && row.method === 'POST')) && row.changes) expect(await snapshot(target.id)).not.toBe(before);
      });
    }
  }
});
