import type { CDPSession } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { generateTotp, TOTP_PERIOD_SECONDS } from '../src/domain/totp.ts';
import { createAccount, TEST_PASSWORD, type FixtureAccount } from '../test/support/fixtures.ts';
import { JourneyTab } from './support/browser.ts';
import { onLocalhost } from './support/localhost.ts';
import { expectPage, seedNorthshireAdmin, useJourneyServer } from './support/journey-server.ts';
import { HomePage } from './support/pages/home-page.ts';
import { MyAccountPage } from './support/pages/my-account-page.ts';
import { PasskeysPage } from './support/pages/passkeys-page.ts';
import { SignInPage } from './support/pages/sign-in-page.ts';

/**
 * Passkeys in Chromium (issue 15 item 5, R65), with the browser's own WebAuthn and a virtual
 * authenticator of the DevTools protocol (CTAP2, built in, resident keys, user verification): add
 * one on My account, sign in with it instead of the code, see when it was last used, remove it.
 * Without JavaScript both pages say plainly that passkeys need it, and the code still signs in.
 * axe and the Nu checker judge every page (tab.audit through the page objects).
 */

const journey = useJourneyServer({ env: onLocalhost });
let pat: FixtureAccount;

beforeAll(async () => {
  const { organisationId } = await seedNorthshireAdmin(journey);
  pat = await createAccount(journey.db, journey.config.secretKey, {
    organisationId,
    username: 'pat.person',
    firstName: 'Pat',
    lastName: 'Person',
  });
});

async function openTab(javaScript: boolean): Promise<JourneyTab> {
  const tab = await JourneyTab.open(journey.browser, { baseUrl: journey.config.baseUrl, javaScript });
  journey.tabs.push(tab);
  return tab;
}

/** Chromium's virtual authenticator for this tab: a platform authenticator that verifies its user. */
async function virtualAuthenticator(tab: JourneyTab): Promise<{ cdp: CDPSession; authenticatorId: string }> {
  const cdp = await tab.context.newCDPSession(tab.page);
  await cdp.send('WebAuthn.enable', { enableUI: false });
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2',
      transport: 'internal',
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  });
  return { cdp, authenticatorId };
}

async function signInWithCode(tab: JourneyTab): Promise<void> {
  journey.clock.advance(TOTP_PERIOD_SECONDS * 1000);
  const twoFactor = await (await SignInPage.open(tab)).signIn(pat.username, TEST_PASSWORD);
  await twoFactor.enterCode(generateTotp(pat.totpSecret!, journey.clock.now()), 'Pat Person');
}

describe('passkeys with JavaScript', () => {
  it('adds a passkey on My account and signs in with it as the second step; then removes it', async () => {
    const tab = await openTab(true);
    const { cdp, authenticatorId } = await virtualAuthenticator(tab);
    await signInWithCode(tab);

    await tab.goto('/my-account');
    const myAccount = await new MyAccountPage(tab).expectOn();
    expect((await myAccount.summary()).Passkeys).toBe('None');
    let passkeys = await PasskeysPage.open(tab);
    expect(await passkeys.page.getByText('Adding a passkey needs JavaScript').isVisible()).toBe(false);
    passkeys = await passkeys.add('Work laptop');
    expect(await passkeys.notification()).toContain('Passkey “Work laptop” added.');
    const added = journey.clock
      .now()
      .toLocaleDateString('en-GB', { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'Europe/London' });
    expect(await passkeys.rows()).toEqual([['Work laptop', added, 'Not used yet']]);
    // The authenticator holds it as a resident key for this site, made with user verification.
    const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
    expect(credentials).toHaveLength(1);
    expect(credentials[0]).toMatchObject({ isResidentCredential: true, rpId: 'localhost' });

    // Sign out, then in: password, then "Use a passkey" instead of the code.
    await tab.navigate(() => tab.page.getByRole('button', { name: 'Sign out' }).first().click());
    await expectPage(tab, 'Sign in');
    journey.clock.advance(60_000);
    await (await SignInPage.open(tab)).signIn(pat.username, TEST_PASSWORD);
    expect(await tab.page.getByText('Using a passkey needs JavaScript').isVisible()).toBe(false);
    await tab.navigate(() => tab.page.getByRole('button', { name: 'Use a passkey' }).click());
    await new HomePage(tab).expectOn('Pat Person');
    expect((await cdp.send('WebAuthn.getCredentials', { authenticatorId })).credentials[0]!.signCount).toBeGreaterThan(
      0,
    );

    passkeys = await PasskeysPage.open(tab);
    expect((await passkeys.rows())[0]![2]).toBe(added);
    passkeys = await passkeys.remove('Work laptop');
    expect(await passkeys.notification()).toContain('Passkey “Work laptop” removed.');
    expect(await passkeys.rows()).toEqual([]);

    // Without a passkey the two-factor page offers only the code.
    await tab.navigate(() => tab.page.getByRole('button', { name: 'Sign out' }).first().click());
    await expectPage(tab, 'Sign in');
    await (await SignInPage.open(tab)).signIn(pat.username, TEST_PASSWORD);
    expect(await tab.page.getByRole('button', { name: 'Use a passkey' }).count()).toBe(0);
  });
});

