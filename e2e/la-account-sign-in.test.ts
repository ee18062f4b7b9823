import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateTotp, TOTP_PERIOD_SECONDS } from '../src/domain/totp.ts';
import { SecretBox } from '../src/services/sign-in/secrets.ts';
import { createAccount, type FixtureAccount } from '../test/support/fixtures.ts';
import { startLaProvider, type LaProvider } from '../test/support/la-provider.ts';
import { JourneyTab } from './support/browser.ts';
import { onLocalhost } from './support/localhost.ts';
import { expectPage, seedNorthshireAdmin, useJourneyServer } from './support/journey-server.ts';
import { TwoFactorPage } from './support/pages/two-factor-page.ts';

/**
 * Signing in with the LA's own account in Chromium (issue 15 items 2–4, R64), JavaScript on and
 * off: the username first, "Sign in with your Northshire account", the provider's own sign-in
 * page (panva's oidc-provider as Northshire's Entra ID, with its own people), back to Nexus for
 * the two-factor code (the provider did not assert mfa), Home; a person the provider has disabled
 * is refused with the page naming Northshire's administrators. axe, the Nu checker and the 375 px
 * check judge every page, the provider's included (expectPage → tab.audit).
 */
const TIMEOUT = 240_000;

const journey = useJourneyServer({ env: onLocalhost });
let olu: FixtureAccount;
let lee: FixtureAccount;
let idp: LaProvider;

beforeAll(async () => {
  const { organisationId } = await seedNorthshireAdmin(journey);
  olu = await createAccount(journey.db, journey.config.secretKey, {
    organisationId,
    username: 'olu.officer@northshire.gov.uk',
    firstName: 'Olu',
    lastName: 'Officer',
  });
  lee = await createAccount(journey.db, journey.config.secretKey, {
    organisationId,
    username: 'lee.leaver@northshire.gov.uk',
    firstName: 'Lee',
    lastName: 'Leaver',
  });
  idp = await startLaProvider({
    redirectUri: `${journey.config.baseUrl}/sign-in/la-account/callback`,
    people: [
      { sub: 'sub-olu', password: 'olu-pw', preferred_username: olu.username },
      { sub: 'sub-lee', password: 'lee-pw', preferred_username: lee.username, disabled: true },
    ],
  });
  const now = journey.clock.now();
  await journey.db
    .insertInto('la_identity_providers')
    .values({
      organisation_id: organisationId,
      issuer: idp.issuer,
      client_id: idp.clientId,
      client_secret_sealed: new SecretBox(journey.config.secretKey).seal(idp.clientSecret),
      enabled: true,
      created_at: now,
      updated_at: now,
    })
    .execute();
});
afterAll(async () => idp?.close());

async function openTab(javaScript: boolean): Promise<JourneyTab> {
  const tab = await JourneyTab.open(journey.browser, { baseUrl: journey.config.baseUrl, javaScript });
  journey.tabs.push(tab);
  return tab;
}

const main = (tab: JourneyTab) => tab.page.locator('main');
const press = (tab: JourneyTab, name: string) =>
  tab.navigate(() => main(tab).getByRole('button', { name, exact: true }).click());

/** The username step, then "Sign in with your Northshire account", then the provider's own page. */
async function toProviderPage(tab: JourneyTab, username: string): Promise<void> {
  await tab.goto('/sign-in');
  await expectPage(tab, 'Sign in');
  expect(await main(tab).getByLabel('Password', { exact: true }).count()).toBe(0);
  await main(tab).getByLabel('Username', { exact: true }).fill(username);
  await press(tab, 'Continue');
  await expectPage(tab, 'Sign in');
  expect(await main(tab).getByLabel('Password', { exact: true }).isVisible()).toBe(true);
  await press(tab, 'Sign in with your Northshire account');
  expect(new URL(tab.page.url()).origin).toBe(idp.issuer);
  await expectPage(tab, 'Sign in to your organisation');
}

async function signInAtProvider(tab: JourneyTab, login: string, password: string): Promise<void> {
  await main(tab).getByLabel('Email or user name').fill(login);
  await main(tab).getByLabel('Password').fill(password);
  await press(tab, 'Sign in');
}

for (const javaScript of [true, false]) {
  describe(`Signing in with the LA account, JavaScript ${javaScript ? 'on' : 'off'}`, () => {
    it(
      'goes through the provider’s own page and back for the two-factor code, to Home',
      async () => {
        const tab = await openTab(javaScript);
        await toProviderPage(tab, olu.username);
        await signInAtProvider(tab, olu.username, 'olu-pw');
        const twoFactor = await new TwoFactorPage(tab).expectOn();
        journey.clock.advance(TOTP_PERIOD_SECONDS * 1000);
        const home = await twoFactor.enterCode(generateTotp(olu.totpSecret!, journey.clock.now()), 'Olu Officer');
        expect(await home.signedInAs()).toEqual({ name: 'Olu Officer', la: 'Northshire' });
      },
      TIMEOUT,
    );

    it(
      'refuses a person the provider has disabled, naming Northshire’s administrators',
      async () => {
        const tab = await openTab(javaScript);
        await toProviderPage(tab, lee.username);
        await signInAtProvider(tab, lee.username, 'lee-pw');
        await expectPage(tab, 'Your Northshire account was refused', 403);
        expect(await main(tab).innerText()).toContain('Administrators of Northshire');
        expect(await main(tab).getByRole('link', { name: 'ada.admin@example.gov.uk' }).isVisible()).toBe(true);
      },
      TIMEOUT,
    );
  });
}
