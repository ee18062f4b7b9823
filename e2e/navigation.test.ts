import { beforeAll, describe, expect, it } from 'vitest';
import { createAccount, createOrganisation, type FixtureAccount } from '../test/support/fixtures.ts';
import { followNavigation } from './support/navigation.ts';
import { expectPage, seedNorthshireAdmin, signedInTab, useJourneyServer } from './support/journey-server.ts';

/**
 * The navigation fits one row at 1280 px (issue 13, item 7): the header shows groups, a group's
 * list pages show its pages under the header. Checked in Chromium for the person with the most
 * pages (central support) and an LA administrator; axe on every page.
 */
const journey = useJourneyServer();
let ada: FixtureAccount;
let support: FixtureAccount;

beforeAll(async () => {
  ({ admin: ada } = await seedNorthshireAdmin(journey));
  const central = await createOrganisation(journey.db, 'central', 'NCER Support');
  support = await createAccount(journey.db, journey.config.secretKey, {
    organisationId: central,
    username: 'sam.support',
    firstName: 'Sam',
    lastName: 'Support',
    userType: 'support',
  });
});

describe('the header at 1280 px', () => {
  it.each([
    [
      'central support',
      () => support,
      'Sam Support',
      ['Home', 'Users', 'Lifecycle', 'Audit', 'Support', 'My account'],
      'NCER Support',
    ],
    [
      'an LA administrator',
      () => ada,
      'Ada Admin',
      ['Home', 'Users', 'Lifecycle', 'Audit', 'My account'],
      'Northshire',
    ],
  ])('holds every link of %s in one row', async (_who, account, name, links, organisation) => {
    const tab = await signedInTab(journey, account(), name, true);
    await tab.page.setViewportSize({ width: 1280, height: 800 });
    const items = tab.page.locator('.govuk-service-navigation__item');
    expect((await items.allInnerTexts()).map((t) => t.trim())).toEqual(links);
    const tops = await items.evaluateAll((elements) => elements.map((e) => Math.round(e.getBoundingClientRect().top)));
    expect(new Set(tops).size).toBe(1);

    // A group's pages are one click away on its list pages.
    await followNavigation(tab, 'Archived users');
    await expectPage(tab, `Archived users of ${organisation}`);
    const section = tab.page.locator('.app-section-navigation');
    expect((await section.getByRole('link').allInnerTexts()).map((t) => t.trim())).toEqual([
      'Users',
      'Archived users',
      'School groups',
      'Sign-in settings',
    ]);
    expect(await section.getByRole('link', { name: 'Archived users' }).getAttribute('aria-current')).toBe('page');
    expect(
      await tab.page.locator('.govuk-service-navigation__item--active').innerText(),
      'the group of the page shown is marked',
    ).toBe('Users');
  });
});
