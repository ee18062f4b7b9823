import type { Browser } from 'playwright-core';
import { beforeAll, expect } from 'vitest';
import type { Config } from '../../src/config.ts';
import type { Db } from '../../src/data/database.ts';
import { ManualClock } from '../../src/domain/clock.ts';
import { generateTotp, TOTP_PERIOD_SECONDS } from '../../src/domain/totp.ts';
import { startServer, type Server } from '../../src/runtime.ts';
import { createAccount, createOrganisation, TEST_PASSWORD, type FixtureAccount } from '../../test/support/fixtures.ts';
import { unpackMigratedDatabase } from '../../test/support/migrated-data-dir.ts';
import { testConfig } from '../../test/support/test-app.ts';
import { closeAfterJourneys, JourneyTab, launchChromium } from './browser.ts';
import { SignInPage } from './pages/sign-in-page.ts';

/** A real server (PGlite in a temporary DATA_DIR, random port, ManualClock) and Chromium for a journey file. */
export interface Journey {
  config: Config;
  clock: ManualClock;
  server: Server;
  browser: Browser;
  db: Db;
  readonly tabs: JourneyTab[];
}

/** A journey server's settings: a temporary DATA_DIR holding the run's migrated database, a random port. */
export function journeyConfig(env: Record<string, string> = {}): Config {
  const config = testConfig({ PORT: '0', HOST: '127.0.0.1', ...env });
  unpackMigratedDatabase(config.dataDir);
  return config;
}

/**
 * Starts both before the file's tests (a file's own beforeAll, registered after this call, runs
 * after it and can seed data), and closes them, with every tab checked clean, after.
 */
export function useJourneyServer(options: { env?: () => Promise<Record<string, string>> } = {}): Journey {
  const journey = { tabs: [] as JourneyTab[] } as Journey;
  beforeAll(async () => {
    // `env`: settings of the file's own (passkeys need BASE_URL on localhost: a WebAuthn RP ID is a name, not an address).
    journey.config = journeyConfig(await options.env?.());
    journey.clock = new ManualClock(new Date());
    [journey.server, journey.browser] = await Promise.all([
      startServer(journey.config, { clock: journey.clock, log: false }),
      launchChromium(),
    ]);
    journey.db = journey.server.runtime.handle.db;
  }, 180_000);
  closeAfterJourneys(journey.tabs, () => ({
    browser: journey.browser,
    server: journey.server,
    dataDir: journey.config?.dataDir,
  }));
  return journey;
}

/** Northshire (931) and its administrator Ada, the starting point of most journeys; returns Ada. */
export async function seedNorthshireAdmin(
  journey: Journey,
): Promise<{ organisationId: number; admin: FixtureAccount }> {
  const organisationId = await createOrganisation(journey.db, '931', 'Northshire');
  const admin = await createAccount(journey.db, journey.config.secretKey, {
    organisationId,
    username: 'ada.admin',
    firstName: 'Ada',
    lastName: 'Admin',
    userType: 'la_admin',
  });
  return { organisationId, admin };
}

/** A new tab signed in as an enrolled fixture account (password, then a fresh TOTP code). */
export async function signedInTab(
  journey: Journey,
  account: FixtureAccount,
  name: string,
  javaScript: boolean,
): Promise<JourneyTab> {
  const tab = await JourneyTab.open(journey.browser, { baseUrl: journey.server.url, javaScript });
  journey.tabs.push(tab);
  journey.clock.advance(TOTP_PERIOD_SECONDS * 1000);
  const twoFactor = await (await SignInPage.open(tab)).signIn(account.username, TEST_PASSWORD);
  await twoFactor.enterCode(generateTotp(account.totpSecret!, journey.clock.now()), name);
  return tab;
}

/** The page the tab shows: its status and only <h1>, then axe. */
export async function expectPage(tab: JourneyTab, heading: string, status = 200): Promise<void> {
  expect(tab.documents.at(-1)?.status).toBe(status);
  expect(await tab.page.locator('h1').allInnerTexts()).toEqual([heading]);
  await tab.audit();
}
