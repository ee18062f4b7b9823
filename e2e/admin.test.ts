import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../src/config.ts';
import type { Db } from '../src/data/database.ts';
import { addMonthsUtc } from '../src/domain/calendar.ts';
import { ManualClock } from '../src/domain/clock.ts';
import { privilegeLabel, typeDefaults, type Privilege } from '../src/domain/privileges.ts';
import { generateTotp, TOTP_PERIOD_SECONDS } from '../src/domain/totp.ts';
import { PROJECT_ROOT } from '../src/paths.ts';
import { startServer, type Server } from '../src/runtime.ts';
import { formatDate } from '../src/services/deps.ts';
import { deletionDueAt, scheduledRun } from '../src/domain/lifecycle.ts';
import { lifecycleRuns } from '../src/services/lifecycle/schedule.ts';
import { createAccount, createOrganisation, TEST_PASSWORD, type FixtureAccount } from '../test/support/fixtures.ts';
import { journeyConfig } from './support/journey-server.ts';
import { closeAfterJourneys, JourneyTab, launchChromium } from './support/browser.ts';
import type { AccessibilityPage } from './support/pages/accessibility-page.ts';
import { MyCommunicationsPage } from './support/pages/my-communications-page.ts';
import type { NexusPage } from './support/pages/nexus-page.ts';
import { SignInPage } from './support/pages/sign-in-page.ts';
import { UsersListPage } from './support/pages/users-list-page.ts';

/**
 * The administrator's working space of issue 3 in headless Chromium against a real server
 * (PGlite in a temporary DATA_DIR, random port, ManualClock). With JavaScript on, an LA
 * administrator goes through every admin page: Users (filters, sorting, paging, the LA picker
 * for another LA's contacts), create user, the user page and its tabs, edit details, schools,
 * privileges, audit, school groups, reset 2FA, archive, restore, delete, My account >
 * Communications and the accessibility statement. A shorter pass with JavaScript off covers the
 * forms that must work without it (the "apply defaults" step, schools, archive).
 *
 * Every page is checked on arrival (status, <h1>, <title>, frame) and by axe (WCAG 2.2 AA); no
 * page may log a console error, a CSP violation or a failed request. The journeys share one
 * server and run in order: each test continues where the one before left the data.
 */
const SCREENSHOTS = path.join(PROJECT_ROOT, '.tmp');
/** Generous for a loaded machine; on an idle one each journey takes a few seconds. */
const JOURNEY_TIMEOUT = 300_000;

const LA = 'Northshire';
const LA_CODE = '931';
const OTHER_LA = 'Southvale';
const OTHER_LA_CODE = '932';
const BULK_READERS = 52;

const SCHOOL = {
  alder: 'Alder Primary (100001)',
  birch: 'Birch Secondary (100002)',
  cedar: 'Cedar Infants (100003)',
  damson: 'Damson Academy (100004) – closed',
};

const label = (codes: readonly Privilege[]) => codes.map(privilegeLabel);
const CIN_CLA = privilegeLabel('cin_cla');
const SUMMARY_REPORTS = privilegeLabel('summary_reports');

let config: Config;
let clock: ManualClock;
let server: Server;
let db: Db;
let browser: Browser;
let now: Date;
let ada: FixtureAccount;
let ben: FixtureAccount;
let ginaArchivedAt: Date;
/** Active accounts of the LA. */
let activeCount = 0;
const tabs: JourneyTab[] = [];

/** Moves the server's clock to the next TOTP step and returns the code for it. */
function nextCode(secret: string): string {
  clock.advance(TOTP_PERIOD_SECONDS * 1000);
  return generateTotp(secret, clock.now());
}

const monthsAgo = (months: number) => addMonthsUtc(now, -months);

async function openTab(javaScript: boolean): Promise<JourneyTab> {
  const tab = await JourneyTab.open(browser, { baseUrl: server.url, javaScript });
  tabs.push(tab);
  return tab;
}