describe('a passkey alone, where the LA allows it', () => {
  it('the sign-in page offers it only then, and it signs in without username, password or code', async () => {
    const tab = await openTab(true);
    await virtualAuthenticator(tab);
    await signInWithCode(tab);
    await (await PasskeysPage.open(tab)).add('Desk key');
    await tab.navigate(() => tab.page.getByRole('button', { name: 'Sign out' }).first().click());
    await expectPage(tab, 'Sign in');
    expect(await tab.page.getByRole('button', { name: 'Sign in with a passkey' }).count()).toBe(0);

    // Northshire's administrators turn it on (their page is tested in test/db/passkey-sign-in.test.ts).
    await journey.db
      .updateTable('organisations')
      .set({ passkey_sign_in: true })
      .where('la_code', 'is not', null)
      .execute();
    try {
      const signIn = await SignInPage.open(tab);
      expect(await signIn.page.getByText('Signing in with a passkey needs JavaScript').isVisible()).toBe(false);
      await tab.navigate(() => tab.page.getByRole('button', { name: 'Sign in with a passkey' }).click());
      await new HomePage(tab).expectOn('Pat Person');
      const events = await journey.db
        .selectFrom('audit_events')
        .select('details')
        .where('subject_account_id', '=', pat.id)
        .where('action', '=', 'sign-in.succeeded')
        .execute();
      expect(events.map((e) => e.details)).toContainEqual({ passkey: 'Desk key', passwordless: true });

      // Without JavaScript the sign-in page says what to do instead.
      const plain = await openTab(false);
      const page = await SignInPage.open(plain);
      expect(
        await page.page.getByText('Signing in with a passkey needs JavaScript, which is turned off').isVisible(),
      ).toBe(true);
      expect(await page.page.getByRole('button', { name: 'Sign in with a passkey' }).isVisible()).toBe(false);
    } finally {
      await journey.db.updateTable('organisations').set({ passkey_sign_in: false }).execute();
      await journey.db.deleteFrom('passkeys').where('account_id', '=', pat.id).execute();
    }
  });
});

describe('passkeys without JavaScript', () => {
  it('My account and the two-factor page say passkeys need JavaScript; the code signs in', async () => {
    // Pat has a passkey again (added with JavaScript), so the two-factor page would offer it.
    const withScript = await openTab(true);
    await virtualAuthenticator(withScript);
    await signInWithCode(withScript);
    await (await PasskeysPage.open(withScript)).add('Phone');

    const tab = await openTab(false);
    await signInWithCode(tab);
    const passkeys = await PasskeysPage.open(tab);
    expect(await passkeys.page.getByText('Adding a passkey needs JavaScript, which is turned off').isVisible()).toBe(
      true,
    );
    expect(await passkeys.page.getByRole('button', { name: 'Add a passkey' }).isVisible()).toBe(false);
    expect(await passkeys.rows()).toEqual([['Phone', expect.any(String), 'Not used yet']]);

    await tab.navigate(() => tab.page.getByRole('button', { name: 'Sign out' }).first().click());
    await expectPage(tab, 'Sign in');
    journey.clock.advance(TOTP_PERIOD_SECONDS * 1000);
    const twoFactor = await (await SignInPage.open(tab)).signIn(pat.username, TEST_PASSWORD);
    expect(await tab.page.getByText('Using a passkey needs JavaScript, which is turned off').isVisible()).toBe(true);
    expect(await tab.page.getByRole('button', { name: 'Use a passkey' }).isVisible()).toBe(false);
    await twoFactor.enterCode(generateTotp(pat.totpSecret!, journey.clock.now()), 'Pat Person');
  });
});
