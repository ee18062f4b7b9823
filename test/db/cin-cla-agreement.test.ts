import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Actor } from '../../src/domain/access.ts';
import { ImportRejectedError } from '../../src/domain/errors.ts';
import { SYSTEM_CONTEXT } from '../../src/services/request-context.ts';
import { apiClient, createApiToken, OpenApiValidator } from '../support/api-client.ts';
import { createAccount, createOrganisation, type FixtureAccount } from '../support/fixtures.ts';
import { signInAs } from '../support/sign-in.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';

/**
 * R15–R16 everywhere a privilege is given: an LA administrator who does not hold CiN/CLA may give
 * it on a recorded agreement (who, their role, the date), so that an LA can create Virtual School
 * accounts; every other privilege needs holding. Pages, API and CSV import. The test clock's
 * today is 2 November 2026.
 */

let t: TestApp;
let camden: number;
/** la_admin's defaults: no cin_cla, no upload_data. */
let admin: FixtureAccount;
/** An administrator without pupil-level access. */
let limited: FixtureAccount;
let validator: OpenApiValidator;

const PUPIL_LEVEL = 'Include access to batch reporting and pupil level reports';
const CIN_CLA = 'Access to Children in Need (CiN) and Children Looked After (CLA) information';
const AGREEMENT = {
  cinClaAgreedBy: 'Jane Doe',
  cinClaAgreedRole: 'Virtual Head',
  'cinClaAgreedOn-day': '27',
  'cinClaAgreedOn-month': '10',
  'cinClaAgreedOn-year': '2026',
};
const AGREED = { cinClaAgreedBy: 'Jane Doe', cinClaAgreedRole: 'Virtual Head', cinClaAgreedOn: '2026-10-27' };

let serial = 0;
function person() {
  serial += 1;
  return {
    username: `vs.${serial}`,
    firstName: 'Vee',
    lastName: `Ess ${serial}`,
    email: `vs.${serial}@camden.gov.uk`,
  };
}

async function privilegesOf(id: string): Promise<string[]> {
  return (
    await t.handle.db
      .selectFrom('account_privileges')
      .select('privilege')
      .where('account_id', '=', id)
      .orderBy('privilege')
      .execute()
  ).map((r) => r.privilege);
}

async function accountNamed(username: string) {
  return t.handle.db.selectFrom('accounts').selectAll().where('username', '=', username).executeTakeFirst();
}

async function lastEvent(action: string, subject: string) {
  return t.handle.db
    .selectFrom('audit_events')
    .select('details')
    .where('action', '=', action)
    .where('subject_account_id', '=', subject)
    .orderBy('id', 'desc')
    .executeTakeFirstOrThrow();
}

async function target(privileges: string[] = ['summary_reports']) {
  serial += 1;
  return createAccount(t.handle.db, t.config.secretKey, {
    organisationId: camden,
    username: `target.${serial}`,
    userType: 'read_only',
    privileges: privileges as never[],
  });
}

beforeAll(async () => {
  t = await createTestApp();
  camden = await createOrganisation(t.handle.db, '202', 'Camden');
  admin = await createAccount(t.handle.db, t.config.secretKey, {
    organisationId: camden,
    username: 'camden.admin',
    userType: 'la_admin',
  });
  limited = await createAccount(t.handle.db, t.config.secretKey, {
    organisationId: camden,
    username: 'camden.limited',
    userType: 'la_admin',
    privileges: ['manage_users', 'view_users', 'summary_reports'],
  });
  validator = await OpenApiValidator.load(t.app);
});
afterAll(async () => t?.close());