/** The whole page, or its first `height` pixels (a list of 50 rows is too long to look at). */
async function screenshot(page: NexusPage, name: string, height?: number): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const clip = height ? { x: 0, y: 0, width: page.page.viewportSize()!.width, height } : undefined;
  await page.page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: true, clip });
}

async function signIn(tab: JourneyTab, account: FixtureAccount, name: string) {
  const twoFactor = await (await SignInPage.open(tab)).signIn(account.username, TEST_PASSWORD);
  return twoFactor.enterCode(nextCode(account.totpSecret!), name);
}

async function outbox(accountId: string): Promise<string[]> {
  const rows = await db.selectFrom('email_outbox').select('template').where('account_id', '=', accountId).execute();
  return rows.map((r) => r.template);
}

async function accountId(username: string): Promise<string | undefined> {
  return (await db.selectFrom('accounts').select('id').where('username', '=', username).executeTakeFirst())?.id;
}

beforeAll(async () => {
  config = journeyConfig();
  clock = new ManualClock(new Date());
  now = clock.now();
  [server, browser] = await Promise.all([startServer(config, { clock, log: false }), launchChromium()]);
  db = server.runtime.handle.db;

  const la = await createOrganisation(db, LA_CODE, LA);
  const other = await createOrganisation(db, OTHER_LA_CODE, OTHER_LA);
  const schools = await db
    .insertInto('schools')
    .values([
      { urn: 100001, organisation_id: la, name: 'Alder Primary', phase: 'Primary', updated_at: now },
      { urn: 100002, organisation_id: la, name: 'Birch Secondary', phase: 'Secondary', updated_at: now },
      { urn: 100003, organisation_id: la, name: 'Cedar Infants', phase: 'Primary', updated_at: now },
      {
        urn: 100004,
        organisation_id: la,
        name: 'Damson Academy',
        phase: 'Secondary',
        status: 'closed',
        updated_at: now,
      },
      { urn: 200001, organisation_id: other, name: 'Elm Primary', phase: 'Primary', updated_at: now },
    ])
    .returning('id')
    .execute();
  const groups = await db
    .insertInto('school_groups')
    .values([
      { organisation_id: la, name: 'North cluster', created_at: now },
      { organisation_id: la, name: 'South cluster', created_at: now },
    ])
    .returning('id')
    .execute();
  await db
    .insertInto('school_group_schools')
    .values([
      { school_group_id: groups[0]!.id, school_id: schools[0]!.id },
      { school_group_id: groups[0]!.id, school_id: schools[1]!.id },
      { school_group_id: groups[1]!.id, school_id: schools[2]!.id },
    ])
    .execute();

  const { secretKey } = config;
  const created = monthsAgo(36);
  // The administrator holds CiN/CLA as well, so that she may grant it (R15).
  ada = await createAccount(db, secretKey, {
    organisationId: la,
    username: 'ada.admin',
    firstName: 'Ada',
    lastName: 'Admin',
    userType: 'la_admin',
    privileges: [...typeDefaults('la_admin'), 'cin_cla'],
    createdAt: created,
    lastSignInAt: monthsAgo(0),
  });
  ben = await createAccount(db, secretKey, {
    organisationId: la,
    username: 'ben.backup',
    firstName: 'Ben',
    lastName: 'Backup',
    userType: 'la_admin',
    createdAt: created,
    lastSignInAt: monthsAgo(1),
  });
  await createAccount(db, secretKey, {
    organisationId: la,
    username: 'carol.officer',
    firstName: 'Carol',
    lastName: 'Officer',
    createdAt: created,
    lastSignInAt: monthsAgo(2),
  });
  await createAccount(db, secretKey, {
    organisationId: la,
    username: 'dan.dormant',
    firstName: 'Dan',
    lastName: 'Dormant',
    userType: 'school_improvement',
    createdAt: created,
    lastSignInAt: monthsAgo(14),
  });
  await createAccount(db, secretKey, {
    organisationId: la,
    username: 'erin.never',
    firstName: 'Erin',
    lastName: 'Never',
    userType: 'commissioned',
    enrolled: false,
    password: null,
    createdAt: monthsAgo(20),
  });
  await createAccount(db, secretKey, {
    organisationId: la,
    username: 'frank.virtual',
    firstName: 'Frank',
    lastName: 'Virtual',
    userType: 'virtual_school',
    createdAt: created,
    lastSignInAt: monthsAgo(5),
  });
  await createAccount(db, secretKey, {
    organisationId: la,
    username: 'ivy.plain',
    firstName: 'Ivy',
    lastName: 'Plain',
    createdAt: created,
    lastSignInAt: monthsAgo(3),
  });
  await createAccount(db, secretKey, {
    organisationId: la,
    username: 'jack.plain',
    firstName: 'Jack',
    lastName: 'Plain',
    userType: 'read_only',
    createdAt: created,
    lastSignInAt: monthsAgo(7),
  });
  const gina = await createAccount(db, secretKey, {
    organisationId: la,
    username: 'gina.gone',
    firstName: 'Gina',
    lastName: 'Gone',
    createdAt: created,
    lastSignInAt: monthsAgo(9),
  });
  ginaArchivedAt = new Date(now.getTime() - 10 * 86_400_000);
  await db
    .updateTable('accounts')
    .set({
      status: 'archived',
      archived_at: ginaArchivedAt,
      archived_by: ben.id,
      archive_reason: 'manual',
      deletion_due_at: deletionDueAt('manual', ginaArchivedAt, config),
    })
    .where('id', '=', gina.id)
    .execute();
  // Enough accounts for a second page (50 a page), inserted in one statement: read-only accounts
  // archived by the inactivity job, so that the everyday list stays short (every page is
  // checked by axe, and a 50-row table is the slowest page to check).
  const readersArchivedAt = new Date(now.getTime() - 5 * 86_400_000);
  await db
    .insertInto('accounts')
    .values(
      Array.from({ length: BULK_READERS }, (_, i) => {
        const n = String(i + 1).padStart(2, '0');
        return {
          id: `00000000-0000-4000-8000-0000000000${n}`,
          organisation_id: la,
          username: `reader.${n}`,
          first_name: 'Reader',
          last_name: `Zulu ${n}`,
          email: `reader.${n}@example.gov.uk`,
          user_type: 'read_only',
          status: 'archived',
          created_at: monthsAgo(30),
          last_sign_in_at: monthsAgo(18),
          archived_at: readersArchivedAt,
          archive_reason: 'inactivity',
          deletion_due_at: deletionDueAt('inactivity', readersArchivedAt, config),
          updated_at: now,
        };
      }),
    )
    .execute();
  activeCount = 8;

  await createAccount(db, secretKey, {
    organisationId: other,
    username: 'olive.other',
    firstName: 'Olive',
    lastName: 'Other',
    userType: 'la_admin',
    createdAt: created,
  });
  await db.updateTable('accounts').set({ job_title: 'Data manager' }).where('username', '=', 'olive.other').execute();
});

