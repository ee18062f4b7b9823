import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../src/config.ts';
import type { Db } from '../src/data/database.ts';
import { ManualClock } from '../src/domain/clock.ts';
import { GENERIC_SIGN_IN_FAILURE } from '../src/domain/errors.ts';
import { privilegeLabel, typeDefaults } from '../src/domain/privileges.ts';
import { generateTotp, TOTP_PERIOD_SECONDS } from '../src/domain/totp.ts';
import { PROJECT_ROOT } from '../src/paths.ts';
import { startServer, type Server } from '../src/runtime.ts';
import { createAccount, createOrganisation, TEST_PASSWORD, type FixtureAccount } from '../test/support/fixtures.ts';
import { journeyConfig } from './support/journey-server.ts';
import { JourneyTab, launchChromium } from './support/browser.ts';
import { ChooseNewPasswordPage } from './support/pages/choose-new-password-page.ts';
import { LinkExpiredPage } from './support/pages/link-expired-page.ts';
import type { NexusPage } from './support/pages/nexus-page.ts';
import { NotFoundPage } from './support/pages/not-found-page.ts';
import { SignInPage } from './support/pages/sign-in-page.ts';

/**
 * The sign-in journey of issue 2 in headless Chromium against a real server (PGlite in a
 * temporary DATA_DIR, random port), with and without JavaScript. Every page visited is checked
 * by axe (WCAG 2.2 AA) and must log no console error, CSP violation or failed request.
 *
 * The server runs on a ManualClock: TOTP codes are computed for the clock's time, and the
 * clock moves one 30-second step before each code (a code cannot be used twice in its step).
 */
const SCREENSHOTS = path.join(PROJECT_ROOT, '.tmp');
const LA_NAME = 'Northshire';
const LA_CODE = '931';
const OFFICER_PRIVILEGES = typeDefaults('la_officer').map(privilegeLabel);

let config: Config;
let clock: ManualClock;
let server: Server;
let db: Db;
let browser: Browser;
let fiona: FixtureAccount;
let sam: FixtureAccount;
const tabs: JourneyTab[] = [];

/** Moves the server's clock to the next TOTP step and returns the code for it. */
function nextCode(secret: string): string {
  clock.advance(TOTP_PERIOD_SECONDS * 1000);
  return generateTotp(secret, clock.now());
}

async function openTab(javaScript: boolean): Promise<JourneyTab> {
  const tab = await JourneyTab.open(browser, { baseUrl: server.url, javaScript });
  tabs.push(tab);
  return tab;
}