describe('Create user: Virtual School accounts by an LA administrator (R15–R16)', () => {
  it('offers Virtual School with the agreement to fill in, and creates the account with it recorded in the audit log', async () => {
    expect(await privilegesOf(admin.id)).not.toContain('cin_cla');
    const client = await signInAs(t, admin);
    const page = await client.get('/admin/users/new');
    expect(page.body).toMatch(/<input[^>]*value="virtual_school"(?![^>]*disabled)[^>]*>/);
    expect(page.body).toContain('Who agreed access to CiN and CLA information?');
    expect(page.body).toContain('Name of the person who agreed it');
    expect(page.body).toContain('Their role');
    expect(page.body).toContain('Date of the agreement');
    expect(page.body).toContain('name="cinClaAgreedOn-day"');
    const who = person();
    const response = await client.post('/admin/users/new', { ...who, userType: 'virtual_school', ...AGREEMENT });
    expect(response.statusCode).toBe(303);
    const account = (await accountNamed(who.username))!;
    expect(await privilegesOf(account.id)).toEqual(['cin_cla', 'pupil_level', 'summary_reports']);
    expect((await lastEvent('account.created', account.id)).details).toMatchObject({
      cinClaAgreedBy: 'Jane Doe',
      cinClaAgreedRole: 'Virtual Head',
      cinClaAgreedOn: '2026-10-27',
    });
  });

  it('refuses without the agreement, naming each missing field, keeping what was typed, creating nothing', async () => {
    const client = await signInAs(t, admin);
    await client.get('/admin/users/new');
    const who = person();
    const response = await client.post('/admin/users/new', { ...who, userType: 'virtual_school' });
    expect(response.statusCode).toBe(400);
    expect(response.body).toContain('Enter the name of the person who agreed access to CiN and CLA information');
    expect(response.body).toContain(
      'Enter the role of the person who agreed access to CiN and CLA information, such as Virtual Head',
    );
    expect(response.body).toContain('Enter the date access to CiN and CLA information was agreed');
    // The summary links each message to its field; the date's to its first box.
    expect(response.body).toContain('href="#cinClaAgreedBy"');
    expect(response.body).toContain('href="#cinClaAgreedRole"');
    expect(response.body).toContain('href="#cinClaAgreedOn-day"');
    expect(response.body).toContain(`value="${who.username}"`);
    expect(await accountNamed(who.username)).toBeUndefined();
  });

  it.each([
    [
      { 'cinClaAgreedOn-day': '3', 'cinClaAgreedOn-month': '11', 'cinClaAgreedOn-year': '2026' },
      'The date of the agreement must be today or in the past',
    ],
    [
      { 'cinClaAgreedOn-day': '3', 'cinClaAgreedOn-month': '', 'cinClaAgreedOn-year': '2026' },
      'The date of the agreement must include a month',
    ],
    [
      { 'cinClaAgreedOn-day': '', 'cinClaAgreedOn-month': '', 'cinClaAgreedOn-year': '2026' },
      'The date of the agreement must include a day and month',
    ],
    [
      { 'cinClaAgreedOn-day': '30', 'cinClaAgreedOn-month': '2', 'cinClaAgreedOn-year': '2026' },
      'The date of the agreement must be a real date',
    ],
    [
      { 'cinClaAgreedOn-day': 'x', 'cinClaAgreedOn-month': '2', 'cinClaAgreedOn-year': '2026' },
      'The date of the agreement must be a real date',
    ],
    [{ cinClaAgreedBy: 'x'.repeat(201) }, 'The name of the person who agreed it must be 200 characters or fewer'],
    [{ cinClaAgreedRole: 'x'.repeat(101) }, 'The role of the person who agreed it must be 100 characters or fewer'],
  ])('refuses a bad agreement %o: "%s"', async (change, message) => {
    const client = await signInAs(t, admin);
    await client.get('/admin/users/new');
    const who = person();
    const response = await client.post('/admin/users/new', {
      ...who,
      userType: 'virtual_school',
      ...AGREEMENT,
      ...change,
    });
    expect(response.statusCode).toBe(400);
    expect(response.body).toContain(message);
    expect(await accountNamed(who.username)).toBeUndefined();
  });

  it('today is a good date for the agreement', async () => {
    const client = await signInAs(t, admin);
    await client.get('/admin/users/new');
    const who = person();
    const response = await client.post('/admin/users/new', {
      ...who,
      userType: 'virtual_school',
      ...AGREEMENT,
      'cinClaAgreedOn-day': '02',
      'cinClaAgreedOn-month': '11',
    });
    expect(response.statusCode).toBe(303);
    const account = (await accountNamed(who.username))!;
    expect((await lastEvent('account.created', account.id)).details).toMatchObject({ cinClaAgreedOn: '2026-11-02' });
  });

  it('a type with a privilege the administrator does not hold is shown disabled with the reason; a forged post is refused by label', async () => {
    const client = await signInAs(t, limited);
    const page = await client.get('/admin/users/new');
    expect(page.body).toMatch(/<input[^>]*value="virtual_school"[^>]*disabled[^>]*>/);
    expect(page.body).toMatch(/<input[^>]*value="la_officer"[^>]*disabled[^>]*>/);
    expect(page.body).toMatch(/<input[^>]*value="read_only"(?![^>]*disabled)[^>]*>/);
    // The reasons are in the group's hint, not the disabled items' (GOV.UK greys those out).
    expect(page.body).toContain(
      `You cannot choose Virtual School because you do not hold this privilege yourself: ${PUPIL_LEVEL}.`,
    );
    expect(page.body).toContain(
      'You cannot choose LA Administrator because you do not hold these privileges yourself: Nexus Admin; Include access to batch reporting and pupil level reports; Can manage school groups.',
    );
    // No type left that gives CiN/CLA, so no agreement to ask.
    expect(page.body).not.toContain('Name of the person who agreed it');
    const who = person();
    const forged = await client.post('/admin/users/new', { ...who, userType: 'virtual_school', ...AGREEMENT });
    expect(forged.statusCode).toBe(400);
    expect(forged.body).toContain(`You cannot give this privilege because you do not hold it yourself: ${PUPIL_LEVEL}`);
    expect(forged.body).not.toContain('pupil_level');
    expect(await accountNamed(who.username)).toBeUndefined();
  });
});

