import { beforeAll, describe, expect, it } from 'vitest';
import type { FixtureAccount } from '../test/support/fixtures.ts';
import { followNavigation } from './support/navigation.ts';
import { expectPage, seedNorthshireAdmin, signedInTab, useJourneyServer } from './support/journey-server.ts';

/**
 * Admin > API tokens and the API documentation in Chromium, JavaScript on and off: create a
 * token (shown once), use it, revoke it. Every page is checked by axe; no console errors, CSP
 * violations or failed requests.
 */
const TIMEOUT = 240_000;
const journey = useJourneyServer();
let admin: FixtureAccount;

beforeAll(async () => {
  ({ admin } = await seedNorthshireAdmin(journey));
});

for (const javaScript of [true, false]) {
  describe(`API tokens in the browser, JavaScript ${javaScript ? 'on' : 'off'}`, () => {
    it(
      'creates a token, shows it once, uses it, revokes it',
      async () => {
        const tab = await signedInTab(journey, admin, 'Ada Admin', javaScript);

        await followNavigation(tab, 'API tokens');
        await expectPage(tab, 'API tokens');
        await tab.navigate(() => tab.page.locator('main').getByRole('button', { name: 'Create an API token' }).click());
        await expectPage(tab, 'Create an API token');

        // An empty name: the error summary, then the error next to the field.
        await tab.navigate(() => tab.page.locator('main').getByRole('button', { name: 'Create token' }).click());
        await expectPage(tab, 'Create an API token', 400);
        expect(await tab.page.locator('.govuk-error-summary a').allInnerTexts()).toEqual([
          'Enter a name for the token, for example "Entra ID provisioning"',
        ]);

        const name = `Reporting ${javaScript ? 'JS' : 'no JS'}`;
        await tab.page.getByLabel('Name').fill(name);
        await tab.page.getByLabel('30 days').check();
        await tab.navigate(() => tab.page.locator('main').getByRole('button', { name: 'Create token' }).click());
        await expectPage(tab, 'API token created');
        const token = await tab.page.getByLabel('Token').inputValue();
        expect(token).toMatch(/^nxa_[A-Za-z0-9_-]{43}$/);

        const me = await fetch(`${journey.server.url}/api/v1/me`, { headers: { authorization: `Bearer ${token}` } });
        expect(me.status).toBe(200);
        expect(await me.json()).toMatchObject({ username: 'ada.admin', token: { name } });

        await tab.navigate(() => tab.page.locator('main').getByRole('link', { name: 'Back to API tokens' }).click());
        await expectPage(tab, 'API tokens');
        const body = await tab.page.locator('main').innerText();
        expect(body).toContain(name);
        expect(body).toContain(token.slice(0, 12));
        expect(body).not.toContain(token);

        await tab.navigate(() =>
          tab.page
            .locator('main')
            .getByRole('link', { name: `Revoke ${name}` })
            .click(),
        );
        await expectPage(tab, `Revoke ${name}`);
        await tab.navigate(() => tab.page.locator('main').getByRole('button', { name: 'Revoke token' }).click());
        await expectPage(tab, 'API tokens');
        expect(await tab.page.locator('.govuk-notification-banner--success').innerText()).toContain(
          `API token ${name} revoked`,
        );
        expect(
          (await fetch(`${journey.server.url}/api/v1/me`, { headers: { authorization: `Bearer ${token}` } })).status,
        ).toBe(401);

        await tab.goto('/api/docs');
        await expectPage(tab, 'Nexus Accounts API');
        expect(await tab.page.locator('main').innerText()).toContain('GET /api/v1/users/{id}');
        expect(tab.problems).toEqual([]);
      },
      TIMEOUT,
    );
  });
}
