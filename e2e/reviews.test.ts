import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { Browser, Response } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../src/config.ts';
import type { Db } from '../src/data/database.ts';
import { addMonthsUtc } from '../src/domain/calendar.ts';
import { ManualClock } from '../src/domain/clock.ts';
import { privilegeLabel, typeDefaults } from '../src/domain/privileges.ts';
import { generateTotp, TOTP_PERIOD_SECONDS } from '../src/domain/totp.ts';
import { PROJECT_ROOT } from '../src/paths.ts';
import { startServer, type Server } from '../src/runtime.ts';
import { createAccount, createOrganisation, TEST_PASSWORD, type FixtureAccount } from '../test/support/fixtures.ts';
import { journeyConfig } from './support/journey-server.ts';
import { JourneyTab, launchChromium } from './support/browser.ts';
import { followNavigation } from './support/navigation.ts';
import { PLATFORM } from './support/pages/nexus-page.ts';
import { SignInPage } from './support/pages/sign-in-page.ts';

/**
 * An access review (issue 6, R49) of a seeded LA taken end to end in headless Chromium: start it,
 * filter, decide in bulk (archive two dormant accounts, keep four), change one account's
 * privileges, keep one, finish, then read the evidence page and CSV and the history. Every page
 * is checked on arrival (status, <h1>, <title>) and by axe (WCAG 2.2 AA); no page may log a
 * console error, a CSP violation or a failed request.
 */
const JOURNEY_TIMEOUT = 300_000;
const LA = 'Westshire';

let config: Config;
let clock: ManualClock;
let server: Server;
let db: Db;
let browser: Browser;
let tab: JourneyTab;
const tabs: JourneyTab[] = [];
let ada: FixtureAccount;

async function arrive(
  response: Response | null,
  expected: { path: RegExp; heading: string; status?: number; error?: boolean },
): Promise<void> {
  const { page } = tab;
  expect(new URL(page.url()).pathname).toMatch(expected.path);
  if (response) expect(response.status(), `status of ${page.url()}`).toBe(expected.status ?? 200);
  expect(await page.locator('h1').allInnerTexts()).toEqual([expected.heading]);
  expect(await page.title()).toMatch(new RegExp(`^${expected.error ? 'Error: ' : ''}.+ – ${PLATFORM}$`));
  await tab.audit();
}

const click = (role: 'link' | 'button', name: string) =>
  tab.navigate(() => tab.page.locator('main').getByRole(role, { name, exact: true }).first().click());

/** For a person to look at: .tmp/review-*.png. */
async function screenshot(name: string): Promise<void> {
  mkdirSync(path.join(PROJECT_ROOT, '.tmp'), { recursive: true });
  await tab.page.screenshot({ path: path.join(PROJECT_ROOT, '.tmp', `review-${name}.png`), fullPage: true });
}

async function signIn(javaScript: boolean): Promise<void> {
  tab = await JourneyTab.open(browser, { baseUrl: server.url, javaScript });
  tabs.push(tab);
  clock.advance(TOTP_PERIOD_SECONDS * 1000);
  const twoFactor = await (await SignInPage.open(tab)).signIn(ada.username, TEST_PASSWORD);
  await twoFactor.enterCode(generateTotp(ada.totpSecret!, clock.now()), 'Ada Admin');
}

async function statusOf(username: string) {
  return (await db.selectFrom('accounts').select('status').where('username', '=', username).executeTakeFirst())?.status;
}

