import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { userJson, userSummaryJson } from '../../src/api/representations.ts';
import { addMonthsUtc } from '../../src/domain/calendar.ts';
import { formatDate } from '../../src/services/deps.ts';
import { signInAs } from '../support/sign-in.ts';
import { createAccount, createOrganisation, type FixtureAccount } from '../support/fixtures.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';

/**
 * A warned account looks warned (issue 10, item 5): a Warned tag with "will be archived on D" in
 * Admin > Users and on the user page, a filter for it, and the same D in the API, the preview and
 * the Home page's count — one date, from the one schedule.
 */

const NOW = new Date('2026-11-02T02:00:00Z');
const date = (d: Date) => formatDate(d, 'Europe/London');
let t: TestApp;
let admin: FixtureAccount;
let warned: FixtureAccount;
let quiet: FixtureAccount;

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

beforeAll(async () => {
  t = await createTestApp({ now: NOW.toISOString(), env: { DIGEST_INACTIVE_MONTHS: '6' } });
  const db = t.handle.db;
  const camden = await createOrganisation(db, '202', 'Camden');
  admin = await createAccount(db, t.config.secretKey, {
    organisationId: camden,
    username: 'camden.admin',
    userType: 'la_admin',
    lastSignInAt: NOW,
  });
  warned = await createAccount(db, t.config.secretKey, {
    organisationId: camden,
    username: 'wendy.warned',
    firstName: 'Wendy',
    lastName: 'Warned',
    lastSignInAt: new Date('2025-08-01T14:00:00Z'),
  });
  quiet = await createAccount(db, t.config.secretKey, {
    organisationId: camden,
    username: 'quinn.quiet',
    firstName: 'Quinn',
    lastName: 'Quiet',
    lastSignInAt: addMonthsUtc(NOW, -7),
  });
  await t.services.lifecycle.run({ now: NOW });
  t.clock.set(new Date('2026-11-02T10:00:00Z'));
});
afterAll(async () => t?.close());

describe('the Warned state', () => {
  it('shows in Admin > Users with its archive date, has a filter, and agrees with the user page, the preview and the API', async () => {
    const client = await signInAs(t, admin);
    // 1 August 2025 14:00 + 18 months is 1 February 2027 14:00: the run of 2 February archives it.
    const archiveOn = '2 February 2027';
    const preview = await t.services.lifecycle.preview({ now: t.clock.now(), days: 120 });
    expect(date(preview.find((e) => e.username === 'wendy.warned' && e.action === 'archive')!.date)).toBe(archiveOn);

    const list = await client.get('/admin/users');
    expect(list.statusCode).toBe(200);
    const rows = tableRows(list.body);
    const status = (username: string) => rows.find((r) => r[1] === username)!.at(-1);
    expect(status('wendy.warned')).toBe(`Warned will be archived on ${archiveOn}`);
    expect(status('quinn.quiet')).toBe('Active');

    const filtered = await client.get('/admin/users?status=warned');
    expect(tableRows(filtered.body).map((r) => r[1])).toEqual(['wendy.warned']);
    expect(filtered.body).toContain('<option value="warned" selected>');

    const page = await client.get(`/admin/users/${warned.id}`);
    expect(page.body).toMatch(
      /<span class="govuk-visually-hidden">Status: <\/span><strong class="govuk-tag govuk-tag--yellow">Warned<\/strong>/,
    );
    expect(page.body).toContain(
      `First warning sent on 2 November 2026. It will be archived on ${archiveOn} unless they sign in.`,
    );
    const quietPage = await client.get(`/admin/users/${quiet.id}`);
    // 7 months inactive now: the first warning is due at 15 months, 2 July 2027 (the 02:00 run after 2 July 2027 02:00 GMT is 3 July, 01:00 BST).
    expect(quietPage.body).toMatch(
      /If nobody signs in, the first warning goes out on \d+ \w+ 2027 and it is archived on \d+ \w+ 2027\./,
    );

    const api = await client.get(`/api/v1/users/${warned.id}`);
    expect(api.statusCode).toBe(200);
    const lifecycle = api.json<ReturnType<typeof userJson>>().lifecycle;
    expect(lifecycle).toMatchObject({
      state: 'warned',
      lastWarning: { warning: 'first warning' },
      nextEvent: { action: 'warn', detail: 'second warning' },
    });
    expect(date(new Date(lifecycle.archiveOn!))).toBe(archiveOn);
    expect(lifecycle.archiveOn).toBe(
      preview.find((e) => e.username === 'wendy.warned' && e.action === 'archive')!.date.toISOString(),
    );
    const apiList = await client.get('/api/v1/users?status=warned');
    expect(apiList.json<{ items: ReturnType<typeof userSummaryJson>[] }>().items.map((u) => u.username)).toEqual([
      'wendy.warned',
    ]);
  });

  it('Home counts the warned accounts and the inactive ones with DIGEST_INACTIVE_MONTHS, linking to the filtered lists', async () => {
    const client = await signInAs(t, admin);
    const home = await client.get('/');
    expect(home.body).toContain(
      '<a class="govuk-link" href="/admin/users?status=warned&amp;sort=lastSignIn">1 account has been warned and will be archived unless they sign in</a>',
    );
    expect(home.body).toContain(
      '<a class="govuk-link" href="/admin/users?inactiveMonths=6&amp;sort=lastSignIn">2 accounts have not signed in for 6 months or more</a>',
    );
    // The attention list counts with the configured months (the account-health chart's bands are fixed).
    const attention = home.body.split('Needs your attention')[1]!.split('</div>')[0]!;
    expect(attention).toContain('6 months or more');
    expect(attention).not.toContain('12 months');
  });
});
