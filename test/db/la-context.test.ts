import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAccount, createOrganisation, supportAndCamdenAdmin, type FixtureAccount } from '../support/fixtures.ts';
import { signInAs } from '../support/sign-in.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';

/**
 * Central support keeps its LA (issue 13, item 3): chosen once, shown on every page, kept across
 * the navigation, changeable from any page; meaningless to anyone else.
 */
let t: TestApp;
let support: FixtureAccount;
let admin: FixtureAccount;

const context = (html: string) =>
  /<div class="app-la-context">[\s\S]*?<p[^>]*>([\s\S]*?)<a/
    .exec(html)?.[1]
    ?.replace(/<[^>]+>/g, '')
    .replace(/\s+/g, ' ')
    .trim();
const heading = (html: string) =>
  /<h1[^>]*>([\s\S]*?)<\/h1>/
    .exec(html)?.[1]
    ?.replace(/<[^>]+>/g, '')
    .trim();
const selected = (html: string, id: string) =>
  new RegExp(`<select[^>]*id="${id}"[\\s\\S]*?<option value="([^"]*)" selected`).exec(html)?.[1];

beforeAll(async () => {
  t = await createTestApp({ now: '2026-12-02T10:00:00Z' });
  const world = await supportAndCamdenAdmin(t.handle.db, t.config.secretKey);
  support = world.support;
  admin = world.admin;
  const barnet = await createOrganisation(t.handle.db, '302', 'Barnet');
  await createAccount(t.handle.db, t.config.secretKey, {
    organisationId: barnet,
    username: 'barnet.person',
    firstName: 'Bo',
    lastName: 'Barnet',
  });
});
afterAll(async () => t?.close());

describe("central support's Local Authority", () => {
  it('is none at first: the pages show the central organisation, and the Users picker says so', async () => {
    const client = await signInAs(t, support);
    const users = (await client.get('/admin/users')).body;
    expect(context(users)).toBe('Local Authority: none chosen (pages show NCER Support)');
    expect(selected(users, 'la')).toBe('');
    expect(users).toContain('<option value="" selected>NCER Support</option>');
  });

  it('chosen once on any page, is kept by every page opened without ?la= and shown on each', async () => {
    const client = await signInAs(t, support);
    const chosen = await client.get('/admin/users?la=302');
    expect(chosen.statusCode).toBe(200);
    expect(selected(chosen.body, 'la')).toBe('302');
    for (const path of ['/admin/users', '/admin/archived-users', '/admin/lifecycle', '/admin/audit', '/']) {
      const page = await client.get(path);
      expect(page.statusCode, path).toBe(200);
      expect(context(page.body), path).toBe('Local Authority: Barnet (302)');
    }
    expect((await client.get('/admin/users')).body).toContain('barnet.person');
    expect((await client.get('/admin/archived-users')).body).toContain('Barnet');
    // Pages without an LA say the same, so support always knows where it is.
    expect(context((await client.get('/my-account')).body)).toBe('Local Authority: Barnet (302)');
  });

  it('is changed from any page by the Change page, which comes back to that page', async () => {
    const client = await signInAs(t, support);
    await client.get('/admin/users?la=302');
    const audit = (await client.get('/admin/audit')).body;
    const change = /href="(\/support\/la-context\?returnTo=[^"]+)"/.exec(audit)![1]!.replace(/&amp;/g, '&');
    expect(change).toBe('/support/la-context?returnTo=%2Fadmin%2Faudit');
    const page = await client.get(change);
    expect(page.statusCode).toBe(200);
    expect(heading(page.body)).toBe('Choose a Local Authority');
    expect(page.body).toContain('<form method="get" action="/admin/audit"');
    expect(selected(page.body, 'la')).toBe('302');
    // The form's GET: back to the audit log, in Camden from now on.
    const camden = await client.get('/admin/audit?la=202');
    expect(context(camden.body)).toBe('Local Authority: Camden (202)');
    expect(context((await client.get('/admin/users')).body)).toBe('Local Authority: Camden (202)');
    // "None": back to the central organisation everywhere.
    await client.get('/admin/users?la=');
    expect(context((await client.get('/admin/archived-users')).body)).toBe(
      'Local Authority: none chosen (pages show NCER Support)',
    );
  });

  it('an unknown code is refused by its page and the LA kept stays', async () => {
    const client = await signInAs(t, support);
    await client.get('/admin/users?la=302');
    expect((await client.get('/admin/users?la=999')).statusCode).toBe(404);
    expect((await client.get('/admin/users?la=abc')).statusCode).toBe(400);
    expect(context((await client.get('/admin/users')).body)).toBe('Local Authority: Barnet (302)');
  });

  it('is not offered to, and means nothing for, anyone else', async () => {
    const client = await signInAs(t, admin);
    client.cookies.set('nexus_la', '302');
    const users = (await client.get('/admin/users')).body;
    expect(users).not.toContain('app-la-context');
    expect(selected(users, 'la')).toBe('202');
    expect(users).not.toContain('barnet.person');
    expect((await client.get('/support/la-context')).statusCode).toBe(403);
  });
});
