import { rmSync } from 'node:fs';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../src/config.ts';
import { ManualClock } from '../src/domain/clock.ts';
import { generateTotp, TOTP_PERIOD_SECONDS } from '../src/domain/totp.ts';
import { startServer, type Server } from '../src/runtime.ts';
import { createAccount, createOrganisation, TEST_PASSWORD, type FixtureAccount } from '../test/support/fixtures.ts';
import { testConfig } from '../test/support/test-app.ts';
import { JourneyTab, launchChromium } from './support/browser.ts';
import { SignInPage } from './support/pages.ts';

/**
 * Admin > API tokens and the API documentation in Chromium, JavaScript on and off: create a
 * token (shown once), use it, revoke it. Every page is checked by axe; no console errors, CSP
 * violations or failed requests.
 */
const TIMEOUT = 240_000;
let config: Config;
let clock: ManualClock;
let server: Server;
let browser: Browser;
let admin: FixtureAccount;

beforeAll(async () => {
  config = testConfig({ PORT: '0', HOST: '127.0.0.1' });
  clock = new ManualClock(new Date());
  [server, browser] = await Promise.all([startServer(config, { clock, log: false }), launchChromium()]);
  const db = server.runtime.handle.db;
  const la = await createOrganisation(db, '931', 'Northshire');
  admin = await createAccount(db, config.secretKey, { organisationId: la, username: 'ada.admin', firstName: 'Ada', lastName: 'Admin', userType: 'la_admin' });
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
  if (config) rmSync(config.dataDir, { recursive: true, force: true });
});

async function expectPage(tab: JourneyTab, heading: string, status = 200): Promise<void> {
  expect(tab.documents.at(-1)?.status).toBe(status);
  expect(await tab.page.locator('h1').allInnerTexts()).toEqual([heading]);
  await tab.audit();
}

for (const javaScript of [true, false]) {
  describe(`API tokens in the browser, JavaScript ${javaScript ? 'on' : 'off'}`, () => {
    it('creates a token, shows it once, uses it, revokes it', async () => {
      const tab = await JourneyTab.open(browser, { baseUrl: server.url, javaScript });
      try {
        clock.advance(TOTP_PERIOD_SECONDS * 1000);
        const twoFactor = await (await SignInPage.open(tab)).signIn(admin.username, TEST_PASSWORD);
        await twoFactor.enterCode(generateTotp(admin.totpSecret!, clock.now()), 'Ada Admin');

        await tab.navigate(() => tab.page.locator('.govuk-service-navigation').getByRole('link', { name: 'API tokens', exact: true }).click());
        await expectPage(tab, 'API tokens');
        await tab.navigate(() => tab.page.locator('main').getByRole('button', { name: 'Create an API token' }).click());
        await expectPage(tab, 'Create an API token');

        // An empty name: the error summary, then the error next to the field.
        await tab.navigate(() => tab.page.locator('main').getByRole('button', { name: 'Create token' }).click());
        await expectPage(tab, 'Create an API token', 400);
        expect(await tab.page.locator('.govuk-error-summary a').allInnerTexts()).toEqual(['Enter a name for the token, for example "Entra ID provisioning"']);

        const name = `Reporting ${javaScript ? 'JS' : 'no JS'}`;
        await tab.page.getByLabel('Name').fill(name);
        await tab.page.getByLabel('30 days').check();
        await tab.navigate(() => tab.page.locator('main').getByRole('button', { name: 'Create token' }).click());
        await expectPage(tab, 'API token created');
        const token = await tab.page.getByLabel('Token').inputValue();
        expect(token).toMatch(/^nxa_[A-Za-z0-9_-]{43}$/);

        const me = await fetch(`${server.url}/api/v1/me`, { headers: { authorization: `Bearer ${token}` } });
        expect(me.status).toBe(200);
        expect(await me.json()).toMatchObject({ username: 'ada.admin', token: { name } });

        await tab.navigate(() => tab.page.locator('main').getByRole('link', { name: 'Back to API tokens' }).click());
        await expectPage(tab, 'API tokens');
        const body = await tab.page.locator('main').innerText();
        expect(body).toContain(name);
        expect(body).toContain(token.slice(0, 12));
        expect(body).not.toContain(token);

        await tab.navigate(() => tab.page.locator('main').getByRole('link', { name: `Revoke ${name}` }).click());
        await expectPage(tab, `Revoke ${name}`);
        await tab.navigate(() => tab.page.locator('main').getByRole('button', { name: 'Revoke token' }).click());
        await expectPage(tab, 'API tokens');
        expect(await tab.page.locator('.govuk-notification-banner--success').innerText()).toContain(`API token ${name} revoked`);
        expect((await fetch(`${server.url}/api/v1/me`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(401);

        await tab.goto('/api/docs');
        await expectPage(tab, 'Nexus Accounts API');
        expect(await tab.page.locator('main').innerText()).toContain('GET /api/v1/users/{id}');
        expect(tab.problems).toEqual([]);
      } finally {
        await tab.close();
      }
    }, TIMEOUT);
  });
}
