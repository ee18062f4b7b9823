import { beforeAll, describe, expect, it } from 'vitest';
import { generateTotp, TOTP_PERIOD_SECONDS } from '../src/domain/totp.ts';
import { createAccount, TEST_PASSWORD, type FixtureAccount } from '../test/support/fixtures.ts';
import { JourneyTab } from './support/browser.ts';
import { expectPage, seedNorthshireAdmin, useJourneyServer } from './support/journey-server.ts';

/**
 * Back to where you were (issue 13, item 4), in Chromium with and without JavaScript: a page opened
 * while signed out (a digest's link, a bookmark) is where signing in lands; a GOV.UK-style warning
 * two minutes before the idle timeout offers "Stay signed in"; when time runs out the page goes to
 * sign in, which says why and comes back. Every page visited is checked by axe.
 */
const journey = useJourneyServer();
let ada: FixtureAccount;
let bea: FixtureAccount;

async function openTab(javaScript: boolean): Promise<JourneyTab> {
  const tab = await JourneyTab.open(journey.browser, { baseUrl: journey.server.url, javaScript });
  journey.tabs.push(tab);
  return tab;
}

/** Signs in on the sign-in page the tab shows (password, then a fresh code). */
async function signInHere(tab: JourneyTab, account: FixtureAccount): Promise<void> {
  await tab.page.getByLabel('Username', { exact: true }).fill(account.username);
  // The username first (R64: an LA's own sign-in may come next), then the password.
  await tab.navigate(() => tab.page.getByRole('button', { name: 'Continue' }).click());
  await expectPage(tab, 'Sign in');
  await tab.page.getByLabel('Password', { exact: true }).fill(TEST_PASSWORD);
  await tab.navigate(() => tab.page.getByRole('button', { name: 'Continue' }).click());
  await expectPage(tab, 'Enter your security code');
  journey.clock.advance(TOTP_PERIOD_SECONDS * 1000);
  await tab.page
    .getByLabel('Enter your security code', { exact: true })
    .fill(generateTotp(account.totpSecret!, journey.clock.now()));
  await tab.navigate(() => tab.page.getByRole('button', { name: 'Sign in' }).click());
}

beforeAll(async () => {
  const { organisationId, admin } = await seedNorthshireAdmin(journey);
  ada = admin;
  bea = await createAccount(journey.db, journey.config.secretKey, {
    organisationId,
    username: 'bea.brook',
    firstName: 'Bea',
    lastName: 'Brook',
  });
});

describe('signing in from a link lands on the page it opened', () => {
  it.each([true, false])('with JavaScript %s', async (javaScript) => {
    const tab = await openTab(javaScript);
    const target = `/admin/users/${bea.id}`;
    await tab.goto(`${target}?from=digest`);
    const signIn = new URL(tab.page.url());
    expect(signIn.pathname).toBe('/sign-in');
    expect(signIn.searchParams.get('returnTo')).toBe(`${target}?from=digest`);
    await expectPage(tab, 'Sign in');
    await signInHere(tab, ada);
    expect(new URL(tab.page.url()).pathname + new URL(tab.page.url()).search).toBe(`${target}?from=digest`);
    await expectPage(tab, 'Bea Brook');

    // Another site is never a destination: the same sign-in lands on Home.
    await tab.navigate(() => tab.page.getByRole('button', { name: 'Sign out' }).first().click());
    await expectPage(tab, 'Sign in');
    await tab.goto('/sign-in?returnTo=//evil.example/admin');
    await expectPage(tab, 'Sign in');
    await signInHere(tab, ada);
    expect(new URL(tab.page.url()).pathname).toBe('/');
    await tab.audit();
  });
});

describe('the session timeout warning', () => {
  it('opens two minutes before the idle timeout, keeps the session on "Stay signed in", and signs out when time runs out', async () => {
    const tab = await openTab(true);
    const started = journey.clock.now();
    await tab.page.clock.install({ time: started });
    await tab.goto(`/admin/users/${bea.id}`);
    await expectPage(tab, 'Sign in');
    await signInHere(tab, ada);
    await expectPage(tab, 'Bea Brook');
    const dialog = tab.page.getByRole('dialog', { name: 'You are about to be signed out' });
    expect(await dialog.isVisible()).toBe(false);

    const idle = journey.config.sessionIdleMinutes * 60_000;
    // One minute before the warning: nothing yet.
    await tab.page.clock.fastForward(idle - 180_000);
    expect(await dialog.isVisible()).toBe(false);
    await tab.page.clock.fastForward(61_000);
    await dialog.waitFor({ state: 'visible' });
    expect(await dialog.locator('#app-timeout-message').innerText()).toBe(
      'You have done nothing for a while. For your security, we will sign you out in 2 minutes. Anything you have not saved will be lost.',
    );
    expect(await tab.page.locator('#app-timeout-live').innerText()).toBe('We will sign you out in 2 minutes.');
    // Focus is in the dialog (a modal), and axe finds nothing with it open.
    expect(await tab.page.evaluate(() => document.activeElement?.closest('dialog')?.id)).toBe('app-timeout-warning');
    await tab.audit();

    // "Stay signed in" records a use of the session on the server and closes the warning.
    journey.clock.advance(idle - 120_000);
    const kept = tab.page.waitForResponse((r) => r.url().endsWith('/session/keep-alive'));
    await dialog.getByRole('button', { name: 'Stay signed in' }).click();
    expect((await kept).status()).toBe(200);
    await dialog.waitFor({ state: 'hidden' });
    // This tab's session is Ada's most recently used one (the journeys above left others).
    const session = await journey.db
      .selectFrom('sessions')
      .select('last_seen_at')
      .where('account_id', '=', ada.id)
      .where('stage', '=', 'signed_in')
      .orderBy('last_seen_at', 'desc')
      .executeTakeFirstOrThrow();
    expect(session.last_seen_at.getTime()).toBe(journey.clock.now().getTime());

    // Nothing more is done: the warning again, then signed out, and sign-in says why and comes back.
    journey.clock.advance(idle + 1000);
    await tab.page.clock.fastForward(idle - 115_000);
    await dialog.waitFor({ state: 'visible' });
    await tab.navigate(() => tab.page.clock.fastForward(125_000));
    const signIn = new URL(tab.page.url());
    expect(signIn.pathname).toBe('/sign-in');
    expect(signIn.searchParams.get('timedOut')).toBe('1');
    expect(signIn.searchParams.get('returnTo')).toBe(`/admin/users/${bea.id}`);
    await expectPage(tab, 'Sign in');
    expect(await tab.page.locator('.govuk-inset-text').innerText()).toBe(
      `You were signed out because you did nothing for ${journey.config.sessionIdleMinutes} minutes. Sign in again to carry on where you were.`,
    );
    await signInHere(tab, ada);
    expect(new URL(tab.page.url()).pathname).toBe(`/admin/users/${bea.id}`);
    await expectPage(tab, 'Bea Brook');
  });
});
