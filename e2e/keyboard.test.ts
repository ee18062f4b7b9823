import { beforeAll, describe, expect, it } from 'vitest';
import { addMonthsUtc } from '../src/domain/calendar.ts';
import { privilegeLabel, typeDefaults } from '../src/domain/privileges.ts';
import { generateTotp, TOTP_PERIOD_SECONDS } from '../src/domain/totp.ts';
import { NAVIGATION } from '../src/web/navigation.ts';
import { createAccount, createOrganisation, TEST_PASSWORD, type FixtureAccount } from '../test/support/fixtures.ts';
import { JourneyTab } from './support/browser.ts';
import { useJourneyServer } from './support/journey-server.ts';
import {
  activate,
  chooseInSelect,
  chooseRadio,
  expectFocusOn,
  shiftTabTo,
  tabThroughPage,
  tabTo,
  typeInto,
} from './support/keyboard.ts';
import { ArchivedUsersPage } from './support/pages/archived-users-page.ts';
import { ConfirmPage } from './support/pages/confirm-page.ts';
import { ContactsPage } from './support/pages/contacts-page.ts';
import { CreateUserPage } from './support/pages/create-user-page.ts';
import { HomePage } from './support/pages/home-page.ts';
import { SignInPage } from './support/pages/sign-in-page.ts';
import { TwoFactorPage } from './support/pages/two-factor-page.ts';
import { UserPage, type UserTab } from './support/pages/user-page.ts';
import { UsersListPage } from './support/pages/users-list-page.ts';

/**
 * The administrator's journeys of issue 3 done again with the keyboard alone (issue 13, item 11):
 * Tab and Shift+Tab to move, Enter and Space to act, typing into the focused field, arrows in a
 * select or radio group. No click, fill or focus: locators only name the control wanted and read
 * the result. Every focus stop on the way must show GOV.UK's focus state, and Tab must go round
 * whole pages and leave them (no trap, nothing unreachable). Every page is checked on arrival and
 * by axe, as in e2e/admin.test.ts. JavaScript on (a keyboard user's usual browser); creating a
 * user also with JavaScript off. The tests run in order on one signed-in tab.
 */

const journey = useJourneyServer();
const LA = 'Northshire';
const OTHER_LA = 'Southvale';
let ada: FixtureAccount;

beforeAll(async () => {
  const { db, config } = journey;
  const now = journey.clock.now();
  const monthsAgo = (months: number) => addMonthsUtc(now, -months);
  const la = await createOrganisation(db, '931', LA);
  const other = await createOrganisation(db, '932', OTHER_LA);
  await db
    .insertInto('schools')
    .values([
      { urn: 100001, organisation_id: la, name: 'Alder Primary', phase: 'Primary', updated_at: now },
      { urn: 100002, organisation_id: la, name: 'Birch Secondary', phase: 'Secondary', updated_at: now },
    ])
    .execute();
  const created = monthsAgo(36);
  const account = (username: string, firstName: string, lastName: string, more: object = {}) =>
    createAccount(db, config.secretKey, {
      organisationId: la,
      username,
      firstName,
      lastName,
      createdAt: created,
      lastSignInAt: monthsAgo(1),
      ...more,
    });
  // The administrator holds CiN/CLA, so that she may grant it (R15).
  ada = await account('ada.admin', 'Ada', 'Admin', {
    userType: 'la_admin',
    privileges: [...typeDefaults('la_admin'), 'cin_cla'],
  });
  await account('carol.officer', 'Carol', 'Officer', { lastSignInAt: monthsAgo(2) });
  await account('dan.dormant', 'Dan', 'Dormant', { userType: 'school_improvement', lastSignInAt: monthsAgo(14) });
  await account('erin.never', 'Erin', 'Never', {
    userType: 'commissioned',
    enrolled: false,
    password: null,
    createdAt: monthsAgo(20),
    lastSignInAt: null,
  });
  await createAccount(db, config.secretKey, {
    organisationId: other,
    username: 'olive.other',
    firstName: 'Olive',
    lastName: 'Other',
    userType: 'la_admin',
    createdAt: created,
  });
}, 180_000);

