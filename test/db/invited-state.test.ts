import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FormClient } from '../support/browser.ts';
import { signInAs } from '../support/sign-in.ts';
import { createAccount, createOrganisation, type FixtureAccount } from '../support/fixtures.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';

/**
 * States people can see (issue 13, item 2): an account whose holder never set a password is
 * Invited, with Resend invitation (audited, the old link stops working); an account that has a
 * password but never signed in says so instead of "Active" alone.
 */

const NOW = new Date('2026-12-02T10:00:00Z');
let t: TestApp;
let admin: FixtureAccount;
let otherAdmin: FixtureAccount;
let neverSignedIn: FixtureAccount;
let invitedId: string;
let firstLink: string;

/** The text of the table cells of each body row, tags removed. */
function tableRows(html: string): string[][] {
  const body = html.split('<tbody class="govuk-table__body">')[1]?.split('</tbody>')[0] ?? '';
  return [...body.matchAll(/<tr class="govuk-table__row">([\s\S]*?)<\/tr>/g)].map((row) =>
    [...row[1]!.matchAll(/<td[^>]*>([\s\S]*?)<\/td>/g)].map((c) =>
      c[1]!
        .replace(/<[^>]+>/g, ' ')
        .replace(/\s+/g, ' ')
        .trim(),
    ),
  );
}

/** "key: value" of each summary list row, tags removed. */
function summary(html: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of html.matchAll(
    /<dt class="govuk-summary-list__key">([\s\S]*?)<\/dt>\s*<dd class="govuk-summary-list__value">([\s\S]*?)<\/dd>/g,
  ))
    out[m[1]!.replace(/<[^>]+>/g, '').trim()] = m[2]!
      .replace(/<[^>]+>/g, ' ')
      .replace(/\s+/g, ' ')
      .trim();
  return out;
}

const statusTag = (html: string) =>
  /<p class="app-identity__status">[\s\S]*?<strong[^>]*>([^<]*)<\/strong>/.exec(html)?.[1];

async function invitationsOf(accountId: string) {
  return t.handle.db
    .selectFrom('email_outbox')
    .select(['text_body', 'created_at'])
    .where('account_id', '=', accountId)
    .where('template', '=', 'invitation')
    .orderBy('created_at')
    .execute();
}

const linkIn = (text: string) => /\/invitation\/([A-Za-z0-9_-]+)/.exec(text)![1]!;

beforeAll(async () => {
  t = await createTestApp({ now: NOW.toISOString() });
  const db = t.handle.db;
  const camden = await createOrganisation(db, '202', 'Camden');
  const barnet = await createOrganisation(db, '302', 'Barnet');
  admin = await createAccount(db, t.config.secretKey, {
    organisationId: camden,
    username: 'camden.admin',
    firstName: 'Ada',
    lastName: 'Admin',
    userType: 'la_admin',
    lastSignInAt: NOW,
  });
  otherAdmin = await createAccount(db, t.config.secretKey, {
    organisationId: barnet,
    username: 'barnet.admin',
    userType: 'la_admin',
  });
  neverSignedIn = await createAccount(db, t.config.secretKey, {
    organisationId: camden,
    username: 'nina.never',
    firstName: 'Nina',
    lastName: 'Never',
    lastSignInAt: null,
  });
  const client = await signInAs(t, admin);
  await client.get('/admin/users/new');
  const created = await client.post('/admin/users/new', {
    username: 'ivy.invited',
    firstName: 'Ivy',
    lastName: 'Invited',
    email: 'ivy@camden.gov.uk',
    userType: 'la_officer',
  });
  expect(created.statusCode).toBe(303);
  invitedId = (
    await db.selectFrom('accounts').select('id').where('username', '=', 'ivy.invited').executeTakeFirstOrThrow()
  ).id;
  firstLink = linkIn((await invitationsOf(invitedId))[0]!.text_body);
});
afterAll(async () => t?.close());

