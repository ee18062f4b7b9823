import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Actor } from '../../src/domain/access.ts';
import { SYSTEM_CONTEXT } from '../../src/services/request-context.ts';
import type { FormClient } from '../support/browser.ts';
import { signInAs } from '../support/sign-in.ts';
import { createAccount, createOrganisation, type FixtureAccount } from '../support/fixtures.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';

let t: TestApp;
let camden: number;
let admin: FixtureAccount;

const signIn = (account: FixtureAccount): Promise<FormClient> => signInAs(t, account);

beforeAll(async () => {
  t = await createTestApp();
  camden = await createOrganisation(t.handle.db, '202', 'Camden');
  admin = await createAccount(t.handle.db, t.config.secretKey, {
    organisationId: camden,
    username: 'camden.admin',
    userType: 'la_admin',
  });
});
afterAll(async () => t?.close());

describe('create user (R6–R9, R2)', () => {
  it("creates the account in the administrator's LA with the type's privileges and emails an invitation", async () => {
    const client = await signIn(admin);
    await client.get('/admin/users/new');
    const response = await client.post('/admin/users/new', {
      username: 'Jo.Bloggs',
      firstName: 'Jo',
      lastName: 'Bloggs',
      email: 'jo.bloggs@camden.gov.uk',
      jobTitle: 'Analyst',
      userType: 'la_officer',
    });
    expect(response.statusCode).toBe(303);
    const account = await t.handle.db
      .selectFrom('accounts')
      .selectAll()
      .where('username', '=', 'jo.bloggs')
      .executeTakeFirstOrThrow();
    expect(response.headers.location).toBe(`/admin/users/${account.id}`);
    expect(account.organisation_id).toBe(camden);
    expect(account.password_hash).toBeNull();
    const privileges = (
      await t.handle.db
        .selectFrom('account_privileges')
        .select('privilege')
        .where('account_id', '=', account.id)
        .orderBy('privilege')
        .execute()
    ).map((r) => r.privilege);
    expect(privileges).toEqual(['pupil_level', 'summary_reports', 'view_users']);
    const email = await t.handle.db
      .selectFrom('email_outbox')
      .selectAll()
      .where('account_id', '=', account.id)
      .executeTakeFirstOrThrow();
    expect(email.template).toBe('invitation');
    expect(email.text_body).toMatch(/\/invitation\/[A-Za-z0-9_-]+/);
    const page = await client.get(`/admin/users/${account.id}`);
    expect(page.body).toContain('Jo Bloggs has been created and emailed an invitation.');
  });

  it('refuses a duplicate username in any case with a clear message, writing nothing', async () => {
    const client = await signIn(admin);
    await client.get('/admin/users/new');
    const before = await t.handle.db.selectFrom('accounts').select('id').execute();
    const response = await client.post('/admin/users/new', {
      username: 'JO.BLOGGS',
      firstName: 'Other',
      lastName: 'Person',
      email: 'other@camden.gov.uk',
      userType: 'read_only',
    });
    expect(response.statusCode).toBe(400);
    expect(response.body).toContain('That username is already taken');
    expect(response.body).toContain('value="JO.BLOGGS"');
    expect(await t.handle.db.selectFrom('accounts').select('id').execute()).toHaveLength(before.length);
  });

  it('asks who agreed CiN/CLA access, their role and the date when the type includes it (R16)', async () => {
    const client = await signIn(admin);
    await client.get('/admin/users/new');
    const missing = await client.post('/admin/users/new', {
      username: 'vs.one',
      firstName: 'Vee',
      lastName: 'Ess',
      email: 'vs@camden.gov.uk',
      userType: 'virtual_school',
    });
    expect(missing.statusCode).toBe(400);
    expect(missing.body).toContain('Enter the name of the person who agreed access to CiN and CLA information');
    const ok = await client.post('/admin/users/new', {
      username: 'vs.one',
      firstName: 'Vee',
      lastName: 'Ess',
      email: 'vs@camden.gov.uk',
      userType: 'virtual_school',
      cinClaAgreedBy: 'Jane Doe',
      cinClaAgreedRole: 'Virtual Head',
      'cinClaAgreedOn-day': '30',
      'cinClaAgreedOn-month': '10',
      'cinClaAgreedOn-year': '2026',
    });
    expect(ok.statusCode).toBe(303);
    const event = await t.handle.db
      .selectFrom('audit_events')
      .select('details')
      .where('action', '=', 'account.created')
      .orderBy('id', 'desc')
      .executeTakeFirstOrThrow();
    expect(event.details).toMatchObject({
      cinClaAgreedBy: 'Jane Doe',
      cinClaAgreedRole: 'Virtual Head',
      cinClaAgreedOn: '2026-10-30',
    });
  });

  it('two creations racing for one username: exactly one wins, the other gets the clear message', async () => {
    const actor: Actor = {
      kind: 'account',
      accountId: admin.id,
      organisationId: camden,
      organisationKind: 'la',
      privileges: new Set(['manage_users', 'view_users', 'summary_reports', 'pupil_level']),
      label: 'camden.admin',
    };
    const input = {
      organisationId: camden,
      username: 'race.user',
      firstName: 'Race',
      lastName: 'User',
      email: 'race@camden.gov.uk',
      userType: 'read_only',
    };
    const results = await Promise.allSettled([
      t.services.accounts.createAccount(actor, input, SYSTEM_CONTEXT),
      t.services.accounts.createAccount(actor, { ...input, username: 'RACE.USER' }, SYSTEM_CONTEXT),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const loser = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect(loser.reason).toHaveProperty('fields', { username: 'That username is already taken. Choose another one.' });
  });
});