async function screenshot(page: NexusPage, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

beforeAll(async () => {
  config = journeyConfig();
  clock = new ManualClock(new Date());
  [server, browser] = await Promise.all([startServer(config, { clock, log: false }), launchChromium()]);
  db = server.runtime.handle.db;
  const la = await createOrganisation(db, LA_CODE, LA_NAME);
  await createAccount(db, config.secretKey, {
    organisationId: la,
    username: 'ada.admin',
    userType: 'la_admin',
    firstName: 'Ada',
    lastName: 'Admin',
  });
  fiona = await createAccount(db, config.secretKey, {
    organisationId: la,
    username: 'fiona.marsh',
    firstName: 'Fiona',
    lastName: 'Marsh',
    enrolled: false,
  });
  sam = await createAccount(db, config.secretKey, {
    organisationId: la,
    username: 'sam.okafor',
    firstName: 'Sam',
    lastName: 'Okafor',
    enrolled: false,
  });
});

afterEach(async () => {
  // Every tab of the test: every page it loaded was audited, and nothing went wrong in it.
  for (const tab of tabs.splice(0)) {
    const problems = tab.problems.map((p) => `${p.kind}: ${p.text}`);
    const unaudited = tab.unauditedDocuments();
    await tab.close();
    expect(problems, 'console errors, CSP violations, failed requests').toEqual([]);
    expect(unaudited, 'pages loaded but not audited').toEqual([]);
  }
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
  if (config) rmSync(config.dataDir, { recursive: true, force: true });
});

describe('sign-in in the browser', () => {
  it('with JavaScript: a refused sign-in, 2FA set-up on the first sign-in, My account, sign out, then a code on the second', async () => {
    const tab = await openTab(true);

    // A refused sign-in: GOV.UK error summary, which takes focus; its link focuses the field.
    let signIn = await SignInPage.open(tab);
    signIn = await signIn.signInRefused(fiona.username, 'not-the-password');
    expect(await signIn.errorSummary.isVisible()).toBe(true);
    expect(await signIn.errorSummaryItems()).toEqual([GENERIC_SIGN_IN_FAILURE]);
    expect(await signIn.fieldError('username')).toBe(GENERIC_SIGN_IN_FAILURE);
    await expect.poll(() => signIn.focused()).toContain('govuk-error-summary');
    await signIn.errorSummary.getByRole('link', { name: GENERIC_SIGN_IN_FAILURE }).click();
    await expect.poll(() => signIn.focused()).toBe('username');

    // First sign-in: set up two-factor authentication with the key shown beneath the QR code.
    const setup = await signIn.signInFirstTime(fiona.username, TEST_PASSWORD);
    expect(await setup.qrCode.isVisible()).toBe(true);
    const qrBox = await setup.qrCode.boundingBox();
    expect(qrBox!.width).toBeGreaterThanOrEqual(150);
    expect(qrBox!.height).toBeGreaterThanOrEqual(150);
    const key = await setup.key();
    expect(key).toMatch(/^[A-Z2-7]{32}$/);
    await screenshot(setup, 'two-factor-setup');
    const setupCode = nextCode(key);
    let home = await setup.confirm(setupCode, 'Fiona Marsh');

    // Home: who you are, your LA, your privileges.
    expect(await home.notification()).toBe(
      'Two-factor authentication is set up. You will need a code from your app each time you sign in.',
    );
    expect(await home.signedInAs()).toEqual({ name: 'Fiona Marsh', la: LA_NAME });
    const navigation = await home.navigation();
    expect(navigation[0]).toBe('Home');
    expect(navigation).toContain('My account');
    expect(await home.summary()).toMatchObject({
      Username: 'fiona.marsh',
      'Local Authority': `${LA_NAME} (${LA_CODE})`,
      'Type of User': 'LA Officer / Analyst',
      Email: 'fiona.marsh@example.gov.uk',
    });
    expect(await home.privileges()).toEqual(OFFICER_PRIVILEGES);
    await screenshot(home, 'home');

    const myAccount = await home.openMyAccount();
    const details = await myAccount.summary();
    expect(details).toMatchObject({ Name: 'Fiona Marsh', Username: 'fiona.marsh', 'Local Authority': LA_NAME });
    expect(details['Two-factor authentication']).toMatch(/^Set up on \d{1,2} \w+ \d{4}$/);
    expect(details['Privileges']).toBe(OFFICER_PRIVILEGES.join(', '));

    signIn = await myAccount.signOut();
    expect(await signIn.notification()).toBe('You have signed out.');
    // The session ended on the server: the home page sends us to sign in.
    await tab.goto('/');
    signIn = await new SignInPage(tab).expectOn();

    // Second sign-in: the code used at set-up is refused (same step window), a fresh one works.
    let twoFactor = await signIn.signIn('Fiona.Marsh', TEST_PASSWORD);
    twoFactor = await twoFactor.enterCodeRefused(setupCode);
    expect(await twoFactor.errorSummaryItems()).toEqual([GENERIC_SIGN_IN_FAILURE]);
    await expect.poll(() => twoFactor.focused()).toContain('govuk-error-summary');
    home = await twoFactor.enterCode(nextCode(key), 'Fiona Marsh');
    expect(await home.notification()).toBeNull();
    expect(await home.signedInAs()).toEqual({ name: 'Fiona Marsh', la: LA_NAME });
    await home.signOut();
  });

  it('without JavaScript: the same journey works with plain forms', async () => {
    const tab = await openTab(false);

    let signIn = await SignInPage.open(tab);
    signIn = await signIn.signInRefused(sam.username, 'not-the-password');
    expect(await signIn.errorSummary.isVisible()).toBe(true);
    expect(await signIn.errorSummaryItems()).toEqual([GENERIC_SIGN_IN_FAILURE]);

    const setup = await signIn.signInFirstTime(sam.username, TEST_PASSWORD);
    expect(await setup.qrCode.isVisible()).toBe(true);
    const key = await setup.key();
    let home = await setup.confirm(nextCode(key), 'Sam Okafor');
    expect(await home.signedInAs()).toEqual({ name: 'Sam Okafor', la: LA_NAME });
    expect(await home.privileges()).toEqual(OFFICER_PRIVILEGES);

    const myAccount = await home.openMyAccount();
    expect((await myAccount.summary())['Two-factor authentication']).toMatch(/^Set up on /);
    signIn = await myAccount.signOut();
    expect(await signIn.notification()).toBe('You have signed out.');

    const twoFactor = await signIn.signIn(sam.username, TEST_PASSWORD);
    home = await twoFactor.enterCode(nextCode(key), 'Sam Okafor');
    await home.signOut();
  });

  it('forgotten password, its confirmation, an expired reset link and the 404 page', async () => {
    const tab = await openTab(true);

    const signIn = await SignInPage.open(tab);
    const forgot = await signIn.forgottenPassword();
    await forgot.requestLink(fiona.username);

    // The reset link from the email in the outbox: usable now, expired after its lifetime.
    const email = await db
      .selectFrom('email_outbox')
      .select(['text_body'])
      .where('account_id', '=', fiona.id)
      .orderBy('created_at', 'desc')
      .executeTakeFirstOrThrow();
    const link = /\/reset-password\/[A-Za-z0-9_-]+/.exec(email.text_body)?.[0];
    expect(link, 'reset link in the email').toBeDefined();
    await ChooseNewPasswordPage.open(tab, link!);
    clock.advance((config.passwordResetMinutes + 1) * 60_000);
    await LinkExpiredPage.open(tab, link!);

    await NotFoundPage.open(tab, '/no-such-page');
  });
});