/** A new tab, signed in with the keyboard: Tab to each field, type, Enter. */
async function signInWithKeyboard(account: FixtureAccount, name: string, javaScript: boolean) {
  const tab = await JourneyTab.open(journey.browser, { baseUrl: journey.server.url, javaScript });
  journey.tabs.push(tab);
  const { page } = tab;
  await SignInPage.open(tab);
  await typeInto(tab, page.getByLabel('Username', { exact: true }), account.username);
  // The username first (R64: an LA's own sign-in may come next), then the password.
  await activate(tab, page.locator('main').getByRole('button', { name: 'Continue', exact: true }));
  await new SignInPage(tab).expectOn({ step: 'password' });
  await typeInto(tab, page.getByLabel('Password', { exact: true }), TEST_PASSWORD);
  await activate(tab, page.locator('main').getByRole('button', { name: 'Continue', exact: true }));
  await new TwoFactorPage(tab).expectOn();
  journey.clock.advance(TOTP_PERIOD_SECONDS * 1000);
  await typeInto(
    tab,
    page.getByLabel('Enter your security code', { exact: true }),
    generateTotp(account.totpSecret!, journey.clock.now()),
  );
  // Enter in the field submits its form.
  await tab.navigate(() => page.keyboard.press('Enter'));
  await new HomePage(tab).expectOn(name);
  return tab;
}

const CIN_CLA = privilegeLabel('cin_cla');
const SUMMARY_REPORTS = privilegeLabel('summary_reports');

/**
 * The page named `name` through the navigation, as e2e/support/navigation.ts follows it, with
 * Enter: its link in the header, or its group's link there and then its link in the group's
 * sub-navigation.
 */
async function viaNavigation(tab: JourneyTab, name: string): Promise<void> {
  const header = tab.page.locator('.govuk-service-navigation');
  const direct = header.getByRole('link', { name, exact: true });
  if ((await direct.count()) > 0) return activate(tab, direct);
  const group = NAVIGATION.find((g) => g.pages.some((p) => p.text === name));
  if (!group) throw new Error(`No page named ${name} in the navigation`);
  await activate(tab, header.getByRole('link', { name: group.text, exact: true }));
  await tab.audit();
  await activate(tab, tab.page.locator('.app-section-navigation').getByRole('link', { name, exact: true }));
}

/** From any page: Users in the navigation, then the person's name in the table. */
async function openUser(tab: JourneyTab, name: string): Promise<UserPage> {
  await viaNavigation(tab, 'Users');
  const users = await new UsersListPage(tab).expectOn(LA);
  await activate(tab, users.table.getByRole('link', { name, exact: true }));
  return new UserPage(tab, name).expectOn();
}

async function openUserTab(user: UserPage, which: UserTab): Promise<UserPage> {
  await activate(
    user.tab,
    user.page.locator('main .moj-sub-navigation').getByRole('link', { name: which, exact: true }),
  );
  return new UserPage(user.tab, user.name).expectOn(which);
}