closeAfterJourneys(tabs, () => ({ browser, server, dataDir: config?.dataDir }));

describe('administration in the browser, JavaScript on', () => {
  let tab: JourneyTab;

  it(
    "finds users: filters, sorting, paging, and another LA's contacts through the LA picker",
    async () => {
      tab = await openTab(true);
      const home = await signIn(tab, ada, 'Ada Admin');
      const navigation = await home.navigation();
      expect(navigation).toEqual(expect.arrayContaining(['Home', 'Users', 'Lifecycle', 'Audit', 'My account']));
      expect([navigation[0], navigation.at(-1)]).toEqual(['Home', 'My account']);

      let users = await UsersListPage.fromNavigation(home, LA);
      expect(await users.total()).toBe(`${activeCount} accounts`);
      const names = await users.names();
      expect(names).toEqual([
        'Ada Admin',
        'Ben Backup',
        'Dan Dormant',
        'Erin Never',
        'Carol Officer',
        'Ivy Plain',
        'Jack Plain',
        'Frank Virtual',
      ]);
      const rows = await users.rows();
      expect(rows.find((r) => r['Name'] === 'Dan Dormant')).toEqual({
        Name: 'Dan Dormant',
        Username: 'dan.dormant',
        Email: 'dan.dormant@example.gov.uk',
        'Type of User': 'School Improvement Officer',
        'Last sign-in': `${formatDate(monthsAgo(14))} 14 months ago`,
        '2FA': 'Set up',
        Status: 'Active',
      });
      expect(rows.find((r) => r['Name'] === 'Erin Never')).toMatchObject({
        'Last sign-in': 'never',
        '2FA': 'Not set up',
      });
      expect(names).not.toContain('Gina Gone');
      await screenshot(users, 'admin-users-list');

      // "Not signed in for at least 12 months": the never-signed-in account counts from creation.
      users = await users.filter({ inactiveMonths: '12' });
      expect(new URL(tab.page.url()).searchParams.get('inactiveMonths')).toBe('12');
      expect(await users.total()).toBe('2 accounts');
      expect(await users.names()).toEqual(['Dan Dormant', 'Erin Never']);
      // Sorted by last sign-in, most recent first; "never" last. The filter stays.
      users = await users.sortBy('Last sign-in');
      expect(await users.names()).toEqual(['Dan Dormant', 'Erin Never']);
      // The direction is announced (aria-sort) and seen (the arrow, hidden from screen readers).
      expect(await users.table.locator('th[aria-sort="descending"]').innerText()).toBe('Last sign-in ▼');
      expect(await users.table.locator('th[aria-sort="none"]').innerText()).toBe('Name ⇅');
      expect(
        await users.table
          .locator('th[aria-sort="descending"] a')
          .evaluate((a) => a.querySelector('[aria-hidden]') !== null),
      ).toBe(true);
      expect(new URL(tab.page.url()).searchParams.get('inactiveMonths')).toBe('12');
      // Filters combine.
      users = await users.filter({ type: 'Commissioned Consultant / School Improvement Partner' });
      expect(await users.names()).toEqual(['Erin Never']);
      users = await users.clearFilters();
      expect(await users.total()).toBe(`${activeCount} accounts`);

      // Paging keeps the combined filters: 52 archived read-only accounts, 50 on the first page.
      users = await users.filter({ type: 'Read only', status: 'Archived' });
      expect(await users.total()).toBe(`${BULK_READERS} accounts`);
      expect(await users.names()).toHaveLength(50);
      users = await users.nextPage();
      const query = new URL(tab.page.url()).searchParams;
      expect([query.get('type'), query.get('status'), query.get('page')]).toEqual(['read_only', 'archived', '2']);
      expect(await users.names()).toEqual(['Reader Zulu 51', 'Reader Zulu 52']);
      expect(await tab.page.getByLabel('Type of User').inputValue()).toBe('read_only');
      expect(await tab.page.locator('.govuk-pagination__item--current').innerText()).toBe('2');

      // Status "All" shows the archived account with its grey tag.
      users = await users.filter({ type: 'Any type', status: 'All', q: 'gina' });
      expect(await users.rows()).toEqual([expect.objectContaining({ Name: 'Gina Gone', Status: 'Archived' })]);

      // Another LA: contacts only, read-only (R5).
      const contacts = await users.showContactsOf(`${OTHER_LA} (${OTHER_LA_CODE})`, OTHER_LA);
      expect(await contacts.rows()).toEqual([
        { Name: 'Olive Other', Email: 'olive.other@example.gov.uk', 'Job title': 'Data manager' },
      ]);
      expect(await tab.page.locator('main .govuk-inset-text').innerText()).toMatch(/so that you can contact them/);
      expect(await tab.page.locator('main a[href^="/admin/users/"]').count()).toBe(0);
      expect(await tab.page.locator('main').getByRole('button', { name: 'Create user' }).count()).toBe(0);
      await screenshot(contacts, 'admin-contacts');
      users = await contacts.showLa(`${LA} (${LA_CODE})`, LA);
      expect(await users.total()).toBe(`${activeCount} accounts`);
    },
    JOURNEY_TIMEOUT,
  );

  it(
    'creates a user (a taken username first), then edits the details and assigns school groups',
    async () => {
      // Lists below are opened with a search, as an administrator finds one account.
      const users = await UsersListPage.open(tab, LA, '?q=hana');
      const create = await users.createUser(LA);
      const hana = {
        username: 'hana.newman',
        firstName: 'Hana',
        lastName: 'Newman',
        email: 'hana.newman@example.gov.uk',
        jobTitle: 'Data analyst',
        type: 'LA Officer / Analyst',
      };
      const refused = await create.createRefused({ ...hana, username: 'Carol.Officer' });
      expect(await refused.errorSummaryItems()).toEqual(['That username is already taken. Choose another one.']);
      expect(await refused.fieldError('username')).toBe('That username is already taken. Choose another one.');
      await expect.poll(() => refused.focused()).toContain('govuk-error-summary');
      expect(await tab.page.getByLabel('First name', { exact: true }).inputValue()).toBe('Hana');

      let user = await refused.create(hana);
      expect(await user.notification()).toBe('Hana Newman has been created and emailed an invitation.');
      expect(await user.status()).toBe('Invited');
      expect(await user.summary()).toMatchObject({
        Username: 'hana.newman',
        Name: 'Hana Newman',
        Email: 'hana.newman@example.gov.uk',
        'Job title': 'Data analyst',
        'Local Authority': LA,
        'School groups': 'None',
        'Default School Group': 'None',
        'Type of User': 'LA Officer / Analyst',
        'Last sign-in': 'Has never signed in',
        'Two-factor authentication': 'Not set up',
      });
      expect(await outbox(user.id)).toEqual(['invitation']);
      await screenshot(user, 'admin-user-page');

      const edit = await user.editDetails();
      await edit.setGroups({ 'North cluster': true, 'South cluster': true }, 'North cluster');
      user = await edit.save();
      expect(await user.notification()).toBe('Details saved.');
      expect(await user.summary()).toMatchObject({
        'School groups': 'North cluster, South cluster',
        'Default School Group': 'North cluster',
      });

      // Communications: read-only for the administrator; the recommended topic marked.
      user = await user.openTab('Communications');
      const topics = await user.topics();
      expect(Object.keys(topics)).toContain('NCER & Nexus News & Updates Recommended');
      for (const value of Object.values(topics)) expect(['Subscribed', 'Not subscribed']).toContain(value);
      expect(await tab.page.locator('main input[type="checkbox"]').count()).toBe(0);
    },
    JOURNEY_TIMEOUT,
  );

  it(
    'adds, removes and replaces schools, then changes the Type of User and grants CiN/CLA access',
    async () => {
      let user = await (await UsersListPage.open(tab, LA, '?q=carol')).openUser('Carol Officer');
      user = await user.openTab('Schools');
      expect(await user.schools()).toEqual([{ School: 'No schools.' }]);

      user = await user.addSchool(SCHOOL.alder, 'Headteacher');
      expect(await user.notification()).toBe('School added.');
      user = await user.addSchool(SCHOOL.damson, 'Data Manager');
      expect(await user.schools()).toEqual([
        { School: 'Alder Primary', URN: '100001', Role: 'Headteacher', Action: 'Remove Alder Primary' },
        { School: 'Damson Academy Closed', URN: '100004', Role: 'Data Manager', Action: 'Remove Damson Academy' },
      ]);
      user = await user.removeSchool('Alder Primary');
      expect(await user.notification()).toBe('School removed.');
      expect((await user.schools()).map((s) => s['School'])).toEqual(['Damson Academy Closed']);

      // Termly re-assignment: kept schools keep their role, new ones get the chosen role.
      user = await user.replaceSchools([SCHOOL.birch, SCHOOL.damson], 'Consultant');
      expect(await user.notification()).toBe('Schools replaced.');
      expect((await user.schools()).map((s) => [s['School'], s['Role']])).toEqual([
        ['Birch Secondary', 'Consultant'],
        ['Damson Academy Closed', 'Data Manager'],
      ]);
      await screenshot(user, 'admin-schools');

      // Privileges: the type's defaults, then a change of type through "apply defaults".
      user = await user.openTab('Privileges');
      expect(await user.checkedPrivileges()).toEqual(label(typeDefaults('la_officer')));
      expect(await user.differsFromDefaults()).toBeNull();
      await screenshot(user, 'admin-privileges');
      await user.chooseType('School Improvement Officer');
      // With JavaScript the defaults are ticked at once (R14); "apply defaults" still works.
      expect(await user.checkedPrivileges()).toEqual([SUMMARY_REPORTS]);
      user = await user.applyDefaults();
      expect(await user.checkedPrivileges()).toEqual([SUMMARY_REPORTS]);
      expect(await tab.page.getByRole('radio', { name: 'School Improvement Officer', exact: true }).isChecked()).toBe(
        true,
      );
      user = await user.savePrivileges();
      expect(await user.notification()).toBe('Privileges saved.');
      expect(await user.checkedPrivileges()).toEqual([SUMMARY_REPORTS]);

      // CiN/CLA: ticking it reveals who agreed it, their role and the date (R16); saving without them is refused.
      expect(await user.cinClaAgreedBy.isVisible()).toBe(false);
      await user.setPrivilege(CIN_CLA, true);
      await expect.poll(() => user.cinClaAgreedBy.isVisible()).toBe(true);
      user = await user.savePrivileges({ status: 400, error: true });
      expect(await user.errorSummaryItems()).toEqual([
        'Enter the name of the person who agreed access to CiN and CLA information',
        'Enter the role of the person who agreed access to CiN and CLA information, such as Virtual Head',
        'Enter the date access to CiN and CLA information was agreed',
      ]);
      expect(await user.checkedPrivileges()).toEqual([SUMMARY_REPORTS, CIN_CLA]);
      expect(await user.cinClaAgreedBy.isVisible()).toBe(true);
      await user.fillCinClaAgreement('Jo Bloggs', 'Virtual Head', { day: '1', month: '3', year: '2026' });
      user = await user.savePrivilegesWithEnter();
      expect(await user.notification()).toBe('Privileges saved.');
      expect(await user.checkedPrivileges()).toEqual([SUMMARY_REPORTS, CIN_CLA]);
      expect(await user.differsFromDefaults()).toBe(
        `Differs from the defaults of School Improvement Officer: +${CIN_CLA}`,
      );

      user = await user.openTab('Details');
      expect((await user.summary())['Type of User']).toBe('School Improvement Officer');
    },
    JOURNEY_TIMEOUT,
  );

  it(
    "shows the account's audit timeline and the LA's audit log filtered by action",
    async () => {
      let user = await (await UsersListPage.open(tab, LA, '?q=carol')).openUser('Carol Officer');
      user = await user.openTab('Audit');
      expect(await user.timeline()).toEqual([
        'Privileges changed',
        'Privileges changed',
        'Schools replaced',
        'School removed',
        'School added',
        'School added',
      ]);
      expect(await tab.page.locator('main .moj-timeline__byline').first().innerText()).toMatch(/^by ada\.admin/);

      let audit = await user.openAuditLog(LA);
      expect((await audit.rows()).length).toBeGreaterThan(5);
      audit = await audit.filterByAction('Privileges changed');
      const rows = await audit.rows();
      expect(rows.map((r) => r['What'])).toEqual(['Privileges changed', 'Privileges changed']);
      expect(rows.every((r) => r['By']?.startsWith('ada.admin'))).toBe(true);
      expect(new URL(tab.page.url()).searchParams.get('action')).toBe('account.privileges-changed');
    },
    JOURNEY_TIMEOUT,
  );

  it(
    'creates, changes and deletes school groups; deleting a default group says whose default is cleared',
    async () => {
      let groups = await (await UsersListPage.open(tab, LA, '?q=hana')).openSchoolGroups(LA);
      expect(await groups.rows()).toEqual([
        { Name: 'North cluster', Schools: '2', Users: '1' },
        { Name: 'South cluster', Schools: '1', Users: '1' },
      ]);
      let form = await groups.create();
      await form.fill('East cluster', { [SCHOOL.cedar]: true, [SCHOOL.damson]: true });
      groups = await form.save();
      expect(await groups.notification()).toBe('School group created.');
      expect(await groups.rows()).toContainEqual({ Name: 'East cluster', Schools: '2', Users: '0' });

      form = await groups.open('East cluster');
      expect(await form.checkedSchools()).toEqual([SCHOOL.cedar, SCHOOL.damson]);
      await form.fill('East and coast', { [SCHOOL.damson]: false });
      groups = await form.save();
      expect(await groups.notification()).toBe('School group saved.');
      expect(await groups.rows()).toContainEqual({ Name: 'East and coast', Schools: '1', Users: '0' });

      form = await groups.open('North cluster');
      const confirm = await form.startDelete('North cluster');
      expect(await confirm.warning()).toBe(
        'This group is the Default School Group of 1 user. Their default will be cleared.',
      );
      expect(await confirm.affected()).toEqual(['Hana Newman']);
      groups = await confirm.confirm();
      expect(await groups.notification()).toBe(
        'School group North cluster deleted. The default group of 1 user was cleared.',
      );
      expect((await groups.rows()).map((r) => r['Name'])).toEqual(['East and coast', 'South cluster']);
    },
    JOURNEY_TIMEOUT,
  );

  it(
    'resets two-factor authentication, archives and restores an account, and deletes one',
    async () => {
      // Reset 2FA (R28): the user is emailed and must set up the app again.
      let users = await UsersListPage.open(tab, LA, '?q=dan.dormant');
      let user = await users.openUser('Dan Dormant');
      const reset = await user.startResetTwoFactor();
      expect((await reset.paragraphs()).join(' ')).toMatch(/will be signed out/);
      user = await reset.confirm();
      expect(await user.notification()).toBe('Two-factor authentication reset. The user has been emailed.');
      expect((await user.summary())['Two-factor authentication']).toBe('Not set up');
      expect(await outbox(user.id)).toContain('two-factor-reset');

      // Archive (R29): the confirmation states the deletion date, the banner repeats it.
      // The run of the nightly job that deletes it: the date every page shows (the one schedule).
      const deletionDay = (archivedAt: Date) =>
        formatDate(scheduledRun(deletionDueAt('manual', archivedAt, config), lifecycleRuns(config), clock.now()));
      const deletion = deletionDay(clock.now());
      users = await UsersListPage.open(tab, LA, '?q=erin');
      user = await users.openUser('Erin Never');
      const archive = await user.startArchive();
      expect(await archive.warning()).toBe(`If it is not restored, the account will be deleted on ${deletion}.`);
      expect(await archive.button.getAttribute('class')).not.toContain('govuk-button--warning');
      user = await archive.confirm();
      expect(await user.notification()).toBe(`Account archived. It will be deleted on ${deletion}.`);
      expect(await user.status()).toBe('Archived');
      expect(await tab.page.locator('main .govuk-warning-text__text').innerText()).toMatch(
        new RegExp(`It will be deleted on ${deletion} unless it is restored\\.$`),
      );

      // Archived users (R23), then restore.
      const archived = await user.openArchivedUsers(LA);
      // Newest first: Erin, the 52 read-only accounts archived by the inactivity job, Gina.
      const archivedRows = await archived.rows();
      expect(archivedRows).toHaveLength(BULK_READERS + 2);
      expect(archivedRows[0]).toEqual({
        Name: 'Erin Never erin.never',
        'Archived on': formatDate(clock.now()),
        Reason: 'Manual',
        By: 'Ada Admin',
        'Deleted on': deletion,
        Action: 'Restore Erin Never',
      });
      expect(archivedRows[1]).toMatchObject({ Reason: 'Inactivity', By: 'Automatic' });
      expect(archivedRows.at(-1)).toEqual({
        Name: 'Gina Gone gina.gone',
        'Archived on': formatDate(ginaArchivedAt),
        Reason: 'Manual',
        By: 'Ben Backup',
        'Deleted on': deletionDay(ginaArchivedAt),
        Action: 'Restore Gina Gone',
      });
      await screenshot(archived, 'admin-archived-users', 900);
      user = await archived.restore('Erin Never');
      expect(await user.notification()).toBe(
        'Account restored. It can sign in again with its privileges, schools and preferences as before.',
      );
      expect(await user.status()).toBe('Invited');

      // Delete (R31): a red button, the username named, then gone from the list.
      users = await UsersListPage.open(tab, LA, '?q=hana');
      user = await users.openUser('Hana Newman');
      const hanaId = user.id;
      const del = await user.startDelete();
      expect((await del.paragraphs()).join(' ')).toContain(
        'The username hana.newman can be used for a new account at once.',
      );
      expect(await del.button.getAttribute('class')).toContain('govuk-button--warning');
      users = await del.confirmDelete(LA);
      expect(await users.notification()).toBe('Account hana.newman deleted.');
      expect(await users.names()).not.toContain('Hana Newman');
      expect(await accountId('hana.newman')).toBeUndefined();
      expect(hanaId).toMatch(/^[0-9a-f-]{36}$/);
    },
    JOURNEY_TIMEOUT,
  );

  it(
    'saves My account > Communications and shows the accessibility statement',
    async () => {
      let mine = await MyCommunicationsPage.open(tab);
      const before = await mine.subscribed();
      expect(before).not.toContain('Training and events');
      await mine.set('Training and events', true);
      mine = await mine.save();
      expect(await mine.notification()).toBe('Your communication preferences have been saved.');
      expect(await mine.subscribed()).toEqual(expect.arrayContaining([...before, 'Training and events']));

      const statement: AccessibilityPage = await mine.openAccessibility();
      expect(await tab.page.locator('main').innerText()).toMatch(/WCAG\) 2\.2 at level AA/);
      await statement.signOut();
    },
    JOURNEY_TIMEOUT,
  );
});

