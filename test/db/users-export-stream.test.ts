import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Actor } from '../../src/domain/access.ts';
import { toCsv } from '../../src/domain/csv.ts';
import { typeDefaults, userTypeLabel, type UserType } from '../../src/domain/privileges.ts';
import { parseUserListQuery } from '../../src/domain/user-filters.ts';
import type { FormClient } from '../support/browser.ts';
import { createAccount, createOrganisation, type FixtureAccount } from '../support/fixtures.ts';
import { signInAs } from '../support/sign-in.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';

/**
 * Admin > Users > Export CSV (R22) is streamed in keyset batches of 1,000 rows. An LA of 2,500
 * accounts spans three batches; the data is made so that the batch boundaries fall inside runs of
 * equal sort keys (the same name many times, the same last sign-in many times, a long run of
 * never-signed-in accounts) and last sign-ins carry microseconds, which a JavaScript Date cannot
 * hold: the export must still be every row of every page, once, in the page's order.
 */

const NOW = '2026-11-02T10:00:00.000Z';
const COUNT = 2500;
let t: TestApp;
let admin: FixtureAccount;
let actor: Actor;
let client: FormClient;

const HEADER = [
  'Username',
  'First name',
  'Last name',
  'Email',
  'Job title',
  'Type of User',
  'Status',
  'Last sign-in',
  'Two-factor authentication',
  'Created',
];

beforeAll(async () => {
  t = await createTestApp({ now: NOW });
  const db = t.handle.db;
  const northwich = await createOrganisation(db, '801', 'Northwich');
  const other = await createOrganisation(db, '802', 'Southwick');
  admin = await createAccount(db, t.config.secretKey, {
    organisationId: northwich,
    username: 'northwich.admin',
    userType: 'la_admin',
    lastSignInAt: new Date(NOW),
    lastName: 'Zz-Admin',
  });
  actor = {
    kind: 'account',
    accountId: admin.id,
    organisationId: northwich,
    organisationKind: 'la',
    privileges: new Set(typeDefaults('la_admin')),
    label: 'Northwich Admin',
  };
  await createAccount(db, t.config.secretKey, {
    organisationId: other,
    username: 'southwick.one',
    lastName: 'Surname1',
  });
  const now = new Date(NOW);
  const rows = Array.from({ length: COUNT }, (_, i) => {
    const created = new Date(Date.UTC(2020, 0, 1) + i * 60_000);
    const type: UserType = i % 3 === 0 ? 'read_only' : 'la_officer';
    return {
      id: crypto.randomUUID(),
      organisation_id: northwich,
      username: `user.${String(i).padStart(4, '0')}`,
      // 7 × 3 names: every (last, first) pair about 120 times, across batch boundaries.
      first_name: `First${i % 3}`,
      last_name: `Surname${i % 7}`,
      email: `user.${i}@northwich.gov.uk`,
      job_title: i % 11 === 0 ? 'Officer, "data"' : i % 13 === 0 ? '=cmd()' : null,
      user_type: type,
      status: 'active' as const,
      // 45% never signed in (a run longer than a batch); the rest in 37 shared instants.
      last_sign_in_at: i % 20 < 9 ? null : new Date(now.getTime() - (i % 37) * 30 * 86_400_000),
      created_at: created,
      updated_at: created,
      totp_secret: i % 2 === 0 ? 'sealed-secret-placeholder' : null,
    };
  });
  for (let i = 0; i < rows.length; i += 500)
    await db
      .insertInto('accounts')
      .values(rows.slice(i, i + 500))
      .execute();
  await sql`INSERT INTO account_privileges (account_id, privilege)
    SELECT accounts.id, user_type_defaults.privilege FROM accounts JOIN user_type_defaults ON user_type_defaults.user_type = accounts.user_type
    WHERE accounts.organisation_id = ${northwich} AND accounts.username LIKE 'user.%'`.execute(db);
  const ids = rows.map((r) => r.id);
  // Archived: one in ten (archived_at set together with the status, as the table requires).
  await db
    .updateTable('accounts')
    .set({ status: 'archived', archived_at: now, archive_reason: 'manual' })
    .where(
      'id',
      'in',
      ids.filter((_, i) => i % 10 === 3),
    )
    .execute();
  // Microseconds, as PostgreSQL's now() writes them.
  await sql`UPDATE accounts SET last_sign_in_at = last_sign_in_at + interval '123.456 milliseconds' + interval '7 microseconds'
    WHERE organisation_id = ${northwich} AND last_sign_in_at IS NOT NULL AND username <> 'northwich.admin'`.execute(db);
  // Warned: a warning in the current inactivity period for the active accounts with an even number (over 1,000).
  await sql`INSERT INTO lifecycle_notices (account_id, period_start, stage, sent_at)
    SELECT id, GREATEST(last_sign_in_at, created_at, restored_at), 'warning_1', ${now} FROM accounts
    WHERE organisation_id = ${northwich} AND status = 'active' AND username LIKE 'user.%' AND substr(username, 9, 1) IN ('0', '2', '4', '6', '8')`.execute(
    db,
  );
  client = await signInAs(t, admin);
}, 240_000);
afterAll(async () => t?.close());

