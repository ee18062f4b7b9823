import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addDays, addMonthsUtc } from '../../src/domain/calendar.ts';
import { formatDate } from '../../src/services/deps.ts';
import { signInAs } from '../support/sign-in.ts';
import { createAccount, createOrganisation, type FixtureAccount } from '../support/fixtures.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';

/**
 * Home's account health (issue 13, item 10): the table's numbers are the accounts counted here
 * from their rows, its Warned and Archived agree with Admin > Users, and its weeks are the
 * lifecycle preview's rows counted by week — to the day.
 */

const NOW = new Date('2026-11-04T10:00:00Z'); // a Wednesday
const date = (d: Date) => formatDate(d, 'Europe/London');
let t: TestApp;
let camden: number;
let admin: FixtureAccount;
let officer: FixtureAccount;
let reader: FixtureAccount;
let support: FixtureAccount;

/** Home's account-health numbers: bucket → count, from the table's data-bucket cells. */
function bucketCells(html: string): Record<string, number> {
  return Object.fromEntries(
    [...html.matchAll(/data-bucket="([^"]+)">(?:<strong>)?(\d+)/g)].map((m) => [m[1]!, Number(m[2])]),
  );
}

/** Home's weekly table: "Week of" date → [warnings, archives, deletions]. */
function weekRows(html: string): Map<string, number[]> {
  const rows = new Map<string, number[]>();
  for (const m of html.matchAll(/<tr class="govuk-table__row" data-week="[^"]+">([\s\S]*?)<\/tr>/g)) {
    const week = /<th[^>]*>([^<]+)<\/th>/.exec(m[1]!)![1]!.trim();
    rows.set(
      week,
      [...m[1]!.matchAll(/<td[^>]*>(\d+)<\/td>/g)].map((c) => Number(c[1])),
    );
  }
  return rows;
}

/** /admin/lifecycle's rows counted by its "Week of" headings: date → [warned, archived, deleted]. */
function previewWeeks(html: string): Map<string, number[]> {
  const weeks = new Map<string, number[]>();
  const parts = html.split('<h2 class="govuk-heading-m">Week of ').slice(1);
  for (const part of parts) {
    const week = part.slice(0, part.indexOf('</h2>'));
    const table = part.slice(0, part.indexOf('</table>'));
    const count = (tag: string) => table.split(`">${tag}</strong>`).length - 1;
    weeks.set(week, [count('Warned'), count('Archived'), count('Deleted')]);
  }
  return weeks;
}

beforeAll(async () => {
  t = await createTestApp({ now: NOW.toISOString() });
  const db = t.handle.db;
  const key = t.config.secretKey;
  camden = await createOrganisation(db, '202', 'Camden');
  const kent = await createOrganisation(db, '886', 'Kent');
  const central = await createOrganisation(db, 'central', 'NCER Support');
  const person = (
    organisationId: number,
    username: string,
    userType: 'la_admin' | 'read_only' | 'la_officer' | 'support',
  ) => createAccount(db, key, { organisationId, username, userType, lastSignInAt: addDays(NOW, -1) });
  admin = await person(camden, 'camden.admin', 'la_admin');
  officer = await person(camden, 'camden.reports', 'read_only');
  reader = await person(camden, 'camden.reader', 'la_officer');
  support = await person(central, 'support', 'support');
  const created = new Date('2023-01-05T09:00:00Z');
  // A spread of last sign-ins from today to about 19 months ago, on every day of the month.
  for (let i = 0; i < 64; i++) {
    await createAccount(db, key, {
      organisationId: i % 5 === 4 ? kent : camden,
      username: `spread.${i}`,
      createdAt: created,
      lastSignInAt: new Date(NOW.getTime() - i * 9.13 * 86_400_000 - (i % 7) * 3_600_000),
    });
  }
  // Never signed in (inactive since creation), and restored (since the restore): R34.
  await createAccount(db, key, {
    organisationId: camden,
    username: 'never.came',
    createdAt: addMonthsUtc(NOW, -13),
    lastSignInAt: null,
    password: null,
    enrolled: false,
  });
  const restored = await createAccount(db, key, {
    organisationId: camden,
    username: 'came.back',
    createdAt: created,
    lastSignInAt: addMonthsUtc(NOW, -20),
  });
  await db
    .updateTable('accounts')
    .set({ restored_at: addMonthsUtc(NOW, -4) })
    .where('id', '=', restored.id)
    .execute();
  // Archived, deleted in 3, 40 and 100 days (the last one beyond the chart).
  for (const [i, days] of [3, 40, 100].entries()) {
    const gone = await createAccount(db, key, { organisationId: camden, username: `gone.${i}`, status: 'archived' });
    await db
      .updateTable('accounts')
      .set({ deletion_due_at: addDays(NOW, days) })
      .where('id', '=', gone.id)
      .execute();
  }
  // The nightly job as it ran the last three weeks: warnings sent, next events stored.
  for (let day = 21; day >= 1; day--)
    await t.services.lifecycle.run({ now: new Date(addDays(NOW, -day).setUTCHours(2)) });
  t.clock.set(NOW);
});
afterAll(async () => t?.close());

