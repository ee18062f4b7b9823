import { beforeAll, describe, expect, it } from 'vitest';
import { createAccount, createOrganisation, type FixtureAccount } from '../test/support/fixtures.ts';
import { followNavigation } from './support/navigation.ts';
import { expectPage, seedNorthshireAdmin, signedInTab, useJourneyServer } from './support/journey-server.ts';

/**
 * Issue 13 in Chromium, JavaScript on and off, axe on every page: an invited account is Invited
 * and its invitation can be sent again (item 2); central support chooses a Local Authority once and
 * every page keeps and shows it, changeable from any page (item 3).
 */
const journey = useJourneyServer();
let ada: FixtureAccount;
let support: FixtureAccount;
let ivy: FixtureAccount;

const mainText = async (tab: Awaited<ReturnType<typeof signedInTab>>) =>
  (await tab.page.locator('main').innerText()).replace(/\s+/g, ' ');

beforeAll(async () => {
  const { organisationId, admin } = await seedNorthshireAdmin(journey);
  ada = admin;
  ivy = await createAccount(journey.db, journey.config.secretKey, {
    organisationId,
    username: 'ivy.invited',
    firstName: 'Ivy',
    lastName: 'Invited',
    password: null,
    enrolled: false,
    createdAt: journey.clock.now(),
  });
  await createOrganisation(journey.db, '202', 'Camden');
  const central = await createOrganisation(journey.db, 'central', 'NCER Support');
  support = await createAccount(journey.db, journey.config.secretKey, {
    organisationId: central,
    username: 'sam.support',
    firstName: 'Sam',
    lastName: 'Support',
    userType: 'support',
  });
});

describe.each([true, false])('JavaScript %s', (javaScript) => {
  it('an invited account is Invited in the list and on its page, and its invitation is sent again', async () => {
    const tab = await signedInTab(journey, ada, 'Ada Admin', javaScript);
    await followNavigation(tab, 'Users');
    await expectPage(tab, 'Users of Northshire');
    const row = tab.page.locator('main tbody tr', { hasText: 'ivy.invited' });
    expect((await row.locator('td').last().innerText()).replace(/\s+/g, ' ').trim()).toBe(
      'Invited has not set a password yet',
    );
    await tab.navigate(() => row.getByRole('link', { name: 'Ivy Invited' }).click());
    await expectPage(tab, 'Ivy Invited');
    expect((await tab.page.locator('main .app-identity .govuk-tag').innerText()).trim()).toBe('Invited');

    await tab.navigate(() => tab.page.getByRole('button', { name: 'Resend invitation' }).click());
    await expectPage(tab, 'Ivy Invited');
    expect(await tab.page.locator('.govuk-notification-banner').innerText()).toContain(
      `Invitation sent again to ${ivy.username}@example.gov.uk.`,
    );
    expect(await mainText(tab)).toContain('Invitation Not taken up: sent');
  });

  it('central support chooses a Local Authority once; every page keeps and shows it', async () => {
    const tab = await signedInTab(journey, support, 'Sam Support', javaScript);
    const context = tab.page.locator('.app-la-context');
    expect((await context.innerText()).replace(/\s+/g, ' ').trim()).toBe(
      'Local Authority: none chosen (pages show NCER Support) Choose Local Authority',
    );
    await tab.navigate(() => context.getByRole('link', { name: 'Choose Local Authority' }).click());
    await expectPage(tab, 'Choose a Local Authority');
    await tab.page.getByLabel('Choose a Local Authority').selectOption({ label: 'Northshire (931)' });
    await tab.navigate(() => tab.page.getByRole('button', { name: 'Continue' }).click());
    await expectPage(tab, 'Sam Support');

    for (const [page, heading] of [
      ['Users', 'Users of Northshire'],
      ['Archived users', 'Archived users of Northshire'],
      ['Audit', 'Audit log of Northshire'],
    ] as const) {
      await followNavigation(tab, page);
      await expectPage(tab, heading);
      expect((await context.innerText()).replace(/\s+/g, ' ').trim()).toBe(
        'Local Authority: Northshire (931) Change Local Authority',
      );
    }

    // Changed from the page it is on, and back on that page in the new LA.
    await tab.navigate(() => context.getByRole('link', { name: 'Change Local Authority' }).click());
    await expectPage(tab, 'Choose a Local Authority');
    await tab.page.getByLabel('Choose a Local Authority').selectOption({ label: 'Camden (202)' });
    await tab.navigate(() => tab.page.getByRole('button', { name: 'Continue' }).click());
    await expectPage(tab, 'Audit log of Camden');
    await followNavigation(tab, 'Users');
    await expectPage(tab, 'Users of Camden');
    expect(await tab.page.getByLabel('Local Authority', { exact: true }).inputValue()).toBe('202');
  });
});