beforeAll(async () => {
  config = journeyConfig();
  clock = new ManualClock(new Date());
  const now = clock.now();
  [server, browser] = await Promise.all([startServer(config, { clock, log: false }), launchChromium()]);
  db = server.runtime.handle.db;
  const la = await createOrganisation(db, '933', LA);
  const other = await createOrganisation(db, '934', 'Eastshire');
  const key = config.secretKey;
  const ago = (months: number) => addMonthsUtc(now, -months);
  ada = await createAccount(db, key, {
    organisationId: la,
    username: 'ada.admin',
    firstName: 'Ada',
    lastName: 'Admin',
    userType: 'la_admin',
    privileges: [...typeDefaults('la_admin'), 'cin_cla'],
    lastSignInAt: now,
  });
  await createAccount(db, key, {
    organisationId: la,
    username: 'ben.backup',
    firstName: 'Ben',
    lastName: 'Backup',
    userType: 'la_admin',
    lastSignInAt: ago(1),
  });
  await createAccount(db, key, {
    organisationId: la,
    username: 'carol.officer',
    firstName: 'Carol',
    lastName: 'Officer',
    userType: 'la_officer',
    lastSignInAt: ago(2),
  });
  await createAccount(db, key, {
    organisationId: la,
    username: 'dan.dormant',
    firstName: 'Dan',
    lastName: 'Dormant',
    userType: 'school_improvement',
    lastSignInAt: ago(14),
  });
  await createAccount(db, key, {
    organisationId: la,
    username: 'erin.never',
    firstName: 'Erin',
    lastName: 'Never',
    userType: 'commissioned',
    enrolled: false,
    password: null,
    createdAt: ago(20),
  });
  await createAccount(db, key, {
    organisationId: la,
    username: 'frank.virtual',
    firstName: 'Frank',
    lastName: 'Virtual',
    userType: 'virtual_school',
    lastSignInAt: ago(5),
  });
  await createAccount(db, key, {
    organisationId: la,
    username: 'ivy.plain',
    firstName: 'Ivy',
    lastName: 'Plain',
    userType: 'read_only',
    privileges: ['summary_reports', 'cin_cla'],
    lastSignInAt: ago(3),
  });
  await createAccount(db, key, {
    organisationId: la,
    username: 'jack.plain',
    firstName: 'Jack',
    lastName: 'Plain',
    userType: 'read_only',
    lastSignInAt: ago(7),
  });
  await createAccount(db, key, {
    organisationId: other,
    username: 'olive.other',
    firstName: 'Olive',
    lastName: 'Other',
    userType: 'la_admin',
    lastSignInAt: now,
  });
});

afterAll(async () => {
  for (const open of tabs) await open.close();
  await browser?.close();
  await server?.close();
  if (config) rmSync(config.dataDir, { recursive: true, force: true });
});