describe('Privileges tab (R15–R16)', () => {
  it('an LA administrator without CiN/CLA gives it with the agreement; the audit has its three keys', async () => {
    const account = await target();
    const client = await signInAs(t, admin);
    const page = await client.get(`/admin/users/${account.id}/privileges`);
    expect(page.body).toMatch(/<input[^>]*value="cin_cla"(?![^>]*disabled)[^>]*>/);
    expect(page.body).toContain(CIN_CLA);
    expect(page.body).toContain('Name of the person who agreed it');
    const saved = await client.post(`/admin/users/${account.id}/privileges`, {
      userType: 'virtual_school',
      privileges: ['summary_reports', 'pupil_level', 'cin_cla'],
      ...AGREEMENT,
      action: 'save',
    });
    expect(saved.statusCode).toBe(303);
    expect(await privilegesOf(account.id)).toEqual(['cin_cla', 'pupil_level', 'summary_reports']);
    const { details } = await lastEvent('account.privileges-changed', account.id);
    expect(details).toMatchObject({
      added: ['pupil_level', 'cin_cla'],
      cinClaAgreedBy: 'Jane Doe',
      cinClaAgreedRole: 'Virtual Head',
      cinClaAgreedOn: '2026-10-27',
    });
  });

  it('refuses CiN/CLA without the agreement, naming the fields; the "differs" box still shows what is saved', async () => {
    // Saved: read only with an extra privilege, so the box has something to say.
    const account = await target(['summary_reports', 'view_users']);
    const client = await signInAs(t, admin);
    const page = await client.get(`/admin/users/${account.id}/privileges`);
    const savedBox = 'Differs from the defaults of Read only: +Can view users';
    expect(page.body).toContain(savedBox);
    const refused = await client.post(`/admin/users/${account.id}/privileges`, {
      userType: 'virtual_school',
      privileges: ['summary_reports', 'pupil_level', 'cin_cla', 'manage_school_groups'],
      cinClaAgreedBy: 'Jane Doe',
      action: 'save',
    });
    expect(refused.statusCode).toBe(400);
    expect(refused.body).not.toContain('Enter the name of the person who agreed');
    expect(refused.body).toContain(
      'Enter the role of the person who agreed access to CiN and CLA information, such as Virtual Head',
    );
    expect(refused.body).toContain('Enter the date access to CiN and CLA information was agreed');
    expect(refused.body).toContain(savedBox);
    expect(refused.body).not.toContain('Differs from the defaults of Virtual School');
    // What was typed and ticked is kept in the form.
    expect(refused.body).toContain('value="Jane Doe"');
    expect(refused.body).toMatch(/value="manage_school_groups" checked/);
    expect(await privilegesOf(account.id)).toEqual(['summary_reports', 'view_users']);
  });

  it('a privilege the administrator does not hold is disabled with the reason; a forged post is refused by label, changing nothing', async () => {
    const account = await target();
    const client = await signInAs(t, limited);
    const page = await client.get(`/admin/users/${account.id}/privileges`);
    expect(page.body).toMatch(/<input[^>]*value="pupil_level"[^>]*disabled[^>]*>/);
    expect(page.body).toMatch(/<input[^>]*value="upload_data"[^>]*disabled[^>]*>/);
    expect(page.body).toContain(
      `You cannot give these privileges because you do not hold them yourself: Nexus Admin; ${PUPIL_LEVEL}; Can manage school groups; Can upload data.`,
    );
    // CiN/CLA is given on the agreement, not by holding it: offered even to this administrator.
    expect(page.body).toMatch(/<input[^>]*value="cin_cla"(?![^>]*disabled)[^>]*>/);
    // Central support is never offered for an LA account.
    expect(page.body).not.toContain('value="support"');
    const forged = await client.post(`/admin/users/${account.id}/privileges`, {
      userType: 'la_officer',
      privileges: ['summary_reports', 'pupil_level', 'upload_data'],
      action: 'save',
    });
    expect(forged.statusCode).toBe(400);
    expect(forged.body).toContain(
      `You cannot give these privileges because you do not hold them yourself: ${PUPIL_LEVEL}; Can upload data`,
    );
    expect(forged.body).toContain('href="#privileges"');
    expect(await privilegesOf(account.id)).toEqual(['summary_reports']);
  });

  it('a privilege the account holds but the administrator does not stays enabled: it can be kept or removed', async () => {
    const account = await target(['summary_reports', 'pupil_level']);
    const client = await signInAs(t, limited);
    const page = await client.get(`/admin/users/${account.id}/privileges`);
    expect(page.body).toMatch(/<input[^>]*value="pupil_level"(?![^>]*disabled)[^>]*checked[^>]*>/);
    expect(page.body).toContain('You do not hold this privilege yourself: you can remove it, but not give it back.');
    const kept = await client.post(`/admin/users/${account.id}/privileges`, {
      userType: 'la_officer',
      privileges: ['summary_reports', 'pupil_level', 'view_users'],
      action: 'save',
    });
    expect(kept.statusCode).toBe(303);
    expect(await privilegesOf(account.id)).toEqual(['pupil_level', 'summary_reports', 'view_users']);
  });

  it('keeping CiN/CLA needs no new agreement', async () => {
    const account = await target(['summary_reports', 'cin_cla']);
    const client = await signInAs(t, admin);
    await client.get(`/admin/users/${account.id}/privileges`);
    const saved = await client.post(`/admin/users/${account.id}/privileges`, {
      userType: 'virtual_school',
      privileges: ['summary_reports', 'cin_cla'],
      action: 'save',
    });
    expect(saved.statusCode).toBe(303);
    expect((await lastEvent('account.privileges-changed', account.id)).details).not.toHaveProperty('cinClaAgreedBy');
  });
});

