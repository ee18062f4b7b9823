import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addMonthsUtc } from '../../src/domain/calendar.ts';
import type { FormClient } from '../support/browser.ts';
import { signInAs } from '../support/sign-in.ts';
import { createAccount, createOrganisation, type FixtureAccount } from '../support/fixtures.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';

const NOW = '2026-11-02T10:00:00.000Z';
let t: TestApp;
let camden: number;
let kent: number;

const signedIn = (account: FixtureAccount): Promise<FormClient> => signInAs(t, account);

function rowUsernames(html: string): string[] {
  const body = html.split('<tbody class="govuk-table__body">')[1]?.split('</tbody>')[0] ?? '';
  return [
    ...body.matchAll(
      /<tr class="govuk-table__row">\s*<td class="govuk-table__cell">(?:(?!<\/td>).)*<\/td>\s*<td class="govuk-table__cell">([^<]+)<\/td>/g,
    ),
  ].map((m) => m[1]!);
}

let admin: FixtureAccount;
let officer: FixtureAccount;
let kentAdmin: FixtureAccount;
let readOnly: FixtureAccount;

beforeAll(async () => {
  t = await createTestApp({ now: NOW });
  const db = t.handle.db;
  camden = await createOrganisation(db, '202', 'Camden');
  kent = await createOrganisation(db, '886', 'Kent');
  const now = new Date(NOW);
  admin = await createAccount(db, t.config.secretKey, {
    organisationId: camden,
    username: 'camden.admin',
    userType: 'la_admin',
    lastSignInAt: now,
  });
  officer = await createAccount(db, t.config.secretKey, {
    organisationId: camden,
    username: 'camden.officer',
    userType: 'la_officer',
    lastSignInAt: now,
  });
  readOnly = await createAccount(db, t.config.secretKey, {
    organisationId: camden,
    username: 'camden.reader',
    userType: 'read_only',
    lastSignInAt: now,
  });
  kentAdmin = await createAccount(db, t.config.secretKey, {
    organisationId: kent,
    username: 'kent.admin',
    userType: 'la_admin',
    lastSignInAt: now,
    email: 'kent.admin@kent.gov.uk',
  });
  // Boundaries of "not signed in for at least 12 months".
  await createAccount(db, t.config.secretKey, {
    organisationId: camden,
    username: 'exactly.twelve',
    lastSignInAt: addMonthsUtc(now, -12),
    createdAt: new Date('2020-01-01T00:00:00Z'),
  });
  await createAccount(db, t.config.secretKey, {
    organisationId: camden,
    username: 'almost.twelve',
    lastSignInAt: new Date(addMonthsUtc(now, -12).getTime() + 1000),
    createdAt: new Date('2020-01-01T00:00:00Z'),
  });
  await createAccount(db, t.config.secretKey, {
    organisationId: camden,
    username: 'never.old',
    lastSignInAt: null,
    createdAt: addMonthsUtc(now, -13),
  });
  await createAccount(db, t.config.secretKey, {
    organisationId: camden,
    username: 'never.new',
    lastSignInAt: null,
    createdAt: addMonthsUtc(now, -2),
  });
  const restored = await createAccount(db, t.config.secretKey, {
    organisationId: camden,
    username: 'restored.recently',
    lastSignInAt: addMonthsUtc(now, -20),
    createdAt: new Date('2020-01-01T00:00:00Z'),
  });
  await db
    .updateTable('accounts')
    .set({ restored_at: addMonthsUtc(now, -1) })
    .where('id', '=', restored.id)
    .execute();
  // Enough pupil-level officers for three pages of 50 with the filters combined.
  const many = Array.from({ length: 120 }, (_, i) => i);
  for (const i of many) {
    await createAccount(db, t.config.secretKey, {
      organisationId: camden,
      username: `bulk.${String(i).padStart(3, '0')}`,
      userType: i % 2 === 0 ? 'la_officer' : 'read_only',
      lastSignInAt: addMonthsUtc(now, -(i % 30)),
      lastName: `Bulk${String(i).padStart(3, '0')}`,
      enrolled: false,
    });
  }
});
afterAll(async () => t?.close());