describe('the administrator with the keyboard alone, JavaScript on', () => {
  let tab: JourneyTab;

  it('signs in; Tab goes round the whole of Admin > Users: every control reached in order, focus always visible, no trap', async () => {
    tab = await signInWithKeyboard(ada, 'Ada Admin', true);
    await viaNavigation(tab, 'Users');
    await new UsersListPage(tab).expectOn(LA);
    const stops = await tabThroughPage(tab);
    expect(stops[0]).toBe('a "Skip to main content"');
    expect(stops).toEqual(
      expect.arrayContaining([
        'select#la "Local Authority"',
        'input[type=text]#inactiveMonths "Not signed in for at least"',
        'button[type=submit] "Apply filters"',
        'a "Create user"',
        'a "Dan Dormant"',
        'a "Accessibility"',
      ]),
    );
  });

  it('finds inactive users with the filters, corrects a filter with Shift+Tab, and clears them', async () => {
    const { page } = tab;
    const months = page.getByLabel('Not signed in for at least', { exact: true });
    await typeInto(tab, months, '12');
    // Enter in a field submits the filter form.
    await tab.navigate(() => page.keyboard.press('Enter'));
    let users = await new UsersListPage(tab).expectOn(LA);
    expect(new URL(page.url()).searchParams.get('inactiveMonths')).toBe('12');
    expect(await users.names()).toEqual(['Dan Dormant', 'Erin Never']);

    // Narrow it down: Tab to the months (kept), back with Shift+Tab to Type of User, choose, apply with Space.
    await tabTo(tab, months);
    expect(await months.inputValue()).toBe('12');
    const type = page.getByLabel('Type of User', { exact: true });
    await shiftTabTo(tab, type, 3);
    await chooseInSelect(tab, type, 'School Improvement Officer');
    await activate(tab, page.locator('main').getByRole('button', { name: 'Apply filters', exact: true }), 'Space');
    users = await new UsersListPage(tab).expectOn(LA);
    expect(await users.names()).toEqual(['Dan Dormant']);

    await activate(tab, page.locator('main').getByRole('link', { name: 'Clear filters', exact: true }));
    users = await new UsersListPage(tab).expectOn(LA);
    expect(await users.total()).toBe('4 accounts');
  });

  it("shows another LA's contacts through the LA picker, and goes back to its own", async () => {
    const { page } = tab;
    const picker = page.getByLabel('Local Authority', { exact: true });
    await chooseInSelect(tab, picker, `${OTHER_LA} (932)`);
    await activate(tab, page.locator('main').getByRole('button', { name: 'Show', exact: true }));
    const contacts = await new ContactsPage(tab).expectOn(OTHER_LA);
    expect(await contacts.rows()).toEqual([
      { Name: 'Olive Other', Email: 'olive.other@example.gov.uk', 'Job title': '' },
    ]);

    await chooseInSelect(tab, picker, `${LA} (931)`);
    await activate(tab, page.locator('main').getByRole('button', { name: 'Show', exact: true }), 'Space');
    await new UsersListPage(tab).expectOn(LA);
  });

  it('creates a user: Space on "Create user", a name corrected with Shift+Tab, the error summary leads to the missing field', async () => {
    const { page } = tab;
    // A link that looks like a button works with Space too (role="button", govuk-button).
    await activate(tab, page.locator('main').getByRole('button', { name: 'Create user', exact: true }), 'Space');
    await new CreateUserPage(tab).expectOn(LA);
    const form = page.locator('main form');
    await typeInto(tab, form.getByLabel('Username', { exact: true }), 'hana.newman');
    const first = form.getByLabel('First name', { exact: true });
    await typeInto(tab, first, 'Hanna');
    await typeInto(tab, form.getByLabel('Last name', { exact: true }), 'Newman');
    // Back one field: Shift+Tab selects what the field holds, so typing replaces it.
    await shiftTabTo(tab, first, 1);
    await page.keyboard.type('Hana');
    expect(await first.inputValue()).toBe('Hana');
    // The email left out on purpose; the type chosen with the arrow keys.
    await chooseRadio(tab, form.getByRole('group', { name: 'Type of User' }), 'School Improvement Officer');
    await activate(tab, form.getByRole('button', { name: 'Create user and send invitation', exact: true }));
    const refused = await new CreateUserPage(tab).expectOn(LA, { status: 400, error: true });
    expect(await refused.errorSummaryItems()).toEqual(['Enter email address']);
    // GOV.UK's error summary takes the focus; its link takes it on to the field.
    await expectFocusOn(tab, refused.errorSummary);
    await tabTo(tab, refused.errorSummary.getByRole('link', { name: 'Enter email address' }), { max: 1 });
    await page.keyboard.press('Enter');
    await expectFocusOn(tab, form.getByLabel('Email address', { exact: true }));
    await page.keyboard.type('hana.newman@example.gov.uk');
    expect(await form.getByLabel('First name', { exact: true }).inputValue()).toBe('Hana');
    await activate(tab, form.getByRole('button', { name: 'Create user and send invitation', exact: true }));
    const user = await new UserPage(tab, 'Hana Newman').expectOn();
    expect(await user.notification()).toBe('Hana Newman has been created and emailed an invitation.');
    expect(await user.summary()).toMatchObject({
      Email: 'hana.newman@example.gov.uk',
      'Type of User': 'School Improvement Officer',
    });
  });

  it('edits privileges: Tab goes round the Privileges tab; the type with the arrows, CiN/CLA with Space and its agreement typed', async () => {
    const { page } = tab;
    let user = await openUserTab(await openUser(tab, 'Carol Officer'), 'Privileges');
    await tabThroughPage(tab);
    const form = page.locator('main form');
    // With JavaScript the type's defaults are ticked as the arrows move through the types (R14).
    await chooseRadio(tab, form.getByRole('group', { name: 'Type of User' }), 'School Improvement Officer');
    expect(await user.checkedPrivileges()).toEqual([SUMMARY_REPORTS]);
    await tabTo(tab, form.getByRole('checkbox', { name: CIN_CLA, exact: true }));
    await page.keyboard.press('Space');
    // Ticking it reveals the agreement's fields (R16), next in the tab order.
    await typeInto(tab, user.cinClaAgreedBy, 'Jo Bloggs');
    await typeInto(tab, form.getByLabel('Their role', { exact: true }), 'Virtual Head');
    const date = form.getByRole('group', { name: 'Date of the agreement' });
    await typeInto(tab, date.getByLabel('Day', { exact: true }), '1');
    await typeInto(tab, date.getByLabel('Month', { exact: true }), '3');
    await typeInto(tab, date.getByLabel('Year', { exact: true }), '2026');
    await activate(tab, form.getByRole('button', { name: 'Save privileges', exact: true }), 'Space');
    user = await new UserPage(tab, 'Carol Officer').expectOn('Privileges');
    expect(await user.notification()).toBe('Privileges saved.');
    expect(await user.checkedPrivileges()).toEqual([SUMMARY_REPORTS, CIN_CLA]);
    expect(await user.differsFromDefaults()).toBe(
      `Differs from the defaults of School Improvement Officer: +${CIN_CLA}`,
    );
  });

  it('adds a school, replaces the schools through the "Replace all schools" details, and removes one', async () => {
    const { page } = tab;
    await openUserTab(new UserPage(tab, 'Carol Officer'), 'Schools');
    const add = page.locator('main form', { has: page.getByRole('button', { name: 'Add school' }) });
    // With JavaScript the school picker is an autocomplete (school-picker.mjs): type, ArrowDown to
    // the option, Enter to choose it (Enter there chooses; it does not submit the form).
    const combobox = add.getByRole('combobox', { name: 'School', exact: true });
    await typeInto(tab, combobox, 'Alder');
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('Enter');
    expect(await combobox.inputValue()).toBe('Alder Primary (100001)');
    await expectFocusOn(tab, combobox);
    await chooseInSelect(tab, add.getByLabel('Role', { exact: true }), 'Headteacher');
    await activate(tab, add.getByRole('button', { name: 'Add school', exact: true }), 'Space');
    let user = await new UserPage(tab, 'Carol Officer').expectOn('Schools');
    expect(await user.notification()).toBe('School added.');
    expect((await user.schools()).map((s) => [s['School'], s['Role']])).toEqual([['Alder Primary', 'Headteacher']]);

    // The details' summary opens with Enter; its checkboxes tick with Space.
    const details = page.locator('main details.govuk-details');
    await tabTo(tab, details.locator('summary'));
    await page.keyboard.press('Enter');
    expect(await details.getAttribute('open')).not.toBeNull();
    await tabTo(tab, details.getByRole('checkbox', { name: 'Birch Secondary (100002)', exact: true }));
    await page.keyboard.press('Space');
    await chooseInSelect(tab, details.getByLabel('Role for newly added schools', { exact: true }), 'Consultant');
    await activate(tab, details.getByRole('button', { name: 'Replace schools', exact: true }));
    user = await new UserPage(tab, 'Carol Officer').expectOn('Schools');
    expect(await user.notification()).toBe('Schools replaced.');
    expect((await user.schools()).map((s) => [s['School'], s['Role']])).toEqual([
      ['Alder Primary', 'Headteacher'],
      ['Birch Secondary', 'Consultant'],
    ]);

    await activate(tab, user.schoolsTable.getByRole('button', { name: 'Remove Alder Primary', exact: true }));
    user = await new UserPage(tab, 'Carol Officer').expectOn('Schools');
    expect(await user.notification()).toBe('School removed.');
    expect((await user.schools()).map((s) => s['School'])).toEqual(['Birch Secondary']);
  });

  it('resets 2FA, archives and restores an account, and deletes one: the account actions work with Space as buttons do', async () => {
    const { page } = tab;
    const main = page.locator('main');
    await openUser(tab, 'Dan Dormant');
    await activate(tab, main.getByRole('button', { name: 'Reset two-factor authentication', exact: true }), 'Space');
    let confirm = await new ConfirmPage(tab, 'Dan Dormant').expectOn('reset-two-factor');
    await activate(tab, confirm.button);
    let user = await new UserPage(tab, 'Dan Dormant').expectOn();
    expect(await user.notification()).toBe('Two-factor authentication reset. The user has been emailed.');

    await openUser(tab, 'Erin Never');
    await activate(tab, main.getByRole('button', { name: 'Archive account', exact: true }), 'Space');
    confirm = await new ConfirmPage(tab, 'Erin Never').expectOn('archive');
    await activate(tab, confirm.button, 'Space');
    user = await new UserPage(tab, 'Erin Never').expectOn();
    expect(await user.status()).toBe('Archived');
    await viaNavigation(tab, 'Archived users');
    await new ArchivedUsersPage(tab).expectOn(LA);
    await activate(tab, main.getByRole('button', { name: 'Restore Erin Never', exact: true }));
    user = await new UserPage(tab, 'Erin Never').expectOn();
    expect(await user.notification()).toMatch(/^Account restored\./);
    // As before it was archived: she has still to take up her invitation.
    expect(await user.status()).toBe('Invited');

    await openUser(tab, 'Hana Newman');
    await activate(tab, main.getByRole('button', { name: 'Delete account', exact: true }), 'Space');
    confirm = await new ConfirmPage(tab, 'Hana Newman').expectOn('delete');
    // Past the red button to Cancel, then back to it with Shift+Tab.
    await tabTo(tab, main.getByRole('link', { name: 'Cancel', exact: true }));
    await shiftTabTo(tab, confirm.button, 1);
    await tab.navigate(() => page.keyboard.press('Enter'));
    const users = await new UsersListPage(tab).expectOn(LA);
    expect(await users.notification()).toBe('Account hana.newman deleted.');
    expect(await users.names()).not.toContain('Hana Newman');
  });
});

