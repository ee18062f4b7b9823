import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAccount, type FixtureAccount } from '../test/support/fixtures.ts';
import { closedPort, startOidcStandIn, type StandIn } from '../test/support/oidc-stand-in.ts';
import type { JourneyTab } from './support/browser.ts';
import { expectPage, seedNorthshireAdmin, signedInTab, useJourneyServer } from './support/journey-server.ts';
import { followNavigation } from './support/navigation.ts';

/**
 * Admin > Sign-in settings in Chromium (issue 15 item 1, R64), JavaScript on and off: an LA
 * administrator sets up the LA's own provider (panva's oidc-provider, started here as Northshire's
 * Entra ID), is told what is missing, turns it on (the connection tested first), tests it again,
 * makes it required with a break-glass account. The secret never comes back to the browser. axe,
 * the Nu checker and the 375 px check judge every page (expectPage → tab.audit).
 */
const TIMEOUT = 240_000;
const SECRET = 'Northshire~Entra.Secret-2026';
const journey = useJourneyServer();
let admin: FixtureAccount;
let organisationId: number;
let standIn: StandIn;

beforeAll(async () => {
  ({ admin, organisationId } = await seedNorthshireAdmin(journey));
  await createAccount(journey.db, journey.config.secretKey, {
    organisationId,
    username: 'bea.backup',
    firstName: 'Bea',
    lastName: 'Backup',
    userType: 'la_admin',
  });
  standIn = await startOidcStandIn();
});
afterAll(async () => standIn?.close());

const main = (tab: JourneyTab) => tab.page.locator('main');
const save = (tab: JourneyTab) => tab.navigate(() => main(tab).getByRole('button', { name: 'Save settings' }).click());
const errorSummary = (tab: JourneyTab) => tab.page.locator('.govuk-error-summary a').allInnerTexts();

for (const javaScript of [true, false]) {
  describe(`Sign-in settings in the browser, JavaScript ${javaScript ? 'on' : 'off'}`, () => {
    it(
      'sets up the LA provider, turns it on after testing it, makes it required with a break-glass account',
      async () => {
        await journey.db.deleteFrom('la_identity_providers').execute();
        const tab = await signedInTab(journey, admin, 'Ada Admin', javaScript);

        await followNavigation(tab, 'Sign-in settings');
        await expectPage(tab, 'Sign in with your LA account');
        expect(await main(tab).getByRole('heading', { name: 'Set up the provider' }).isVisible()).toBe(true);

        // Nothing entered: each field's error, in the summary and beside the field.
        await save(tab);
        await expectPage(tab, 'Sign in with your LA account', 400);
        expect(await errorSummary(tab)).toEqual([
          'Enter the issuer URL',
          'Enter the client ID (in Entra ID: the application (client) ID)',
          'Enter the client secret',
        ]);
        // Each summary link leads to its field (GOV.UK Frontend moves the focus there when it runs).
        expect(
          await tab.page
            .locator('.govuk-error-summary a')
            .evaluateAll((links) => links.map((a) => a.getAttribute('href'))),
        ).toEqual(['#issuer', '#clientId', '#clientSecret']);
        if (javaScript) {
          await tab.page.locator('.govuk-error-summary a').first().click();
          expect(await tab.page.evaluate(() => document.activeElement?.id)).toBe('issuer');
        }

        // Turned on at once: the connection is tested first, and it works.
        await tab.page.getByLabel('Issuer URL').fill(standIn.issuer);
        await tab.page.getByLabel('Client ID').fill(standIn.clientId);
        await tab.page.getByLabel('Client secret').fill(SECRET);
        await tab.page.getByLabel('Email address (email)').check();
        await tab.page.getByLabel('On', { exact: true }).check();
        await save(tab);
        await expectPage(tab, 'Sign in with your LA account');
        expect(await tab.page.locator('.govuk-notification-banner--success').innerText()).toContain(
          'Sign-in settings saved. The connection was tested and works.',
        );
        const summary = (await main(tab).locator('.govuk-summary-list').innerText()).replace(/\s+/g, ' ');
        expect(summary).toContain('Sign-in with the LA account On');
        expect(summary).toContain(`Issuer URL ${standIn.issuer}`);
        expect(summary).toMatch(/Last connection test .* Works/);
        expect(await tab.page.getByLabel('Client secret').inputValue()).toBe('');
        expect(await tab.page.content()).not.toContain(SECRET);
        expect(await tab.page.getByLabel('Email address (email)').isChecked()).toBe(true);

        await tab.navigate(() => main(tab).getByRole('button', { name: 'Test the connection' }).click());
        await expectPage(tab, 'Sign in with your LA account');
        expect(await tab.page.locator('.govuk-notification-banner--success').innerText()).toContain(
          'The connection works',
        );

        // Required needs a break-glass account; the secret is kept when left empty.
        await tab.page.getByLabel('Required', { exact: true }).check();
        await save(tab);
        await expectPage(tab, 'Sign in with your LA account', 400);
        expect(await errorSummary(tab)).toEqual([
          'Choose at least one break-glass account: when sign-in with the LA account is required, they can still sign in if the provider is down',
        ]);
        await tab.page.getByLabel('Bea Backup (bea.backup)').check();
        await tab.page.getByLabel('Also archive their Nexus account at once (reason: provisioning)').check();
        await save(tab);
        await expectPage(tab, 'Sign in with your LA account');
        expect((await main(tab).locator('.govuk-summary-list').innerText()).replace(/\s+/g, ' ')).toContain(
          'Sign-in with the LA account Required',
        );
        expect(await tab.page.getByLabel('Bea Backup (bea.backup)').isChecked()).toBe(true);
        expect(await tab.page.getByLabel('Ada Admin (ada.admin)').isChecked()).toBe(false);

        // Turned off and pointed at an address where nothing answers: saved without a test; the test then fails.
        const unreachable = `http://127.0.0.1:${await closedPort()}`;
        await tab.page.getByLabel('Issuer URL').fill(unreachable);
        await tab.page.getByLabel('Off', { exact: true }).check();
        await save(tab);
        await expectPage(tab, 'Sign in with your LA account');
        await tab.navigate(() => main(tab).getByRole('button', { name: 'Test the connection' }).click());
        await expectPage(tab, 'Sign in with your LA account');
        const problem = `Nexus could not read the provider’s discovery document at ${unreachable}/.well-known/openid-configuration: the connection was refused (nothing is listening at that address).`;
        expect((await tab.page.getByRole('alert').innerText()).replace(/\s+/g, ' ')).toContain(
          `The connection test failed ${problem}`,
        );
        expect((await main(tab).locator('.govuk-summary-list').innerText()).replace(/\s+/g, ' ')).toContain(
          `Failed ${problem}`,
        );

        await tab.page.getByLabel('Issuer URL').fill(standIn.issuer);
        await tab.page.getByLabel('Required', { exact: true }).check();
        await save(tab);
        await expectPage(tab, 'Sign in with your LA account');

        const row = await journey.db
          .selectFrom('la_identity_providers')
          .selectAll()
          .where('organisation_id', '=', organisationId)
          .executeTakeFirstOrThrow();
        expect(row).toMatchObject({
          enabled: true,
          required: true,
          archive_on_refusal: true,
          identifying_claim: 'email',
        });
        expect(row.client_secret_sealed).not.toContain(SECRET);
        expect(tab.problems).toEqual([]);
      },
      TIMEOUT,
    );
  });
}
