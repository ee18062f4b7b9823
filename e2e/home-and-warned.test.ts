import { beforeAll, describe, expect, it } from 'vitest';
import { addMonthsUtc } from '../src/domain/calendar.ts';
import { formatDate } from '../src/services/deps.ts';
import { createAccount, createOrganisation, type FixtureAccount } from '../test/support/fixtures.ts';
import { followNavigation } from './support/navigation.ts';
import { expectPage, signedInTab, useJourneyServer } from './support/journey-server.ts';

/**
 * Issue 13 items 2 (Warned) and 10 (the LA at a glance) in Chromium, JavaScript on and off, axe and
 * the Nu checker on every page: Home's charts carry the LA's numbers, named for a screen reader,
 * with the same numbers in their tables; a warned account is Warned in Admin > Users with the date
 * it will be archived, and the status filter finds it.
 */
const journey = useJourneyServer();
const DAY = 86_400_000;
let ada: FixtureAccount;
let archiveOn: string;

beforeAll(async () => {
  const { db, config } = journey;
  const now = journey.clock.now();
  const months = (n: number) => addMonthsUtc(now, -n);
  const la = await createOrganisation(db, '931', 'Northshire');
  const person = (username: string, lastSignInAt: Date, more: object = {}) =>
    createAccount(db, config.secretKey, { organisationId: la, username, lastSignInAt, ...more });
  ada = await person('ada.admin', now, { firstName: 'Ada', lastName: 'Admin', userType: 'la_admin' });
  await person('bea.recent', months(4));
  await person('cal.quiet', months(8));
  // 12½ months: its first warning (15 months) falls in the next 90 days, its second does not.
  await person('dee.dormant', new Date(months(12).getTime() - 15 * DAY));
  // Past 15 months: warned by the run below; its 16- and 17-month warnings and its archive (18) are
  // all in the next 90 days.
  await person('wes.warned', new Date(months(15).getTime() - 10 * DAY), { firstName: 'Wes', lastName: 'Warned' });
  // Archived yesterday: far from its deletion.
  await person('ari.archived', months(2), { status: 'archived', createdAt: new Date(now.getTime() - DAY) });
  const { services } = journey.server.runtime;
  await services.lifecycle.run({ now });
  const preview = await services.lifecycle.preview({ now, days: 120 });
  const archive = preview.find((e) => e.username === 'wes.warned' && e.action === 'archive');
  archiveOn = formatDate(archive!.date, config.lifecycle.timezone);
});

const text = (s: string) => s.replace(/\s+/g, ' ').trim();

describe.each([true, false])('JavaScript %s', (javaScript) => {
  it("Home shows the LA's accounts and the next 90 days as charts with tables, and Users shows who is Warned", async () => {
    const tab = await signedInTab(journey, ada, 'Ada Admin', javaScript);
    const { page } = tab;
    await expectPage(tab, 'Ada Admin');

    const counts: Record<string, string> = {};
    for (const cell of await page.locator('main td[data-bucket]').all())
      counts[(await cell.getAttribute('data-bucket'))!] = text(await cell.innerText());
    expect(counts).toEqual({
      'under-3': '1',
      '3-to-6': '1',
      '6-to-12': '1',
      '12-or-more': '1',
      warned: '1',
      archived: '1',
      total: '6',
    });
    // The charts are images named and described by their own title and description.
    const charts = page.locator('main svg[role="img"]');
    expect(await charts.count()).toBe(2);
    for (const chart of await charts.all()) {
      const name = await chart.evaluate((svg) =>
        (svg.getAttribute('aria-labelledby') ?? '')
          .split(' ')
          .map((id) => document.getElementById(id)?.textContent ?? '')
          .join(' '),
      );
      expect(name).toMatch(
        /^(Accounts at Northshire by months since last sign-in|Warnings, archives and deletions in the next 90 days, by week)/,
      );
    }
    const totals = async (which: string) => text(await page.locator(`main li[data-total="${which}"]`).innerText());
    expect([await totals('warnings'), await totals('archives'), await totals('deletions')]).toEqual([
      '3 warnings',
      '1 archive',
      '0 deletions',
    ]);

    await followNavigation(tab, 'Users');
    await expectPage(tab, 'Users of Northshire');
    const status = async (username: string) =>
      text(await page.locator('main tbody tr', { hasText: username }).locator('td').last().innerText());
    expect(await status('wes.warned')).toBe(`Warned will be archived on ${archiveOn}`);
    expect(await status('dee.dormant')).toBe('Active');

    await page
      .getByLabel('Status', { exact: true })
      .selectOption({ label: 'Warned (will be archived unless they sign in)' });
    await tab.navigate(() => page.getByRole('button', { name: 'Apply filters' }).click());
    await expectPage(tab, 'Users of Northshire');
    const usernames = await page.locator('main tbody tr td:nth-child(2)').allInnerTexts();
    expect(usernames.map(text)).toEqual(['wes.warned']);
  });
});