describe('API (R15–R16)', () => {
  it('creates a Virtual School account with the agreement and refuses it without, naming the fields', async () => {
    const token = await createApiToken(t.handle.db, { organisationId: camden, accountId: admin.id });
    const call = apiClient(t.app, validator, token);
    const missing = await call('POST', '/api/v1/users', { ...person(), userType: 'virtual_school' });
    expect(missing.statusCode).toBe(400);
    expect(missing.json()).toMatchObject({
      errors: {
        cinClaAgreedBy: 'Enter the name of the person who agreed access to CiN and CLA information',
        cinClaAgreedRole:
          'Enter the role of the person who agreed access to CiN and CLA information, such as Virtual Head',
        cinClaAgreedOn: 'Enter the date access to CiN and CLA information was agreed',
      },
    });
    const future = await call('POST', '/api/v1/users', {
      ...person(),
      userType: 'virtual_school',
      ...AGREED,
      cinClaAgreedOn: '2026-11-03',
    });
    expect(future.statusCode).toBe(400);
    expect(future.json()).toMatchObject({
      errors: { cinClaAgreedOn: 'The date of the agreement must be today or in the past' },
    });
    const notIso = await call('POST', '/api/v1/users', {
      ...person(),
      userType: 'virtual_school',
      ...AGREED,
      cinClaAgreedOn: '27/10/2026',
    });
    expect(notIso.json()).toMatchObject({
      errors: { cinClaAgreedOn: 'The date of the agreement must be a real date written YYYY-MM-DD, like 2026-03-27' },
    });
    const who = person();
    const created = await call('POST', '/api/v1/users', { ...who, userType: 'virtual_school', ...AGREED });
    expect(created.statusCode).toBe(201);
    expect(created.json()).toMatchObject({ privileges: ['summary_reports', 'pupil_level', 'cin_cla'] });
    const account = (await accountNamed(who.username))!;
    expect((await lastEvent('account.created', account.id)).details).toMatchObject(AGREED);
  });

  it('sets privileges: CiN/CLA on the agreement; a privilege the caller does not hold refused by label', async () => {
    const token = await createApiToken(t.handle.db, { organisationId: camden, accountId: limited.id });
    const call = apiClient(t.app, validator, token);
    const account = await target();
    const notHeld = await call('PUT', `/api/v1/users/${account.id}/privileges`, {
      userType: 'la_officer',
      privileges: ['summary_reports', 'pupil_level'],
    });
    expect(notHeld.statusCode).toBe(400);
    expect(notHeld.json()).toMatchObject({
      errors: { privileges: `You cannot give this privilege because you do not hold it yourself: ${PUPIL_LEVEL}` },
    });
    const missing = await call('PUT', `/api/v1/users/${account.id}/privileges`, {
      userType: 'virtual_school',
      privileges: ['summary_reports', 'cin_cla'],
      cinClaAgreedBy: 'Jane Doe',
    });
    expect(missing.statusCode).toBe(400);
    expect(Object.keys(missing.json<{ errors: Record<string, string> }>().errors).sort()).toEqual([
      'cinClaAgreedOn',
      'cinClaAgreedRole',
    ]);
    expect(await privilegesOf(account.id)).toEqual(['summary_reports']);
    const agreed = await call('PUT', `/api/v1/users/${account.id}/privileges`, {
      userType: 'virtual_school',
      privileges: ['summary_reports', 'cin_cla'],
      ...AGREED,
    });
    expect(agreed.statusCode).toBe(200);
    expect(agreed.json()).toEqual({ userType: 'virtual_school', privileges: ['summary_reports', 'cin_cla'] });
    expect((await lastEvent('account.privileges-changed', account.id)).details).toMatchObject(AGREED);
  });

  it('the OpenAPI document describes the agreement fields', async () => {
    const doc = (await t.app.inject({ method: 'GET', url: '/api/docs/openapi.json' })).json<{
      components: { schemas: Record<string, { properties: Record<string, unknown> }> };
    }>();
    for (const schema of ['NewUser', 'PrivilegesUpdate'])
      expect(Object.keys(doc.components.schemas[schema]!.properties)).toEqual(
        expect.arrayContaining(['cinClaAgreedBy', 'cinClaAgreedRole', 'cinClaAgreedOn']),
      );
  });
});

