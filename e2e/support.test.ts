import type { Browser } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../src/config.ts';
import { giasExtractBytes } from '../src/demo/gias-extract.ts';
import { ManualClock } from '../src/domain/clock.ts';
import { generateTotp, TOTP_PERIOD_SECONDS } from '../src/domain/totp.ts';
import { startServer, type Server } from '../src/runtime.ts';
import { SYSTEM_CONTEXT } from '../src/services/request-context.ts';
import { createAccount, createOrganisation, TEST_PASSWORD, type FixtureAccount } from '../test/support/fixtures.ts';
import { testConfig } from '../test/support/test-app.ts';
import { closeAfterJourneys, JourneyTab, launchChromium } from './support/browser.ts';
import { SchoolImportsPage, SignInPage } from './support/pages.ts';

/**
 * Central support's School imports page in headless Chromium: checked on arrival and by axe
 * (WCAG 2.2 AA), with JavaScript on and off, after two imports (one with a skipped row).
 */

let config: Config;
let clock: ManualClock;
let server: Server;
let browser: Browser;
let support: FixtureAccount;
const tabs: JourneyTab[] = [];

beforeAll(async () => {
  config = testConfig({ PORT: '0', HOST: '127.0.0.1' });
  clock = new ManualClock(new Date());
  [server, browser] = await Promise.all([startServer(config, { clock, log: false }), launchChromium()]);
  const db = server.runtime.handle.db;
  const central = await createOrganisation(db, 'central', 'NCER Support');
  support = await createAccount(db, config.secretKey, { organisationId: central, username: 'support', userType: 'support', firstName: 'Sam', lastName: 'Support' });
  const operator = { kind: 'system', label: 'command line' } as const;
  const rows = [
    { urn: 100001, name: 'St Anne’s Primary School', laCode: '202', laName: 'Camden', phase: 'Primary', status: 'Open' },
    { urn: 100002, name: 'Birch School', laCode: '202', laName: 'Camden', phase: 'Secondary', status: 'Closed' },
  ];
  await server.runtime.services.schoolImports.importFile(operator, { name: 'first.csv', bytes: giasExtractBytes(rows) }, SYSTEM_CONTEXT);
  await server.runtime.services.schoolImports.importFile(operator, {
    name: 'second.csv', bytes: giasExtractBytes([...rows, { urn: 100003, name: 'Cedar', laCode: 'XX', laName: 'Camden', phase: 'Primary', status: 'Open' }]),
  }, SYSTEM_CONTEXT);
}, 180_000);

closeAfterJourneys(tabs, () => ({ browser, server, dataDir: config?.dataDir }));

describe('School imports (central support)', () => {
  for (const javaScript of [true, false]) {
    it(`shows the last import, its problems and earlier imports, JavaScript ${javaScript ? 'on' : 'off'}`, async () => {
      const tab = await JourneyTab.open(browser, { baseUrl: server.url, javaScript });
      tabs.push(tab);
      clock.advance(TOTP_PERIOD_SECONDS * 1000);
      const twoFactor = await (await SignInPage.open(tab)).signIn(support.username, TEST_PASSWORD);
      await twoFactor.enterCode(generateTotp(support.totpSecret!, clock.now()), 'Sam Support');
      const page = await SchoolImportsPage.open(tab);
      expect(await page.lastImport()).toMatchObject({ File: 'second.csv', 'Rows skipped': '1', Schools: '0 created, 0 updated, 0 closed, 2 unchanged' });
      expect(await page.page.locator('main').innerText()).toContain('URN 100003: "XX" is not a three-digit LA code');
      expect(await page.page.locator('main').innerText()).toContain('first.csv');
    }, 180_000);
  }
});
