import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Actor } from '../../src/domain/access.ts';
import { SYSTEM_CONTEXT } from '../../src/services/request-context.ts';
import type { FormClient } from '../support/browser.ts';
import { signInAs } from '../support/sign-in.ts';
import { createAccount, createOrganisation, type FixtureAccount } from '../support/fixtures.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';

let t: TestApp;
let camden: number;
let kent: number;
let admin: FixtureAccount;
let limitedAdmin: FixtureAccount;
let target: FixtureAccount;

const signIn = (account: FixtureAccount): Promise<FormClient> => signInAs(t, account);

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

function actorFor(account: FixtureAccount, organisationId: number, privileges: string[]): Actor {
  return {
    kind: 'account',
    accountId: account.id,
    organisationId,
    organisationKind: 'la',
    privileges: new Set(privileges as never[]),
    label: account.username,
  };
}

beforeAll(async () => {
  t = await createTestApp();
  const db = t.handle.db;
  camden = await createOrganisation(db, '202', 'Camden');
  kent = await createOrganisation(db, '886', 'Kent');
  admin = await createAccount(db, t.config.secretKey, {
    organisationId: camden,
    username: 'camden.admin',
    userType: 'la_admin',
  });
  // An administrator without pupil-level access: R15 stops them granting it.
  limitedAdmin = await createAccount(db, t.config.secretKey, {
    organisationId: camden,
    username: 'camden.limited',
    userType: 'la_admin',
    privileges: ['manage_users', 'view_users', 'summary_reports'],
  });
  target = await createAccount(db, t.config.secretKey, {
    organisationId: camden,
    username: 'camden.target',
    userType: 'read_only',
  });
});
afterAll(async () => t?.close());