describe('CSV import (R15–R16, R58)', () => {
  const HEADER =
    'username,first_name,last_name,email,user_type,cin_cla_agreed_by,cin_cla_agreed_role,cin_cla_agreed_on';
  const adminActor = (): Actor => ({
    kind: 'account',
    accountId: admin.id,
    organisationId: camden,
    organisationKind: 'la',
    privileges: new Set(['manage_users', 'nexus_admin', 'view_users', 'summary_reports', 'pupil_level']),
    label: 'camden.admin',
  });
  const file = (...rows: string[]) => ({
    name: 'users.csv',
    bytes: Buffer.from([HEADER, ...rows].join('\r\n') + '\r\n', 'utf8'),
  });

  it('creates a Virtual School account with the agreement, recorded in the audit log', async () => {
    await t.services.userImport.importAccounts(
      adminActor(),
      undefined,
      file(
        'csv.vs,Vee,Ess,csv.vs@camden.gov.uk,virtual_school,Jane Doe,Virtual Head,2026-10-27',
        // The same date as an English-locale spreadsheet saves it (issue 14 item 12).
        'csv.vs.uk,Vee,Ess,csv.vs.uk@camden.gov.uk,virtual_school,Jane Doe,Virtual Head,27/10/2026',
      ),
      SYSTEM_CONTEXT,
    );
    for (const username of ['csv.vs', 'csv.vs.uk']) {
      const account = (await accountNamed(username))!;
      expect(await privilegesOf(account.id)).toEqual(['cin_cla', 'pupil_level', 'summary_reports']);
      expect((await lastEvent('account.created', account.id)).details).toMatchObject(AGREED);
    }
  });

  it('refuses rows without the agreement or with a bad date, naming the columns; the columns are optional otherwise', async () => {
    const error = await t.services.userImport
      .importAccounts(
        adminActor(),
        undefined,
        file(
          'csv.one,Vee,Ess,csv.one@camden.gov.uk,virtual_school,Jane Doe,,',
          'csv.two,Vee,Ess,csv.two@camden.gov.uk,virtual_school,Jane Doe,Virtual Head,2026-11-03',
          'csv.three,Vee,Ess,csv.three@camden.gov.uk,virtual_school,Jane Doe,Virtual Head,31/02/2026',
          'csv.four,Ann,Lyst,csv.four@camden.gov.uk,la_officer,,,',
        ),
        SYSTEM_CONTEXT,
      )
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ImportRejectedError);
    expect((error as ImportRejectedError).problems).toEqual([
      {
        line: 2,
        column: 'cin_cla_agreed_role',
        reason: 'Enter the role of the person who agreed access to CiN and CLA information, such as Virtual Head',
      },
      { line: 2, column: 'cin_cla_agreed_on', reason: 'Enter the date access to CiN and CLA information was agreed' },
      { line: 3, column: 'cin_cla_agreed_on', reason: 'The date of the agreement must be today or in the past' },
      {
        line: 4,
        column: 'cin_cla_agreed_on',
        reason: 'Enter a real date, like 31/03/2027 or 2027-03-31',
      },
    ]);
    expect(await accountNamed('csv.four')).toBeUndefined();
  });

  it('refuses a privilege the importer does not hold, by label', async () => {
    const error = await t.services.userImport
      .importAccounts(
        adminActor(),
        undefined,
        {
          name: 'users.csv',
          bytes: Buffer.from(
            'username,first_name,last_name,email,user_type,privileges\r\ncsv.five,A,B,csv.five@camden.gov.uk,la_officer,summary_reports upload_data\r\n',
          ),
        },
        SYSTEM_CONTEXT,
      )
      .catch((e: unknown) => e);
    expect((error as ImportRejectedError).problems).toEqual([
      {
        line: 2,
        column: 'privileges',
        reason: 'You cannot give this privilege because you do not hold it yourself: Can upload data',
      },
    ]);
  });
});