describe('the Invited state', () => {
  it('shows in Admin > Users with its own filter, and an account never signed in says so', async () => {
    const client = await signInAs(t, admin);
    const rows = tableRows((await client.get('/admin/users?status=all')).body);
    const row = (username: string) => rows.find((r) => r[1] === username)!;
    expect(row('ivy.invited')[6]).toBe('Invited has not set a password yet');
    expect(row('nina.never')[6]).toBe('Active has never signed in');
    expect(row('camden.admin')[6]).toBe('Active');

    const invitedOnly = tableRows((await client.get('/admin/users?status=invited')).body).map((r) => r[1]);
    expect(invitedOnly).toEqual(['ivy.invited']);

    const csv = (await client.get('/admin/users/export.csv?status=all')).body;
    expect(csv).toMatch(/\r?\nivy\.invited,Ivy,Invited,ivy@camden\.gov\.uk,,LA Officer \/ Analyst,Invited,never,/);
    expect(csv).toMatch(/\r?\nnina\.never,Nina,Never,[^\r\n]*,Active,never,/);
  });

  it('shows the invitation on the user page with a Resend invitation action', async () => {
    const client = await signInAs(t, admin);
    const page = (await client.get(`/admin/users/${invitedId}`)).body;
    expect(statusTag(page)).toBe('Invited');
    expect(summary(page)['Invitation']).toBe(
      'Not taken up: sent 2 December 2026, the link works until 9 December 2026',
    );
    expect(summary(page)['Last sign-in']).toBe('Has never signed in');
    expect(page).toContain(`action="/admin/users/${invitedId}/resend-invitation"`);
    expect(page).toContain('Resending emails ivy@camden.gov.uk a new link to set a password');

    const other = (await client.get(`/admin/users/${neverSignedIn.id}`)).body;
    expect(statusTag(other)).toBe('Active');
    expect(summary(other)['Invitation']).toBeUndefined();
    expect(other).not.toContain('resend-invitation');
  });

  it('resends: a new link by email, the old one stops working, audited with who did it', async () => {
    t.clock.set(new Date('2026-12-05T09:00:00Z'));
    const client = await signInAs(t, admin);
    const response = await client.post(`/admin/users/${invitedId}/resend-invitation`, {});
    expect(response.statusCode).toBe(303);
    expect(response.headers.location).toBe(`/admin/users/${invitedId}`);
    const page = (await client.get(`/admin/users/${invitedId}`)).body;
    expect(page).toContain(
      'Invitation sent again to ivy@camden.gov.uk. The new link works until 12 December 2026. Links in earlier emails no longer work.',
    );
    expect(summary(page)['Invitation']).toBe(
      'Not taken up: sent 5 December 2026, the link works until 12 December 2026',
    );

    const emails = await invitationsOf(invitedId);
    expect(emails).toHaveLength(2);
    const second = emails[1]!.text_body;
    expect(second).toContain(
      'Ada Admin has sent you a new link to set up your Nexus account at Camden. Links in earlier emails no longer work.',
    );
    expect(second).toContain('expires on 12 December 2026');
    const newLink = linkIn(second);
    expect(newLink).not.toBe(firstLink);

    const visitor = new FormClient(t.app);
    expect((await visitor.get(`/invitation/${firstLink}`)).statusCode).toBe(410);
    expect((await visitor.get(`/invitation/${newLink}`)).statusCode).toBe(200);

    const events = await t.handle.db
      .selectFrom('audit_events')
      .select(['action', 'actor_label', 'subject_account_id'])
      .where('subject_account_id', '=', invitedId)
      .where('action', 'like', 'invitation.%')
      .orderBy('occurred_at')
      .execute();
    expect(events.map((e) => [e.action, e.actor_label])).toEqual([
      ['invitation.sent', 'camden.admin'],
      ['invitation.resent', 'camden.admin'],
    ]);
  });

  it("refuses another LA's administrator (404) and an account that has a password (409), changing nothing", async () => {
    const before = await invitationsOf(invitedId);
    const barnet = await signInAs(t, otherAdmin);
    expect((await barnet.post(`/admin/users/${invitedId}/resend-invitation`, {})).statusCode).toBe(404);
    expect(await invitationsOf(invitedId)).toEqual(before);

    const client = await signInAs(t, admin);
    const refused = await client.post(`/admin/users/${neverSignedIn.id}/resend-invitation`, {});
    expect(refused.statusCode).toBe(409);
    expect(refused.body).toContain(
      'Nina Never has already set a password, so there is no invitation to send again. If they have forgotten it, they can reset it from the sign-in page.',
    );
    expect(await invitationsOf(neverSignedIn.id)).toEqual([]);
  });

  it('becomes Active, never signed in, once the invitation is taken up', async () => {
    const [, second] = await invitationsOf(invitedId);
    const visitor = new FormClient(t.app);
    const link = `/invitation/${linkIn(second!.text_body)}`;
    await visitor.get(link);
    const saved = await visitor.post(link, {
      password: 'Quartz-Meadow-Lantern-9',
      confirmPassword: 'Quartz-Meadow-Lantern-9',
    });
    expect(saved.statusCode).toBe(303);
    const client = await signInAs(t, admin);
    const page = (await client.get(`/admin/users/${invitedId}`)).body;
    expect(statusTag(page)).toBe('Active');
    expect(summary(page)['Invitation']).toBeUndefined();
    const row = tableRows((await client.get('/admin/users')).body).find((r) => r[1] === 'ivy.invited')!;
    expect(row[6]).toBe('Active has never signed in');
  });
});