describe('the administrator with the keyboard alone, JavaScript off', () => {
  it('creates a user: Tab goes round the form, the error summary link leads to the field', async () => {
    const tab = await signInWithKeyboard(ada, 'Ada Admin', false);
    const { page } = tab;
    await viaNavigation(tab, 'Users');
    await new UsersListPage(tab).expectOn(LA);
    // Without JavaScript a link that looks like a button follows with Enter (Space is a script's).
    await activate(tab, page.locator('main').getByRole('button', { name: 'Create user', exact: true }));
    await new CreateUserPage(tab).expectOn(LA);
    await tabThroughPage(tab);
    const form = page.locator('main form');
    await typeInto(tab, form.getByLabel('Username', { exact: true }), 'ivan.keys');
    await typeInto(tab, form.getByLabel('First name', { exact: true }), 'Ivan');
    await typeInto(tab, form.getByLabel('Last name', { exact: true }), 'Keys');
    await chooseRadio(tab, form.getByRole('group', { name: 'Type of User' }), 'Read only');
    await activate(tab, form.getByRole('button', { name: 'Create user and send invitation', exact: true }), 'Space');
    const refused = await new CreateUserPage(tab).expectOn(LA, { status: 400, error: true });
    await tabTo(tab, refused.errorSummary.getByRole('link', { name: 'Enter email address' }));
    await page.keyboard.press('Enter');
    await expectFocusOn(tab, form.getByLabel('Email address', { exact: true }));
    await page.keyboard.type('ivan.keys@example.gov.uk');
    await activate(tab, form.getByRole('button', { name: 'Create user and send invitation', exact: true }));
    const user = await new UserPage(tab, 'Ivan Keys').expectOn();
    expect(await user.summary()).toMatchObject({ 'Type of User': 'Read only' });
  });
});