/** Camden's accounts bucketed from their rows, with the rule written out here (R34 and Admin > Users' month filter). */
async function expectedBuckets(now: Date): Promise<Record<string, number>> {
  const db = t.handle.db;
  const accounts = await db.selectFrom('accounts').selectAll().where('organisation_id', '=', camden).execute();
  const notices = await db.selectFrom('lifecycle_notices').selectAll().execute();
  const counts: Record<string, number> = {
    'under-3': 0,
    '3-to-6': 0,
    '6-to-12': 0,
    '12-or-more': 0,
    warned: 0,
    archived: 0,
  };
  for (const a of accounts) {
    const since = new Date(
      Math.max(...[a.created_at, a.last_sign_in_at, a.restored_at].filter((d) => d !== null).map((d) => d.getTime())),
    );
    const warned = notices.some(
      (n) => n.account_id === a.id && n.stage.startsWith('warning_') && n.period_start.getTime() === since.getTime(),
    );
    const atLeast = (months: number) => since <= addMonthsUtc(now, -months);
    const bucket =
      a.status === 'archived'
        ? 'archived'
        : warned
          ? 'warned'
          : atLeast(12)
            ? '12-or-more'
            : atLeast(6)
              ? '6-to-12'
              : atLeast(3)
                ? '3-to-6'
                : 'under-3';
    counts[bucket]!++;
  }
  return { ...counts, total: accounts.length };
}

describe('Home: the LA at a glance', () => {
  it("shows an administrator their LA's accounts by months since last sign-in, as counted from the accounts", async () => {
    const client = await signInAs(t, admin);
    const home = await client.get('/');
    expect(home.statusCode).toBe(200);
    expect(home.body).toContain('Accounts at Camden');
    const shown = bucketCells(home.body);
    const expected = await expectedBuckets(t.clock.now());
    expect(shown).toEqual(expected);
    // Every bucket is used by this fixture, so a swapped or dropped band would show.
    for (const key of ['under-3', '3-to-6', '6-to-12', '12-or-more', 'warned', 'archived'])
      expect(shown[key], key).toBeGreaterThan(0);
    expect(home.body).toContain(
      '<caption class="govuk-table__caption govuk-table__caption--s">Accounts by months since last sign-in</caption>',
    );
    expect(home.body).toMatch(/<svg [^>]*role="img" aria-labelledby="health-accounts-title health-accounts-desc"/);
  });

  it('counts Warned and Archived as Admin > Users shows them', async () => {
    const client = await signInAs(t, admin);
    const shown = bucketCells((await client.get('/')).body);
    const total = async (status: string) => {
      const page = await client.get(`/admin/users?status=${status}`);
      return Number(/(\d+) accounts?<\/p>/.exec(page.body)![1]);
    };
    expect(shown.warned).toBe(await total('warned'));
    expect(shown.archived).toBe(await total('archived'));
    expect(shown.total).toBe(await total('all'));
  });

  it("gives the next 90 days by week as the lifecycle preview's rows grouped by week, to the day", async () => {
    const client = await signInAs(t, admin);
    const home = await client.get('/');
    const preview = await client.get('/admin/lifecycle?days=90');
    expect(preview.statusCode).toBe(200);
    const chart = weekRows(home.body);
    const listed = previewWeeks(preview.body);
    expect(listed.size).toBeGreaterThan(2);
    // Every week the preview lists is on the chart with the same numbers; the chart's other weeks are empty.
    for (const [week, counts] of listed) expect(chart.get(week), week).toEqual(counts);
    for (const [week, counts] of chart) if (!listed.has(week)) expect(counts, week).toEqual([0, 0, 0]);
    // From this week to the week 90 days ahead, nothing skipped.
    const weeks = [...chart.keys()];
    expect(weeks[0]).toBe(date(new Date('2026-11-02T12:00:00Z')));
    expect(weeks.at(-1)).toBe(date(new Date('2027-02-01T12:00:00Z'))); // 4 November + 90 days is Tuesday 2 February
    expect(weeks).toHaveLength(14);
    // The deletion due in 3 days is this week's; the one in 100 days is beyond the chart.
    expect(chart.get(date(new Date('2026-11-02T12:00:00Z')))![2]).toBe(1);
    expect([...chart.values()].reduce((sum, c) => sum + c[2]!, 0)).toBe(2);
    expect(home.body).toContain('href="/admin/lifecycle?days=90"');
    // The totals beside the chart are the preview's rows counted by kind.
    const all = [...listed.values()].reduce((sum, c) => sum.map((n, i) => n + c[i]!), [0, 0, 0]);
    const totals = ['warnings', 'archives', 'deletions'].map((kind) =>
      Number(new RegExp(`data-total="${kind}">(\\d+) `).exec(home.body)![1]),
    );
    expect(totals).toEqual(all);
    expect(all[0]).toBeGreaterThan(0);
  });

  it('is shown to those who may view users, without the preview link to those who may not see the preview', async () => {
    const readerHome = (await (await signInAs(t, reader)).get('/')).body;
    expect(readerHome).toContain('Accounts at Camden');
    expect(bucketCells(readerHome).total).toBe((await expectedBuckets(t.clock.now())).total);
    expect(readerHome).not.toContain('/admin/lifecycle');

    const officerHome = await (await signInAs(t, officer)).get('/');
    expect(officerHome.statusCode).toBe(200);
    expect(officerHome.body).not.toContain('Accounts at');
    expect(officerHome.body).not.toContain('<svg');
  });

  it('shows central support the LA it names, and an LA administrator no other LA', async () => {
    const supportClient = await signInAs(t, support);
    const camdenHome = await supportClient.get('/?la=202');
    expect(camdenHome.statusCode).toBe(200);
    expect(camdenHome.body).toContain('Accounts at Camden');
    expect(bucketCells(camdenHome.body)).toEqual(await expectedBuckets(t.clock.now()));
    expect(camdenHome.body).toContain('href="/admin/lifecycle?days=90&amp;la=202"');

    const adminClient = await signInAs(t, admin);
    expect((await adminClient.get('/?la=886')).statusCode).toBe(404);
    expect((await adminClient.get('/?la=999')).statusCode).toBe(404);
  });
});