describe('an access review in the browser', () => {
  it(
    'is taken end to end: start, filter, bulk decisions, a change of privileges, finish, evidence',
    async () => {
      await signIn(true);

      // From the navigation to the list of reviews.
      let response = await followNavigation(tab, 'Access reviews');
      await arrive(response, { path: /^\/admin\/reviews$/, heading: 'Access reviews' });
      expect(await tab.page.locator('main').innerText()).toContain('There is no open review.');

      // Start one: an empty form is refused with GOV.UK errors first.
      response = await click('button', 'Start a review');
      await arrive(response, { path: /^\/admin\/reviews\/new$/, heading: 'Start an access review' });
      response = await click('button', 'Start review');
      await arrive(response, {
        path: /^\/admin\/reviews\/new$/,
        heading: 'Start an access review',
        status: 400,
        error: true,
      });
      expect(await tab.page.locator('.govuk-error-summary').innerText()).toContain('Enter a name for the review');
      await tab.page.getByLabel('Name of the review').fill('Spring term 2027');
      const due = new Date(clock.now().getTime() + 30 * 86_400_000).toISOString().slice(0, 10);
      await tab.page.getByLabel('Due date').fill(due);
      response = await click('button', 'Start review');
      await arrive(response, { path: /^\/admin\/reviews\/[0-9a-f-]{36}$/, heading: 'Spring term 2027' });
      const reviewPath = new URL(tab.page.url()).pathname;
      const main = tab.page.locator('main');
      expect(await main.innerText()).toContain('0 of 8 accounts decided');
      expect(await main.innerText()).toContain('Holds CiN/CLA access but Type of User is Read only');
      await screenshot('page');

      // Filter: not signed in for 12 months (the never-signed-in account counts from creation).
      await tab.page.getByLabel('Not signed in for at least').fill('12');
      response = await click('button', 'Apply filters');
      await arrive(response, { path: /^\/admin\/reviews\/[0-9a-f-]{36}$/, heading: 'Spring term 2027' });
      expect(await main.locator('input[name="items"]').count()).toBe(2);
      await tab.page.getByLabel('Select Dan Dormant (dan.dormant)').check();
      await tab.page.getByLabel('Select Erin Never (erin.never)').check();
      await tab.page.getByLabel('Note').fill('Not signed in for over a year; left the service');
      response = await click('button', 'Archive selected');
      await arrive(response, { path: /^\/admin\/reviews\/[0-9a-f-]{36}$/, heading: 'Spring term 2027' });
      expect(await tab.page.locator('.govuk-notification-banner').innerText()).toContain('2 accounts archived.');
      expect(new URL(tab.page.url()).searchParams.get('inactiveMonths')).toBe('12');
      expect([await statusOf('dan.dormant'), await statusOf('erin.never')]).toEqual(['archived', 'archived']);

      // Keep four in one go.
      response = await click('link', 'Clear filters');
      await arrive(response, { path: /^\/admin\/reviews\/[0-9a-f-]{36}$/, heading: 'Spring term 2027' });
      for (const name of [
        'Ben Backup (ben.backup)',
        'Frank Virtual (frank.virtual)',
        'Ivy Plain (ivy.plain)',
        'Jack Plain (jack.plain)',
      ]) {
        await tab.page.getByLabel(`Select ${name}`).check();
      }
      response = await click('button', 'Keep selected');
      await arrive(response, { path: /^\/admin\/reviews\/[0-9a-f-]{36}$/, heading: 'Spring term 2027' });
      expect(await tab.page.locator('.govuk-notification-banner').innerText()).toContain('4 accounts kept.');
      expect(await main.innerText()).toContain('6 of 8 accounts decided');

      // Carol no longer needs pupil-level access: change her privileges in place.
      response = await click('link', 'Carol Officer (carol.officer)');
      await arrive(response, { path: /\/items\/[0-9a-f-]{36}$/, heading: 'Carol Officer (carol.officer)' });
      for (const [legend, answer] of [
        ['Still employed', 'Yes'],
        ['Still in a post', 'Yes'],
        ['Is their pupil-level', 'No'],
        ['Is their CiN/CLA', 'Yes'],
      ] as const) {
        await tab.page
          .getByRole('group', { name: new RegExp(`^${legend.replace('/', '\\/')}`) })
          .getByLabel(answer, { exact: true })
          .check();
      }
      await screenshot('item');
      await tab.page.getByLabel('Change privileges').check();
      await tab.page.getByLabel('Type of User').selectOption({ label: 'Read only' });
      for (const p of ['view_users', 'pupil_level'] as const)
        await tab.page.getByLabel(privilegeLabel(p), { exact: true }).uncheck();
      await tab.page.getByLabel('Note', { exact: true }).fill('Moved to a school-level role');
      response = await click('button', 'Save decision');
      await arrive(response, { path: /^\/admin\/reviews\/[0-9a-f-]{36}$/, heading: 'Spring term 2027' });
      expect(await tab.page.locator('.govuk-notification-banner').innerText()).toContain(
        'Decision saved: Change privileges.',
      );
      const carol = await db
        .selectFrom('accounts')
        .select('id')
        .where('username', '=', 'carol.officer')
        .executeTakeFirstOrThrow();
      expect(
        (
          await db.selectFrom('account_privileges').select('privilege').where('account_id', '=', carol.id).execute()
        ).map((r) => r.privilege),
      ).toEqual(['summary_reports']);

      // Ada keeps her own account.
      response = await click('link', 'Ada Admin (ada.admin)');
      await arrive(response, { path: /\/items\/[0-9a-f-]{36}$/, heading: 'Ada Admin (ada.admin)' });
      for (const group of await tab.page.locator('main fieldset:has(.govuk-radios--inline)').all())
        await group.getByLabel('Yes', { exact: true }).check();
      await tab.page.getByLabel('Keep as it is').check();
      response = await click('button', 'Save decision');
      await arrive(response, { path: /^\/admin\/reviews\/[0-9a-f-]{36}$/, heading: 'Spring term 2027' });
      expect(await main.innerText()).toContain('8 of 8 accounts decided');

      // Finish, then the review is a frozen record with its evidence.
      response = await click('button', 'Finish the review');
      await arrive(response, { path: /\/finish$/, heading: 'Finish the review' });
      response = await click('button', 'Finish review');
      await arrive(response, { path: /^\/admin\/reviews\/[0-9a-f-]{36}$/, heading: 'Spring term 2027' });
      expect(await tab.page.locator('.govuk-notification-banner').innerText()).toContain('Review finished.');
      expect(await main.locator('input[name="items"]').count()).toBe(0);
      response = await click('button', 'View evidence');
      await arrive(response, { path: /\/evidence$/, heading: 'Access review evidence: Spring term 2027' });
      expect(await main.innerText()).toContain('Moved to a school-level role');
      await screenshot('evidence');

      const csv = await tab.context.request.get(new URL(`${reviewPath}/evidence.csv`, server.url).toString());
      expect(csv.status()).toBe(200);
      const lines = (await csv.text())
        .replace(/^\uFEFF/, '')
        .trim()
        .split('\r\n');
      expect(lines).toHaveLength(9);
      // Decisions in words; the bulk ones say so, with the four questions marked as not asked.
      const unasked = Array(4).fill('Not asked (decided in bulk)').join(',');
      expect(lines.filter((l) => l.includes(`,${unasked},Archived in bulk,`))).toHaveLength(2);
      expect(lines.filter((l) => l.includes(`,${unasked},Kept in bulk,`))).toHaveLength(4);
      expect(lines.filter((l) => l.includes(',Yes,Yes,Yes,Yes,Kept,'))).toHaveLength(1);
      expect(lines.find((l) => l.includes('carol.officer'))).toContain(
        ',Yes,Yes,No,Yes,Privileges changed,Read only,Access to summary (school-level) reports,Moved to a school-level role,',
      );

      response = await tab.goto('/admin/reviews');
      await arrive(response, { path: /^\/admin\/reviews$/, heading: 'Access reviews' });
      expect(await main.locator('table').innerText()).toContain('Spring term 2027');
      expect(tab.problems).toEqual([]);
      expect(tab.unauditedDocuments()).toEqual([]);
    },
    JOURNEY_TIMEOUT,
  );

  it(
    'works without JavaScript: a second review, a bulk keep, a refused bulk archive, an item page',
    async () => {
      await signIn(false);
      let response = await tab.goto('/admin/reviews');
      await arrive(response, { path: /^\/admin\/reviews$/, heading: 'Access reviews' });
      response = await click('button', 'Start a review');
      await arrive(response, { path: /^\/admin\/reviews\/new$/, heading: 'Start an access review' });
      await tab.page.getByLabel('Name of the review').fill('Summer term 2027');
      await tab.page
        .getByLabel('Due date')
        .fill(new Date(clock.now().getTime() + 60 * 86_400_000).toISOString().slice(0, 10));
      response = await click('button', 'Start review');
      await arrive(response, { path: /^\/admin\/reviews\/[0-9a-f-]{36}$/, heading: 'Summer term 2027' });
      // Six active accounts are left after the first review archived two.
      expect(await tab.page.locator('main').innerText()).toContain('0 of 6 accounts decided');

      // Archiving herself with someone else is refused as a whole: nothing is saved.
      await tab.page.getByLabel('Select Ada Admin (ada.admin)').check();
      await tab.page.getByLabel('Select Jack Plain (jack.plain)').check();
      await tab.page.getByLabel('Note').fill('Tidy up');
      response = await click('button', 'Archive selected');
      await arrive(response, { path: /\/bulk$/, heading: 'Summer term 2027', status: 409, error: true });
      expect(await tab.page.locator('.govuk-error-summary').innerText()).toContain(
        'You cannot archive your own account',
      );
      expect(await statusOf('jack.plain')).toBe('active');

      response = await tab.goto(new URL(tab.page.url()).pathname.replace(/\/bulk$/, ''));
      await arrive(response, { path: /^\/admin\/reviews\/[0-9a-f-]{36}$/, heading: 'Summer term 2027' });
      await tab.page.getByLabel('Select Ben Backup (ben.backup)').check();
      await tab.page.getByLabel('Select Jack Plain (jack.plain)').check();
      response = await click('button', 'Keep selected');
      await arrive(response, { path: /^\/admin\/reviews\/[0-9a-f-]{36}$/, heading: 'Summer term 2027' });
      expect(await tab.page.locator('.govuk-notification-banner').innerText()).toContain('2 accounts kept.');

      response = await click('link', 'Ivy Plain (ivy.plain)');
      await arrive(response, { path: /\/items\/[0-9a-f-]{36}$/, heading: 'Ivy Plain (ivy.plain)' });
      response = await click('button', 'Save decision');
      await arrive(response, {
        path: /\/items\/[0-9a-f-]{36}$/,
        heading: 'Ivy Plain (ivy.plain)',
        status: 400,
        error: true,
      });
      expect(await tab.page.locator('.govuk-error-summary').innerText()).toContain(
        'Select what to do with this account',
      );
      expect(tab.problems).toEqual([]);
      expect(tab.unauditedDocuments()).toEqual([]);
    },
    JOURNEY_TIMEOUT,
  );
});
