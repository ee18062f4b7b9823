import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Actor } from '../../src/domain/access.ts';
import { auditActionLabel } from '../../src/domain/audit-labels.ts';
import { enqueueEmail } from '../../src/mail/enqueue.ts';
import { loadPrincipal } from '../../src/services/sign-in/principal.ts';
import { createApiToken } from '../support/api-client.ts';
import type { FormClient } from '../support/browser.ts';
import { createAccount, createOrganisation, supportAndCamdenAdmin, type FixtureAccount } from '../support/fixtures.ts';
import { signInAs } from '../support/sign-in.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';

/**
 * Issue 11: "central support reading an LA's users through the API is logged only in the central
 * organisation". Every read by central support of another LA's users — the API's list and get,
 * and the pages (Admin > Users with ?la=, the user page and its tabs, Archived users), and the LA's
 * audit log (page and API) — is one
 * audit event, `support.read`, in THAT LA's log, with the support person as actor; one per
 * request, never one per row. An LA reading its own people writes none, and no other LA gets it.
 */

let t: TestApp;
let camden: number;
let central: number;
let westminster: number;
let support: FixtureAccount;
let camdenAdmin: FixtureAccount;
let westminsterAdmin: FixtureAccount;
let camdenOfficer: FixtureAccount;
let supportToken: string;
let camdenToken: string;
let supportPages: FormClient;
let camdenPages: FormClient;

beforeAll(async () => {
  t = await createTestApp();
  ({ camden, central, support, admin: camdenAdmin } = await supportAndCamdenAdmin(t.handle.db, t.config.secretKey));
  westminster = await createOrganisation(t.handle.db, '213', 'Westminster');
  westminsterAdmin = await createAccount(t.handle.db, t.config.secretKey, {
    organisationId: westminster,
    username: 'westminster.admin',
    userType: 'la_admin',
  });
  camdenOfficer = await createAccount(t.handle.db, t.config.secretKey, {
    organisationId: camden,
    username: 'camden.officer',
    firstName: 'Olu',
    lastName: 'Officer',
  });
  await createAccount(t.handle.db, t.config.secretKey, { organisationId: camden, username: 'camden.analyst' });
  await createAccount(t.handle.db, t.config.secretKey, {
    organisationId: camden,
    username: 'camden.leaver',
    status: 'archived',
  });
  supportToken = await createApiToken(t.handle.db, {
    organisationId: central,
    accountId: support.id,
    name: 'support script',
  });
  camdenToken = await createApiToken(t.handle.db, {
    organisationId: camden,
    accountId: camdenAdmin.id,
    name: 'camden script',
  });
  supportPages = await signInAs(t, support, { ip: '10.20.0.1' });
  camdenPages = await signInAs(t, camdenAdmin, { ip: '10.20.0.2' });
});
afterAll(async () => t?.close());

async function actorOf(id: string): Promise<Actor> {
  const principal = await loadPrincipal(t.handle.db, id);
  if (!principal) throw new Error(`no principal ${id}`);
  return principal.actor;
}