describe('privilege rules', () => {
  it('R15: refuses granting a privilege the administrator does not hold, with a clear message, changing nothing', async () => {
    const client = await signIn(limitedAdmin);
    await client.get(`/admin/users/${target.id}/privileges`);
    const response = await client.post(`/admin/users/${target.id}/privileges`, {
      userType: 'la_officer',
      privileges: ['summary_reports', 'pupil_level'],
      action: 'save',
    });
    expect(response.statusCode).toBe(400);
    expect(response.body).toContain(
      'You cannot give this privilege because you do not hold it yourself: Include access to batch reporting and pupil level reports',
    );
    expect(await privilegesOf(target.id)).toEqual(['summary_reports']);
    expect(
      (
        await t.handle.db
          .selectFrom('accounts')
          .select('user_type')
          .where('id', '=', target.id)
          .executeTakeFirstOrThrow()
      ).user_type,
    ).toBe('read_only');
  });

  it('R14: without JavaScript, "apply defaults" pre-fills the type\'s privileges without saving, and "differs from defaults" is shown', async () => {
    const client = await signIn(admin);
    await client.get(`/admin/users/${target.id}/privileges`);
    const prefilled = await client.post(`/admin/users/${target.id}/privileges`, {
      userType: 'la_officer',
      action: 'defaults',
    });
    expect(prefilled.statusCode).toBe(200);
    expect(prefilled.body).toMatch(/value="pupil_level" checked/);
    expect(await privilegesOf(target.id)).toEqual(['summary_reports']);
    const saved = await client.post(`/admin/users/${target.id}/privileges`, {
      userType: 'la_officer',
      privileges: ['summary_reports', 'view_users', 'manage_school_groups'],
      action: 'save',
    });
    expect(saved.statusCode).toBe(303);
    const page = await client.get(`/admin/users/${target.id}/privileges`);
    expect(page.body).toContain(
      'Differs from the defaults of LA Officer / Analyst: +Can manage school groups; −Include access to batch reporting and pupil level reports',
    );
  });

  it('R16: granting CiN/CLA asks who agreed it, their role and the date, and records them in the audit log', async () => {
    const client = await signIn(admin);
    await client.get(`/admin/users/${target.id}/privileges`);
    // R16: the administrator need not hold cin_cla to give it on a recorded agreement.
    expect(await privilegesOf(admin.id)).not.toContain('cin_cla');
    const missing = await client.post(`/admin/users/${target.id}/privileges`, {
      userType: 'virtual_school',
      privileges: ['summary_reports', 'pupil_level', 'cin_cla'],
      action: 'save',
    });
    expect(missing.statusCode).toBe(400);
    expect(missing.body).toContain('Enter the name of the person who agreed access to CiN and CLA information');
    expect(missing.body).toContain('Enter the role of the person who agreed access to CiN and CLA information');
    expect(missing.body).toContain('Enter the date access to CiN and CLA information was agreed');
    expect(await privilegesOf(target.id)).not.toContain('cin_cla');
    const granted = await client.post(`/admin/users/${target.id}/privileges`, {
      userType: 'virtual_school',
      privileges: ['summary_reports', 'pupil_level', 'cin_cla'],
      cinClaAgreedBy: 'Jane Doe',
      cinClaAgreedRole: 'Virtual Head',
      'cinClaAgreedOn-day': '1',
      'cinClaAgreedOn-month': '11',
      'cinClaAgreedOn-year': '2026',
      action: 'save',
    });
    expect(granted.statusCode).toBe(303);
    expect(await privilegesOf(target.id)).toContain('cin_cla');
    const event = await t.handle.db
      .selectFrom('audit_events')
      .select('details')
      .where('action', '=', 'account.privileges-changed')
      .where('subject_account_id', '=', target.id)
      .orderBy('id', 'desc')
      .executeTakeFirstOrThrow();
    expect(event.details).toMatchObject({
      added: expect.arrayContaining(['cin_cla']),
      cinClaAgreedBy: 'Jane Doe',
      cinClaAgreedRole: 'Virtual Head',
      cinClaAgreedOn: '2026-11-01',
    });
  });

  it('R17: the last administrator cannot remove their own manage_users; the page says why and nothing changes', async () => {
    const solo = await createAccount(t.handle.db, t.config.secretKey, {
      organisationId: kent,
      username: 'kent.solo',
      userType: 'la_admin',
    });
    const client = await signIn(solo);
    await client.get(`/admin/users/${solo.id}/privileges`);
    const response = await client.post(`/admin/users/${solo.id}/privileges`, {
      userType: 'la_officer',
      privileges: ['view_users', 'summary_reports', 'pupil_level'],
      action: 'save',
    });
    expect(response.statusCode).toBe(409);
    expect(response.body).toContain('is the last administrator of this Local Authority');
    expect(await privilegesOf(solo.id)).toContain('manage_users');
    expect(
      (await t.handle.db.selectFrom('accounts').select('user_type').where('id', '=', solo.id).executeTakeFirstOrThrow())
        .user_type,
    ).toBe('la_admin');

    // Central support may still do it (R17), e.g. while handing the LA over.
    const central = await createOrganisation(t.handle.db, 'central', 'NCER Support');
    const support = await createAccount(t.handle.db, t.config.secretKey, {
      organisationId: central,
      username: 'support',
      userType: 'support',
    });
    const supportActor: Actor = {
      kind: 'account',
      accountId: support.id,
      organisationId: central,
      organisationKind: 'central',
      privileges: new Set(['support', 'manage_users']),
      label: 'support',
    };
    await t.services.userChanges.setPrivileges(
      supportActor,
      solo.id,
      { userType: 'la_officer', privileges: ['view_users', 'summary_reports', 'pupil_level'] },
      SYSTEM_CONTEXT,
    );
    expect(await privilegesOf(solo.id)).not.toContain('manage_users');
  });

  it('R18: a removed privilege stops the very next request of that user', async () => {
    const officer = await createAccount(t.handle.db, t.config.secretKey, {
      organisationId: camden,
      username: 'camden.officer.r18',
      userType: 'la_officer',
    });
    const officerClient = await signIn(officer);
    expect((await officerClient.get('/admin/users')).statusCode).toBe(200);
    const adminClient = await signIn(admin);
    await adminClient.get(`/admin/users/${officer.id}/privileges`);
    expect(
      (
        await adminClient.post(`/admin/users/${officer.id}/privileges`, {
          userType: 'la_officer',
          privileges: ['summary_reports', 'pupil_level'],
          action: 'save',
        })
      ).statusCode,
    ).toBe(303);
    expect((await officerClient.get('/admin/users')).statusCode).toBe(403);
  });

  for (const action of ['archive', 'delete'] as const) {
    it(`R17: two administrators who ${action} each other at the same moment cannot leave the LA without one`, async () => {
      const db = t.handle.db;
      const la = await createOrganisation(db, action === 'archive' ? '301' : '302', `LA ${action}`);
      const a = await createAccount(db, t.config.secretKey, {
        organisationId: la,
        username: `${action}.a`,
        userType: 'la_admin',
      });
      const b = await createAccount(db, t.config.secretKey, {
        organisationId: la,
        username: `${action}.b`,
        userType: 'la_admin',
      });
      const privileges = ['manage_users', 'view_users'];
      const results = await Promise.allSettled([
        t.services.userStatus[action](actorFor(a, la, privileges), b.id, SYSTEM_CONTEXT),
        t.services.userStatus[action](actorFor(b, la, privileges), a.id, SYSTEM_CONTEXT),
      ]);
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      const refused = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
      expect(refused.reason).toHaveProperty('message', expect.stringContaining('last administrator'));
      const admins = await db
        .selectFrom('accounts')
        .innerJoin('account_privileges', 'account_privileges.account_id', 'accounts.id')
        .select('accounts.id')
        .where('accounts.organisation_id', '=', la)
        .where('accounts.status', '=', 'active')
        .where('account_privileges.privilege', '=', 'manage_users')
        .execute();
      expect(admins).toHaveLength(1);
    });
  }
});
