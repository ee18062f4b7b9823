import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FormClient } from '../support/browser.ts';
import { signInAs } from '../support/sign-in.ts';
import { createAccount, createOrganisation, type FixtureAccount } from '../support/fixtures.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';

let t: TestApp;
let admin: FixtureAccount;
let target: FixtureAccount;
let support: FixtureAccount;
let camden: number;

const signIn = (account: FixtureAccount): Promise<FormClient> => signInAs(t, account);

beforeAll(async () => {
  t = await createTestApp();
  camden = await createOrganisation(t.handle.db, '202', 'Camden');
  const central = await createOrganisation(t.handle.db, 'central', 'NCER Support');
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
  target = await createAccount(t.handle.db, t.config.secretKey, {
    organisationId: camden,
    username: 'camden.target',
    userType: 'la_officer',
    firstName: 'Tara',
  });
  support = await createAccount(t.handle.db, t.config.secretKey, {
    organisationId: central,
    username: 'support',
    userType: 'support',
  });
});
afterAll(async () => t?.close());

describe('audit views (R50)', () => {
  it('records a change with before → after, shows it on the account timeline and in the LA log, filters and exports it', async () => {
    const client = await signIn(admin);
    const edit = await client.get(`/admin/users/${target.id}/edit`);
    expect(edit.statusCode).toBe(200);
    const saved = await client.post(`/admin/users/${target.id}/edit`, {
      firstName: 'Tamsin',
      lastName: target.username,
      email: 'tamsin@camden.gov.uk',
      jobTitle: '',
      phone: '',
      accessEndDate: '',
    });
    expect(saved.statusCode).toBe(303);

    const timeline = await client.get(`/admin/users/${target.id}/audit`);
    expect(timeline.statusCode).toBe(200);
    expect(timeline.body).toContain('Details changed');
    expect(timeline.body).toContain('first_name: Tara → Tamsin');
    expect(timeline.body).toContain('by camden.admin');

    const log = await client.get('/admin/audit?action=account.details-changed');
    expect(log.statusCode).toBe(200);
    expect(log.body).toContain('1 event');
    const none = await client.get('/admin/audit?action=account.details-changed&to=2000-01-01');
    expect(none.body).toContain('0 events');

    const csv = await client.get('/admin/audit/export.csv?action=account.details-changed');
    expect(csv.statusCode).toBe(200);
    const lines = csv.body
      .replace(/^\uFEFF/, '')
      .trim()
      .split('\r\n');
    expect(lines).toHaveLength(2);
    expect(lines[1]).toContain('account.details-changed');
    expect(lines[1]).toContain('camden.admin');
  });

  it("shows central support's actions in the LA's own log", async () => {
    const client = await signIn(support);
    const response = await client.post(`/admin/users/${target.id}/schools/replace`, { newRole: 'governor' });
    expect(response.statusCode).toBe(303);
    const adminClient = await signIn(admin);
    const log = await adminClient.get('/admin/audit?action=account.schools-replaced');
    expect(log.body).toContain('1 event');
    expect(log.body).toContain('>support<');
  });

  it('answers bad filters with error messages', async () => {
    const client = await signIn(admin);
    const response = await client.get('/admin/audit?from=2026-02-30&to=%3Cb%3E&action=%27%20OR%201%3D1');
    expect(response.statusCode).toBe(400);
    expect(response.body).toContain('govuk-error-summary');
    expect(response.body).not.toContain('<b>');
  });
});