describe('Admin > Users', () => {
  it('filters "not signed in for at least N months" at its boundaries, counting never-signed-in from creation and restored from the restore', async () => {
    const client = await signedIn(admin);
    // Boundaries relative to the clock as it is when the page is asked for.
    const now = t.clock.now();
    const twelveAgo = addMonthsUtc(now, -12);
    await t.handle.db
      .updateTable('accounts')
      .set({ last_sign_in_at: twelveAgo })
      .where('username', '=', 'exactly.twelve')
      .execute();
    await t.handle.db
      .updateTable('accounts')
      .set({ last_sign_in_at: new Date(twelveAgo.getTime() + 1) })
      .where('username', '=', 'almost.twelve')
      .execute();
    await t.handle.db
      .updateTable('accounts')
      .set({ created_at: twelveAgo })
      .where('username', '=', 'never.old')
      .execute();
    const names: string[] = [];
    for (const q of ['twelve', 'never', 'restored']) {
      const page = await client.get(`/admin/users?inactiveMonths=12&q=${q}`);
      expect(page.statusCode).toBe(200);
      names.push(...rowUsernames(page.body));
    }
    expect(names).toContain('exactly.twelve');
    expect(names).not.toContain('almost.twelve');
    expect(names).toContain('never.old');
    expect(names).not.toContain('never.new');
    expect(names).not.toContain('restored.recently');
  });

  it('combines filters and keeps them across pages', async () => {
    const client = await signedIn(admin);
    const first = await client.get('/admin/users?q=bulk&type=la_officer&privilege=pupil_level&inactiveMonths=3');
    // 60 officers; months 3..29 of i%30 where i even → i%30 in {4,6,...,28} ∪ ... counted below
    const expected = Array.from({ length: 120 }, (_, i) => i).filter((i) => i % 2 === 0 && i % 30 >= 3).length;
    expect(first.body).toContain(`${expected} accounts`);
    expect(rowUsernames(first.body)).toHaveLength(Math.min(50, expected));
    const next = /<a class="govuk-link govuk-pagination__link" href="([^"]+)" rel="next">/
      .exec(first.body)?.[1]
      ?.replace(/&amp;/g, '&');
    expect(next).toBeDefined();
    expect(next).toContain('type=la_officer');
    expect(next).toContain('privilege=pupil_level');
    expect(next).toContain('inactiveMonths=3');
    expect(next).toContain('page=2');
    const second = await client.get(next!);
    const pageTwo = rowUsernames(second.body);
    expect(pageTwo.length).toBe(Math.min(50, expected - 50));
    expect(pageTwo.filter((u) => rowUsernames(first.body).includes(u))).toEqual([]);
  });

  it("shows the filter's choices selected, request after request (its selects are kept rendered per choice)", async () => {
    const client = await signedIn(admin);
    const selected = (html: string, name: string) => {
      const select =
        html
          .split(`<select class="govuk-select app-select--full" id="${name}" name="${name}"`)[1]
          ?.split('</select>')[0] ?? '';
      return [...select.matchAll(/<option value="([^"]*)" selected>/g)].map((m) => m[1]);
    };
    const first = (await client.get('/admin/users?type=la_officer&privilege=pupil_level&status=warned')).body;
    expect(selected(first, 'type')).toEqual(['la_officer']);
    expect(selected(first, 'privilege')).toEqual(['pupil_level']);
    expect(selected(first, 'status')).toEqual(['warned']);
    const second = (await client.get('/admin/users?type=read_only&status=all')).body;
    expect(selected(second, 'type')).toEqual(['read_only']);
    expect(selected(second, 'privilege')).toEqual([]);
    expect(selected(second, 'status')).toEqual(['all']);
    expect(second).toContain('<option value="">Any privilege</option>');
    // The same choices again: the same markup as the first time.
    expect((await client.get('/admin/users?type=la_officer&privilege=pupil_level&status=warned')).body).toContain(
      first.split('<div class="app-filter__fields">')[1]!.split('</form>')[0]!,
    );
    // A refused choice: its select carries the message, and the kept one without it is not shown.
    const refused = (await client.get('/admin/users?type=nope')).body;
    expect(refused.split('id="type"')[0]).toContain('govuk-form-group--error');
    expect(selected(refused, 'type')).toEqual([]);
  });

  it('sorts by last sign-in with never-signed-in accounts as the oldest', async () => {
    const client = await signedIn(admin);
    const page = await client.get('/admin/users?sort=lastSignIn&q=never');
    expect(rowUsernames(page.body).slice(0, 2).sort()).toEqual(['never.new', 'never.old']);
  });

  it('shows another LA read-only: names, emails and job titles only, no actions', async () => {
    const client = await signedIn(admin);
    const page = await client.get('/admin/users?la=886');
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('kent.admin@kent.gov.uk');
    expect(page.body).not.toContain('>kent.admin<');
    expect(page.body).not.toContain('Create user');
    expect(page.body).not.toContain('Export CSV');
    const csv = await client.get('/admin/users/export.csv?la=886');
    expect(csv.statusCode).toBe(404);
  });

  it('refuses users without view_users', async () => {
    const client = await signedIn(readOnly);
    expect((await client.get('/admin/users')).statusCode).toBe(403);
    expect((await client.get('/admin/users/export.csv')).statusCode).toBe(403);
  });

  it('answers bad filter values with an error message, not a 500', async () => {
    const client = await signedIn(officer);
    const page = await client.get('/admin/users?inactiveMonths=abc&type=%3Cscript%3E&la=99x');
    expect(page.statusCode).toBe(400);
    expect(page.body).toContain('govuk-error-summary');
    expect(page.body).not.toContain('<script>');
    expect((await client.get('/admin/users?la=999')).statusCode).toBe(404);
  });

  it('exports the filtered list as CSV that guards against formula injection', async () => {
    await t.handle.db
      .updateTable('accounts')
      .set({ job_title: '=HYPERLINK("http://evil","x")', first_name: 'Comma, "Quote"' })
      .where('username', '=', 'camden.officer')
      .execute();
    const client = await signedIn(officer);
    const csv = await client.get('/admin/users/export.csv?q=camden.officer');
    expect(csv.statusCode).toBe(200);
    expect(csv.headers['content-type']).toContain('text/csv');
    const lines = csv.body
      .replace(/^\uFEFF/, '')
      .trim()
      .split('\r\n');
    expect(lines).toHaveLength(2);
    expect(lines[1]).toContain(`"'=HYPERLINK(""http://evil"",""x"")"`);
    expect(lines[1]).toContain('"Comma, ""Quote"""');
  });

  it('points an administrator at what needs attention on the home page, with counts that match the list', async () => {
    const client = await signedIn(admin);
    const home = await client.get('/');
    const match = /(\d+) accounts have not signed in for 12 months or more/.exec(home.body);
    expect(match).not.toBeNull();
    const list = await client.get('/admin/users?inactiveMonths=12');
    expect(list.body).toContain(`${match![1]} accounts`);
    const reader = await signedIn(readOnly);
    expect((await reader.get('/')).body).not.toContain('Needs your attention');
  });

  it('gives central support the full list of any LA', async () => {
    const central = await createOrganisation(t.handle.db, 'central', 'NCER Support');
    const support = await createAccount(t.handle.db, t.config.secretKey, {
      organisationId: central,
      username: 'support.one',
      userType: 'support',
    });
    const client = await signedIn(support);
    const page = await client.get('/admin/users?la=886');
    expect(page.statusCode).toBe(200);
    expect(rowUsernames(page.body)).toEqual([kentAdmin.username]);
  });

  it('shows an LA created or renamed elsewhere (a GIAS import, another server) in the LA picker on the next page', async () => {
    const client = await signedIn(admin);
    const before = await client.get('/admin/users');
    expect(before.body).toContain('Camden (202)');
    expect(before.body).not.toContain('Islington (206)');
    // Written straight to the database, as another process would: nothing in this server is told.
    const islington = await createOrganisation(t.handle.db, '206', 'Islington');
    expect((await client.get('/admin/users')).body).toContain('Islington (206)');
    await t.handle.db
      .updateTable('organisations')
      .set({ name: 'London Borough of Islington' })
      .where('id', '=', islington)
      .execute();
    const after = await client.get('/admin/users');
    expect(after.body).toContain('London Borough of Islington (206)');
    expect(after.body).not.toContain('>Islington (206)');
    // Another LA's page (contacts only) shows the same list.
    expect((await client.get('/admin/users?la=886')).body).toContain('London Borough of Islington (206)');
  });
});