/** Every row of every page the page's own service call gives, for the query string `search`. */
async function pageRows(search: string) {
  const { query, errors } = parseUserListQuery(Object.fromEntries(new URLSearchParams(search)));
  expect(errors).toEqual({});
  const rows = [];
  for (let page = 1; ; page++) {
    const result = await t.services.directory.list(actor, { ...query, page });
    if (result.mode !== 'manage') throw new Error('expected the managed list');
    rows.push(...result.rows);
    if (page >= result.pageCount) {
      expect(rows).toHaveLength(result.total);
      return rows;
    }
  }
}

function expectedCsv(rows: Awaited<ReturnType<typeof pageRows>>): string {
  return toCsv(
    HEADER,
    rows.map((r) => [
      r.username,
      r.first_name,
      r.last_name,
      r.email,
      r.job_title ?? '',
      userTypeLabel(r.user_type as UserType),
      // The CSV has no Warned (no lifecycle lookup per row); an account never given a password is Invited.
      r.status === 'archived' ? 'Archived' : r.has_password ? 'Active' : 'Invited',
      r.last_sign_in_at ? r.last_sign_in_at.toISOString() : 'never',
      r.two_factor ? 'Set up' : 'Not set up',
      r.created_at.toISOString(),
    ]),
  );
}

async function exported(search: string): Promise<string> {
  const response = await client.get(`/admin/users/export.csv?${search}`);
  expect(response.statusCode).toBe(200);
  expect(response.body.startsWith('\uFEFF')).toBe(true);
  return response.body.slice(1);
}

describe('Admin > Users > Export CSV, streamed in batches', () => {
  it.each([
    ['sort=name', 2000],
    ['sort=-name&status=all', 2000],
    ['sort=lastSignIn&status=all', 2000],
    ['sort=-lastSignIn', 2000],
    ['status=warned&sort=lastSignIn', 1000],
    ['status=warned&sort=-name', 1000],
  ])(
    "%s: every row of every page, once, in the page's order, across batch boundaries",
    async (search, atLeast) => {
      const rows = await pageRows(search);
      expect(rows.length).toBeGreaterThan(atLeast);
      expect(new Set(rows.map((r) => r.id)).size).toBe(rows.length);
      const csv = await exported(search);
      expect(csv).toBe(expectedCsv(rows));
    },
    120_000,
  );

  it('keeps the other filters too (inactivity, type, privilege, free text)', async () => {
    for (const search of [
      'inactiveMonths=12&sort=-lastSignIn&type=la_officer',
      'q=surname3&sort=lastSignIn&privilege=pupil_level',
      'q=user.1&status=archived',
    ]) {
      const rows = await pageRows(search);
      expect(rows.length, search).toBeGreaterThan(0);
      expect(await exported(search), search).toBe(expectedCsv(rows));
    }
  }, 120_000);

  it('matches the rendered page, and sends the headers of a download', async () => {
    const response = await client.get('/admin/users/export.csv?sort=lastSignIn&status=all');
    expect(response.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(response.headers['content-disposition']).toBe('attachment; filename="users-801-2026-11-02.csv"');
    expect(response.headers['cache-control']).toBe('no-store');
    const lines = response.body.slice(1).trimEnd().split('\r\n');
    expect(lines[0]).toBe(HEADER.join(','));
    expect(lines).toHaveLength(COUNT + 2); // header, the administrator and every generated account
    // Page 21 of the same list, as the browser sees it, is the same 50 rows at the same place.
    const page = await client.get('/admin/users?sort=lastSignIn&status=all&page=21');
    const body = page.body.split('<tbody class="govuk-table__body">')[1]?.split('</tbody>')[0] ?? '';
    const usernames = [...body.matchAll(/<td class="govuk-table__cell">(user\.\d{4}|northwich\.admin)<\/td>/g)].map(
      (m) => m[1],
    );
    expect(usernames).toHaveLength(50);
    expect(lines.slice(1 + 1000, 1 + 1050).map((l) => l.split(',')[0])).toEqual(usernames);
  }, 120_000);

  it('refuses before the first byte: a bad filter, no privilege, another LA', async () => {
    const bad = await client.get('/admin/users/export.csv?inactiveMonths=abc');
    expect(bad.statusCode).toBe(400);
    expect(bad.headers['content-type']).toContain('text/html');
    const reader = await createAccount(t.handle.db, t.config.secretKey, {
      organisationId: actor.kind === 'account' ? actor.organisationId : 0,
      username: 'northwich.reader',
      userType: 'read_only',
    });
    const readerClient = await signInAs(t, reader);
    const refused = await readerClient.get('/admin/users/export.csv');
    expect(refused.statusCode).toBe(403);
    expect(refused.headers['content-type']).toContain('text/html');
    expect((await client.get('/admin/users/export.csv?la=802')).statusCode).toBe(404);
  }, 120_000);
});