describe('administration in the browser, JavaScript off', () => {
  it(
    'the "apply defaults" step, adding and removing a school, and archiving work with plain forms',
    async () => {
      const tab = await openTab(false);
      const home = await signIn(tab, ben, 'Ben Backup');
      let users = await UsersListPage.fromNavigation(home, LA);
      let user = await users.openUser('Ivy Plain');

      // Privileges: without JavaScript the conditional CiN/CLA field is simply shown.
      user = await user.openTab('Privileges');
      expect(await user.checkedPrivileges()).toEqual(label(typeDefaults('la_officer')));
      expect(await user.cinClaAgreedBy.isVisible()).toBe(true);
      await user.chooseType('Read only');
      // Without JavaScript nothing changes until "apply defaults".
      expect(await user.checkedPrivileges()).toEqual(label(typeDefaults('la_officer')));
      user = await user.applyDefaults();
      expect(await user.checkedPrivileges()).toEqual(label(typeDefaults('read_only')));
      expect(await user.notification()).toBeNull();
      await screenshot(user, 'admin-nojs-privileges-defaults');
      user = await user.savePrivileges();
      expect(await user.notification()).toBe('Privileges saved.');
      expect(await user.checkedPrivileges()).toEqual(label(typeDefaults('read_only')));

      user = await user.openTab('Schools');
      user = await user.addSchool(SCHOOL.cedar, 'Governor');
      expect(await user.notification()).toBe('School added.');
      expect((await user.schools()).map((s) => [s['School'], s['Role']])).toEqual([['Cedar Infants', 'Governor']]);
      user = await user.removeSchool('Cedar Infants');
      expect(await user.notification()).toBe('School removed.');
      expect(await user.schools()).toEqual([{ School: 'No schools.' }]);

      users = await UsersListPage.open(tab, LA, '?q=jack');
      user = await users.openUser('Jack Plain');
      const archive = await user.startArchive();
      user = await archive.confirm();
      expect(await user.notification()).toMatch(/^Account archived\. It will be deleted on \d{1,2} \w+ \d{4}\.$/);
      expect(await user.status()).toBe('Archived');
      await user.signOut();
    },
    JOURNEY_TIMEOUT,
  );
});