function api(token: string, url: string) {
  return t.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${token}` } });
}

async function supportReads(organisationId?: number) {
  let query = t.handle.db.selectFrom('audit_events').selectAll().where('action', '=', 'support.read');
  if (organisationId !== undefined) query = query.where('organisation_id', '=', organisationId);
  return query.orderBy('id').execute();
}

/** The support.read events a block of requests wrote, anywhere. */
async function newSupportReads(run: () => Promise<unknown>) {
  const before = await t.handle.db
    .selectFrom('audit_events')
    .select((eb) => eb.fn.max('id').as('max'))
    .executeTakeFirstOrThrow();
  await run();
  return t.handle.db
    .selectFrom('audit_events')
    .selectAll()
    .where('action', '=', 'support.read')
    .where('id', '>', String(before.max ?? 0))
    .orderBy('id')
    .execute();
}

describe('central support reading an LA through the API', () => {
  it("the list is one event in the LA's log, by the support person, whatever the number of rows", async () => {
    const reads = await newSupportReads(async () => {
      const response = await api(supportToken, '/api/v1/users?la=202&status=all');
      expect(response.statusCode).toBe(200);
      expect(response.json<{ items: unknown[] }>().items.length).toBeGreaterThanOrEqual(4);
    });
    expect(reads).toHaveLength(1);
    expect(reads[0]).toMatchObject({
      organisation_id: camden,
      actor_account_id: support.id,
      actor_label: 'support',
      subject_account_id: null,
      details: { read: 'Users list', accounts: 4 },
    });
    // The token's own use stays in the central organisation's log, as before.
    const uses = await t.handle.db
      .selectFrom('audit_events')
      .select(['organisation_id', 'details'])
      .where('action', '=', 'api-token.used')
      .execute();
    expect(uses.some((u) => u.organisation_id === central && u.details.route === '/api/v1/users')).toBe(true);
    expect(uses.some((u) => u.organisation_id === camden)).toBe(false);
  });

  it('getting one account is one event naming that account; its schools and privileges too', async () => {
    const reads = await newSupportReads(async () => {
      expect((await api(supportToken, `/api/v1/users/${camdenOfficer.id}`)).statusCode).toBe(200);
      expect((await api(supportToken, `/api/v1/users/${camdenOfficer.id}/schools`)).statusCode).toBe(200);
      expect((await api(supportToken, `/api/v1/users/${camdenOfficer.id}/privileges`)).statusCode).toBe(200);
    });
    expect(reads.map((r) => [r.organisation_id, r.actor_account_id, r.subject_account_id, r.details.read])).toEqual([
      [camden, support.id, camdenOfficer.id, 'User details'],
      [camden, support.id, camdenOfficer.id, 'User details'],
      [camden, support.id, camdenOfficer.id, 'User details'],
    ]);
  });

  it('a refused or failed read writes nothing', async () => {
    const reads = await newSupportReads(async () => {
      expect((await api(supportToken, '/api/v1/users?la=999')).statusCode).toBe(404);
      expect((await api(supportToken, '/api/v1/users/00000000-0000-4000-8000-000000000000')).statusCode).toBe(404);
    });
    expect(reads).toEqual([]);
  });
});

describe('central support reading an LA through the pages', () => {
  it("Admin > Users, the user page and its tabs, and Archived users: one event each in the LA's log", async () => {
    const pages = [
      '/admin/users?la=202',
      `/admin/users/${camdenOfficer.id}`,
      `/admin/users/${camdenOfficer.id}/schools`,
      `/admin/users/${camdenOfficer.id}/privileges`,
      `/admin/users/${camdenOfficer.id}/communications`,
      `/admin/users/${camdenOfficer.id}/audit`,
      '/admin/archived-users?la=202',
    ];
    const reads = await newSupportReads(async () => {
      for (const url of pages) expect((await supportPages.get(url)).statusCode, url).toBe(200);
    });
    expect(
      reads.map((r) => [r.organisation_id, r.actor_account_id, r.ip, r.subject_account_id, r.details.read]),
    ).toEqual([
      [camden, support.id, '10.20.0.1', null, 'Users list'],
      ...pages.slice(1, 6).map(() => [camden, support.id, '10.20.0.1', camdenOfficer.id, 'User details']),
      [camden, support.id, '10.20.0.1', null, 'Archived users'],
    ]);
  });
});

describe("central support reading an LA's audit log", () => {
  it('by page and by API: one event each, recorded after the read, so the read does not show itself', async () => {
    const reads = await newSupportReads(async () => {
      const page = await supportPages.get('/admin/audit?la=202');
      expect(page.statusCode).toBe(200);
      expect(page.body).toContain('Central support viewed: Users list');
      expect(page.body).not.toContain('Central support viewed: Audit log');
      expect((await api(supportToken, '/api/v1/audit-events?la=202')).statusCode).toBe(200);
    });
    expect(reads.map((r) => [r.organisation_id, r.actor_account_id, r.details.read])).toEqual([
      [camden, support.id, 'Audit log'],
      [camden, support.id, 'Audit log'],
    ]);
  });
});

describe('what the LA sees', () => {
  it("the LA's audit log, through the service and the page, shows the reads in words, by the support person", async () => {
    const camdenActor = await actorOf(camdenAdmin.id);
    const log = await t.services.audit.forOrganisation(camdenActor, { action: 'support.read' });
    expect(log.organisation.id).toBe(camden);
    expect(log.total).toBe((await supportReads(camden)).length);
    expect(log.total).toBeGreaterThanOrEqual(10);
    expect(log.events.every((e) => e.actor_label === 'support' && e.actor_account_id === support.id)).toBe(true);
    expect(log.actions).toContain('support.read');

    const label = auditActionLabel('support.read');
    expect(label).toBe('Viewed by central support');
    const page = await camdenPages.get('/admin/audit?action=support.read');
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain(label);
    expect(page.body).toContain('Users list');
    expect(page.body).toContain('>support<');
    expect(page.body).not.toContain('>support.read<');

    // The account's own timeline shows who looked at it.
    const timeline = await t.services.audit.forAccount(camdenActor, camdenOfficer.id);
    expect(timeline.events.filter((e) => e.action === 'support.read').length).toBeGreaterThanOrEqual(8);
    const timelinePage = await camdenPages.get(`/admin/users/${camdenOfficer.id}/audit`);
    expect(timelinePage.body).toContain(label);
  });

  it("the central organisation's log keeps the API token uses, and gets no support.read of its own", async () => {
    const supportActor = await actorOf(support.id);
    const centralLog = await t.services.audit.forOrganisation(supportActor, {});
    expect(centralLog.organisation.id).toBe(central);
    expect(centralLog.events.some((e) => e.action === 'api-token.used')).toBe(true);
    expect(centralLog.events.some((e) => e.action === 'support.read')).toBe(false);
  });

  it('an LA administrator reading their own LA writes no such event, by page or by API', async () => {
    const reads = await newSupportReads(async () => {
      expect((await camdenPages.get('/admin/users')).statusCode).toBe(200);
      expect((await camdenPages.get(`/admin/users/${camdenOfficer.id}`)).statusCode).toBe(200);
      expect((await camdenPages.get('/admin/archived-users')).statusCode).toBe(200);
      expect((await api(camdenToken, '/api/v1/users')).statusCode).toBe(200);
      expect((await api(camdenToken, `/api/v1/users/${camdenOfficer.id}`)).statusCode).toBe(200);
      expect((await camdenPages.get('/admin/audit')).statusCode).toBe(200);
      expect((await api(camdenToken, '/api/v1/audit-events')).statusCode).toBe(200);
      // Another LA's contacts (R5) are not a support read either.
      expect((await camdenPages.get('/admin/users?la=213')).statusCode).toBe(200);
    });
    expect(reads).toEqual([]);
  });

  it('central support reading its own organisation writes none', async () => {
    const reads = await newSupportReads(async () => {
      // The pages above kept Camden as support's LA (issue 13 item 3); `?la=` goes back to central,
      // and the next page without `la` stays there.
      expect((await supportPages.get('/admin/users?la=')).statusCode).toBe(200);
      expect((await supportPages.get('/admin/users')).statusCode).toBe(200);
      expect((await api(supportToken, '/api/v1/users')).statusCode).toBe(200);
    });
    expect(reads).toEqual([]);
  });

  it("another LA's log does not get Camden's reads, and gets its own", async () => {
    const westminsterActor = await actorOf(westminsterAdmin.id);
    expect((await t.services.audit.forOrganisation(westminsterActor, { action: 'support.read' })).total).toBe(0);
    const westminsterPages = await signInAs(t, westminsterAdmin, { ip: '10.20.0.3' });
    const page = await westminsterPages.get('/admin/audit');
    expect(page.body).not.toContain(auditActionLabel('support.read'));

    expect((await api(supportToken, '/api/v1/users?la=213')).statusCode).toBe(200);
    const own = await t.services.audit.forOrganisation(westminsterActor, { action: 'support.read' });
    expect(own.total).toBe(1);
    expect(own.events[0]).toMatchObject({ organisation_id: westminster, actor_account_id: support.id });
    expect((await supportReads()).every((r) => r.organisation_id === camden || r.organisation_id === westminster)).toBe(
      true,
    );
  });
});

describe('central support reading a sent email (Support > Sent email)', () => {
  async function emailTo(organisationId: number, account: FixtureAccount, subject: string): Promise<string> {
    await enqueueEmail(t.handle.db, 'nexus.test', {
      dedupKey: `test:${subject}`,
      template: 'topic-message',
      to: { address: `${account.username}@example.test` },
      organisationId,
      accountId: account.id,
      content: { subject, text: 'Hello', html: '<p>Hello</p>' },
      now: t.clock.now(),
    });
    const row = await t.handle.db
      .selectFrom('email_outbox')
      .select('id')
      .where('subject', '=', subject)
      .executeTakeFirstOrThrow();
    return row.id;
  }

  it('an email to a person of an LA is one event in that LA, naming the person and the subject', async () => {
    const id = await emailTo(camden, camdenOfficer, 'Your Nexus account');
    const reads = await newSupportReads(async () => {
      const page = await supportPages.get(`/support/sent-email/${id}`);
      expect(page.statusCode).toBe(200);
    });
    expect(reads).toHaveLength(1);
    expect(reads[0]).toMatchObject({
      organisation_id: camden,
      actor_account_id: support.id,
      subject_account_id: camdenOfficer.id,
    });
    expect(reads[0]!.details).toMatchObject({ read: 'Sent email', subject: 'Your Nexus account' });
  });

  it("an email to central support's own people writes none, and the list itself none", async () => {
    const id = await emailTo(central, support, 'Release notes');
    const reads = await newSupportReads(async () => {
      expect((await supportPages.get(`/support/sent-email/${id}`)).statusCode).toBe(200);
      expect((await supportPages.get('/support/sent-email')).statusCode).toBe(200);
    });
    expect(reads).toEqual([]);
  });
});