describe('the keyboard checks themselves', () => {
  /** A page of its own (no server): the checks must fail where a keyboard user would be stuck or lost. */
  async function bare(body: string) {
    const context = await journey.browser.newContext();
    const page = await context.newPage();
    await page.setContent(
      `<!doctype html><html lang="en"><head><title>t</title><style>:focus { outline: 3px solid #ffdd00; }</style></head><body>${body}</body></html>`,
    );
    return { tab: { page, javaScript: true, navigate: (action: () => Promise<unknown>) => action() }, context };
  }

  it('fail on a focus that cannot be seen, a trap, an unreachable control and a tab order out of document order', async () => {
    const cases: [string, string, (tab: Awaited<ReturnType<typeof bare>>['tab']) => Promise<unknown>, RegExp][] = [
      [
        'invisible focus',
        '<a href="#a">A</a><button style="outline: none">B</button>',
        (tab) => tabThroughPage(tab),
        /focus visible on button "B"/,
      ],
      [
        'visually hidden but focusable',
        '<a href="#a">A</a><a href="#b" style="position:absolute;width:1px;height:1px;overflow:hidden">B</a>',
        (tab) => tabThroughPage(tab),
        /focus visible on a "B".*1×1px/,
      ],
      [
        'a trap',
        `<input aria-label="one" id="one"><input aria-label="two" id="two"><a href="#c">C</a>
         <script>two.addEventListener('keydown', (e) => { if (e.key === 'Tab') { e.preventDefault(); one.focus(); } });</script>`,
        (tab) => tabThroughPage(tab, 20),
        /Tab went round to input#one "one" without leaving the page/,
      ],
      [
        'the same trap, on the way to a control',
        `<input aria-label="one" id="one"><input aria-label="two" id="two"><a href="#c">C</a>
         <script>two.addEventListener('keydown', (e) => { if (e.key === 'Tab') { e.preventDefault(); one.focus(); } });</script>`,
        (tab) => tabTo(tab, tab.page.getByRole('link', { name: 'C' }), { max: 20 }),
        /Tab never reached .*stops: input#one "one", input#two "two", input#one "one"/,
      ],
      [
        'unreachable',
        '<a href="#a">A</a><button tabindex="-1">B</button>',
        (tab) => tabTo(tab, tab.page.getByRole('button', { name: 'B' })),
        /Tab never reached/,
      ],
      [
        'out of order',
        '<a href="#a">A</a><a href="#b" tabindex="1">B</a>',
        (tab) => tabThroughPage(tab),
        /stops in document order/,
      ],
    ];
    for (const [what, body, check, error] of cases) {
      const { tab, context } = await bare(body);
      await expect(check(tab), what).rejects.toThrow(error);
      await context.close();
    }
    // And a page with none of these passes.
    const { tab, context } = await bare('<a href="#a">A</a><button>B</button><input aria-label="C">');
    expect(await tabThroughPage(tab)).toEqual(['a "A"', 'button "B"', 'input "C"']);
    await context.close();
  });
});
