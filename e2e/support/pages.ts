import type { Locator, Page } from 'playwright-core';
import { expect } from 'vitest';
import type { JourneyTab } from './browser.ts';

/**
 * Page objects for the sign-in journeys. Arriving on a page (`arrive`) checks where we are
 * (path, status, <h1>, <title>, the Nexus frame) and runs axe on it, so no page of a journey
 * goes unchecked. Actions return the page object of the page they lead to.
 */
export const PLATFORM = 'Nexus';

interface Expected {
  path: RegExp;
  heading: string;
  title: string;
  status?: number;
}

export abstract class NexusPage {
  constructor(readonly tab: JourneyTab) {}

  get page(): Page {
    return this.tab.page;
  }

  /** Checks the page the tab shows is this one, and audits it. */
  protected async arrive(expected: Expected): Promise<this> {
    const { page } = this;
    const loaded = this.tab.documents.at(-1);
    expect(loaded?.url, 'a document was loaded').toBe(page.url());
    expect(new URL(page.url()).pathname).toMatch(expected.path);
    expect(loaded?.status, `status of ${page.url()}`).toBe(expected.status ?? 200);
    expect(await page.locator('h1').allInnerTexts()).toEqual([expected.heading]);
    expect(await page.title()).toBe(expected.title);
    await this.expectNexusFrame();
    // JavaScript state: GOV.UK Frontend's inline (nonce'd) script ran, or nothing ran at all.
    const supported = await page.evaluate(() => document.body.classList.contains('govuk-frontend-supported'));
    expect(supported, 'govuk-frontend-supported on <body>').toBe(this.tab.javaScript);
    await this.tab.audit();
    return this;
  }

  /** The platform's own header: "Nexus" and the service name, no crown, no GOV.UK logo. */
  private async expectNexusFrame(): Promise<void> {
    const header = this.page.locator('header.govuk-template__header');
    expect(await header.count()).toBe(1);
    const home = header.getByRole('link', { name: PLATFORM, exact: true });
    expect(await home.getAttribute('href')).toBe('/');
    expect(await header.locator('.govuk-service-navigation__service-name').innerText()).toBe('Account administration');
    expect(await header.locator('svg, img, .govuk-header__logo, .govuk-header__crown, [class*="crown"]').count()).toBe(
      0,
    );
    expect(await this.page.locator('body').innerText()).not.toMatch(/GOV\.UK|Crown copyright/);
  }

  /** Name and LA of the signed-in person in the header, or null when signed out. */
  async signedInAs(): Promise<{ name: string; la: string } | null> {
    const account = this.page.locator('.nexus-header__account');
    if ((await account.count()) === 0) return null;
    const la = (await account.locator('.nexus-header__account-la').innerText()).trim();
    const text = (await account.locator('.nexus-header__account-name').innerText()).replace(/\s+/g, ' ').trim();
    return {
      name: text
        .replace(/^Signed in as /, '')
        .replace(la, '')
        .replace(/[,\s]+$/, '')
        .trim(),
      la,
    };
  }

  /** The success banner's text, or null. */
  async notification(): Promise<string | null> {
    const banner = this.page.locator('.govuk-notification-banner--success');
    return (await banner.count()) === 0
      ? null
      : (await banner.locator('.govuk-notification-banner__content').innerText()).trim();
  }

  get errorSummary(): Locator {
    return this.page.locator('.govuk-error-summary');
  }

  async errorSummaryItems(): Promise<string[]> {
    return (await this.errorSummary.locator('.govuk-error-summary__list a').allInnerTexts()).map((t) => t.trim());
  }

  async fieldError(id: string): Promise<string> {
    return (await this.page.locator(`#${id}-error`).innerText()).replace(/^Error:\s*/, '').trim();
  }

  /** Id of the focused element (or its class when it has no id). */
  async focused(): Promise<string> {
    return this.page.evaluate(() => {
      const active = document.activeElement;
      return active ? active.id || active.className : '';
    });
  }

  async navigation(): Promise<string[]> {
    return (await this.page.locator('.govuk-service-navigation__list a').allInnerTexts()).map((t) => t.trim());
  }

  async signOut(): Promise<SignInPage> {
    await this.tab.navigate(() => this.page.locator('header').getByRole('button', { name: 'Sign out' }).click());
    return new SignInPage(this.tab).expectOn();
  }

  async openMyAccount(): Promise<MyAccountPage> {
    await this.tab.navigate(() =>
      this.page.locator('.govuk-service-navigation').getByRole('link', { name: 'My account' }).click(),
    );
    return new MyAccountPage(this.tab).expectOn();
  }

  protected async submit(button: string): Promise<void> {
    await this.tab.navigate(() => this.page.locator('main').getByRole('button', { name: button, exact: true }).click());
  }
}

export class SignInPage extends NexusPage {
  static async open(tab: JourneyTab): Promise<SignInPage> {
    await tab.goto('/sign-in');
    return new SignInPage(tab).expectOn();
  }

  async expectOn(options: { status?: number; error?: boolean } = {}): Promise<this> {
    await this.arrive({
      path: /^\/sign-in$/,
      heading: 'Sign in',
      title: `${options.error ? 'Error: ' : ''}Sign in – ${PLATFORM}`,
      status: options.status,
    });
    expect(await this.page.getByLabel('Username', { exact: true }).getAttribute('autocomplete')).toBe('username');
    expect(await this.page.getByLabel('Password', { exact: true }).getAttribute('autocomplete')).toBe(
      'current-password',
    );
    expect(await this.signedInAs()).toBeNull();
    return this;
  }

  private async fill(username: string, password: string): Promise<void> {
    await this.page.getByLabel('Username', { exact: true }).fill(username);
    await this.page.getByLabel('Password', { exact: true }).fill(password);
    await this.submit('Continue');
  }

  /** A refused sign-in: the same page again, with an error. */
  async signInRefused(username: string, password: string, status = 401): Promise<SignInPage> {
    await this.fill(username, password);
    return new SignInPage(this.tab).expectOn({ status, error: true });
  }

  /** First sign-in of an account without two-factor authentication. */
  async signInFirstTime(username: string, password: string): Promise<TwoFactorSetupPage> {
    await this.fill(username, password);
    return new TwoFactorSetupPage(this.tab).expectOn();
  }

  async signIn(username: string, password: string): Promise<TwoFactorPage> {
    await this.fill(username, password);
    return new TwoFactorPage(this.tab).expectOn();
  }

  async forgottenPassword(): Promise<ForgotPasswordPage> {
    await this.tab.navigate(() => this.page.getByRole('link', { name: 'I have forgotten my password' }).click());
    return new ForgotPasswordPage(this.tab).expectOn();
  }
}

export class TwoFactorSetupPage extends NexusPage {
  async expectOn(): Promise<this> {
    await this.arrive({
      path: /^\/sign-in\/two-factor\/setup$/,
      heading: 'Set up two-factor authentication',
      title: `Set up two-factor authentication – ${PLATFORM}`,
    });
    await expectOneTimeCodeInput(this.page.getByLabel('Security code', { exact: true }));
    return this;
  }

  get qrCode(): Locator {
    return this.page.locator('.app-qr-code svg');
  }

  /** The key shown as text beneath the QR code, without the spaces that group it. */
  async key(): Promise<string> {
    const text = await this.page.locator('#secret-key').innerText();
    return text.replace(/\s+/g, '');
  }

  /** A correct code: on to the home page of `name`. */
  async confirm(code: string, name: string): Promise<HomePage> {
    await this.page.getByLabel('Security code', { exact: true }).fill(code);
    await this.submit('Confirm and sign in');
    return new HomePage(this.tab).expectOn(name);
  }
}

export class TwoFactorPage extends NexusPage {
  async expectOn(options: { status?: number; error?: boolean } = {}): Promise<this> {
    await this.arrive({
      path: /^\/sign-in\/two-factor$/,
      heading: 'Enter your security code',
      title: `${options.error ? 'Error: ' : ''}Enter your security code – ${PLATFORM}`,
      status: options.status,
    });
    await expectOneTimeCodeInput(this.page.getByLabel('Enter your security code', { exact: true }));
    return this;
  }

  private async fill(code: string): Promise<void> {
    await this.page.getByLabel('Enter your security code', { exact: true }).fill(code);
    await this.submit('Sign in');
  }

  /** A correct, unused code: on to the home page of `name`. */
  async enterCode(code: string, name: string): Promise<HomePage> {
    await this.fill(code);
    return new HomePage(this.tab).expectOn(name);
  }

  /** A wrong or used code: the same page again with the error. */
  async enterCodeRefused(code: string): Promise<TwoFactorPage> {
    await this.fill(code);
    return new TwoFactorPage(this.tab).expectOn({ status: 401, error: true });
  }
}

async function expectOneTimeCodeInput(input: Locator): Promise<void> {
  expect(await input.getAttribute('autocomplete')).toBe('one-time-code');
  expect(await input.getAttribute('inputmode')).toBe('numeric');
}

export class HomePage extends NexusPage {
  async expectOn(name: string): Promise<this> {
    await this.arrive({ path: /^\/$/, heading: name, title: `Home – ${PLATFORM}` });
    return this;
  }

  /** The "who you are" summary list as key → value. */
  async summary(): Promise<Record<string, string>> {
    return summaryList(this.page.locator('main .govuk-summary-list'));
  }

  async privileges(): Promise<string[]> {
    const list = this.page.locator('main h2:text-is("Your privileges") + ul > li > strong');
    return (await list.allInnerTexts()).map((t) => t.trim());
  }
}

export class MyAccountPage extends NexusPage {
  async expectOn(): Promise<this> {
    await this.arrive({ path: /^\/my-account$/, heading: 'My account', title: `My account – ${PLATFORM}` });
    return this;
  }

  async summary(): Promise<Record<string, string>> {
    return summaryList(this.page.locator('main .govuk-summary-list'));
  }
}

async function summaryList(list: Locator): Promise<Record<string, string>> {
  const rows = list.locator('.govuk-summary-list__row');
  const out: Record<string, string> = {};
  for (let i = 0; i < (await rows.count()); i++) {
    const row = rows.nth(i);
    out[(await row.locator('.govuk-summary-list__key').innerText()).trim()] = (
      await row.locator('.govuk-summary-list__value').innerText()
    ).trim();
  }
  return out;
}

export class ForgotPasswordPage extends NexusPage {
  async expectOn(): Promise<this> {
    await this.arrive({
      path: /^\/forgot-password$/,
      heading: 'Reset your password',
      title: `Reset your password – ${PLATFORM}`,
    });
    return this;
  }

  async requestLink(username: string): Promise<CheckEmailPage> {
    await this.page.getByLabel('Username', { exact: true }).fill(username);
    await this.submit('Send reset link');
    return new CheckEmailPage(this.tab).expectOn();
  }
}

export class CheckEmailPage extends NexusPage {
  async expectOn(): Promise<this> {
    await this.arrive({
      path: /^\/forgot-password$/,
      heading: 'Check your email',
      title: `Check your email – ${PLATFORM}`,
    });
    return this;
  }
}

export class ChooseNewPasswordPage extends NexusPage {
  static async open(tab: JourneyTab, link: string): Promise<ChooseNewPasswordPage> {
    await tab.goto(link);
    return new ChooseNewPasswordPage(tab).expectOn();
  }

  async expectOn(): Promise<this> {
    await this.arrive({
      path: /^\/reset-password\/[^/]+$/,
      heading: 'Choose a new password',
      title: `Choose a new password – ${PLATFORM}`,
    });
    expect(await this.page.getByLabel('New password', { exact: true }).getAttribute('autocomplete')).toBe(
      'new-password',
    );
    return this;
  }
}

export class LinkExpiredPage extends NexusPage {
  static async open(tab: JourneyTab, link: string): Promise<LinkExpiredPage> {
    await tab.goto(link);
    return new LinkExpiredPage(tab).expectOn();
  }

  async expectOn(): Promise<this> {
    await this.arrive({
      path: /^\/reset-password\/[^/]+$/,
      heading: 'This link has expired',
      title: `This link has expired – ${PLATFORM}`,
      status: 410,
    });
    return this;
  }
}

export class NotFoundPage extends NexusPage {
  static async open(tab: JourneyTab, path: string): Promise<NotFoundPage> {
    await tab.goto(path);
    return new NotFoundPage(tab).expectOn();
  }

  async expectOn(): Promise<this> {
    await this.arrive({ path: /.*/, heading: 'Page not found', title: `Page not found – ${PLATFORM}`, status: 404 });
    return this;
  }
}

// ---------------------------------------------------------------------------------------------
// Admin pages (issue 3). Same rule: arriving checks path, status, <h1>, <title>, the frame, axe.
// ---------------------------------------------------------------------------------------------

const ADMIN = 'Admin';
const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';

function errorPrefix(error?: boolean): string {
  return error ? 'Error: ' : '';
}

/** The body rows of a table as arrays of cell texts (whitespace collapsed). */
export async function tableRows(table: Locator): Promise<string[][]> {
  return table
    .locator('tbody tr')
    .evaluateAll((rows) =>
      rows.map((row) =>
        [...row.querySelectorAll('th, td')].map((cell) => (cell as HTMLElement).innerText.replace(/\s+/g, ' ').trim()),
      ),
    );
}

/** The body rows of a table as header → cell text records. */
export async function tableRecords(table: Locator): Promise<Record<string, string>[]> {
  const headers = (await table.locator('thead th').allInnerTexts()).map((t) => t.replace(/\s+/g, ' ').trim());
  return (await tableRows(table)).map((cells) => Object.fromEntries(cells.map((c, i) => [headers[i] || `#${i}`, c])));
}

/** Pages with a success banner and a link or button in <main> that leads on. */
abstract class AdminPage extends NexusPage {
  protected async follow(name: string | RegExp, role: 'link' | 'button' = 'link'): Promise<void> {
    await this.tab.navigate(() =>
      this.page
        .locator('main')
        .getByRole(role, { name, exact: typeof name === 'string' })
        .first()
        .click(),
    );
  }

  protected async followNavigation(name: string): Promise<void> {
    await this.tab.navigate(() =>
      this.page.locator('.govuk-service-navigation').getByRole('link', { name, exact: true }).click(),
    );
  }

  async openUsers(la: string): Promise<UsersListPage> {
    await this.followNavigation('Users');
    return new UsersListPage(this.tab).expectOn(la);
  }

  async openArchivedUsers(la: string): Promise<ArchivedUsersPage> {
    await this.followNavigation('Archived users');
    return new ArchivedUsersPage(this.tab).expectOn(la);
  }

  async openSchoolGroups(la: string): Promise<SchoolGroupsPage> {
    await this.followNavigation('School groups');
    return new SchoolGroupsPage(this.tab).expectOn(la);
  }

  async openAuditLog(la: string): Promise<AuditLogPage> {
    await this.followNavigation('Audit');
    return new AuditLogPage(this.tab).expectOn(la);
  }

  async openAccessibility(): Promise<AccessibilityPage> {
    await this.tab.navigate(() =>
      this.page.locator('footer, .govuk-footer').getByRole('link', { name: 'Accessibility', exact: true }).click(),
    );
    return new AccessibilityPage(this.tab).expectOn();
  }
}

export interface UserFilters {
  q?: string;
  inactiveMonths?: string;
  type?: string;
  privilege?: string;
  status?: string;
}

/** Admin > Users of the administrator's own LA (R19–R22). */
export class UsersListPage extends AdminPage {
  la = '';

  /** From any page: "Users" in the service navigation. */
  static async fromNavigation(from: NexusPage, la: string): Promise<UsersListPage> {
    await from.tab.navigate(() =>
      from.page.locator('.govuk-service-navigation').getByRole('link', { name: 'Users', exact: true }).click(),
    );
    return new UsersListPage(from.tab).expectOn(la);
  }

  static async open(tab: JourneyTab, la: string, query = ''): Promise<UsersListPage> {
    await tab.goto(`/admin/users${query}`);
    return new UsersListPage(tab).expectOn(la);
  }

  async expectOn(la: string, options: { status?: number; error?: boolean } = {}): Promise<this> {
    this.la = la;
    await this.arrive({
      path: /^\/admin\/users$/,
      heading: `Users of ${la}`,
      title: `${errorPrefix(options.error)}Users of ${la} – ${ADMIN} – ${PLATFORM}`,
      status: options.status,
    });
    return this;
  }

  get table(): Locator {
    return this.page.locator('main table.app-users-table');
  }

  async rows(): Promise<Record<string, string>[]> {
    return tableRecords(this.table);
  }

  async names(): Promise<string[]> {
    return (await this.rows()).map((r) => r['Name']!);
  }

  /** "12 accounts". */
  async total(): Promise<string> {
    return (await this.page.locator('main [role="status"]').innerText()).trim();
  }

  async filter(filters: UserFilters): Promise<UsersListPage> {
    const form = this.page.locator('main form', { has: this.page.getByRole('button', { name: 'Apply filters' }) });
    if (filters.q !== undefined) await form.getByLabel('Name, username or email').fill(filters.q);
    if (filters.inactiveMonths !== undefined)
      await form.getByLabel('Not signed in for at least').fill(filters.inactiveMonths);
    if (filters.type !== undefined) await form.getByLabel('Type of User').selectOption({ label: filters.type });
    if (filters.privilege !== undefined)
      await form.getByLabel('Holds privilege').selectOption({ label: filters.privilege });
    if (filters.status !== undefined) await form.getByLabel('Status').selectOption({ label: filters.status });
    await this.submit('Apply filters');
    return new UsersListPage(this.tab).expectOn(this.la);
  }

  async clearFilters(): Promise<UsersListPage> {
    await this.follow('Clear filters');
    return new UsersListPage(this.tab).expectOn(this.la);
  }

  async nextPage(): Promise<UsersListPage> {
    await this.tab.navigate(() => this.page.locator('main .govuk-pagination__next a').click());
    return new UsersListPage(this.tab).expectOn(this.la);
  }

  async sortBy(column: 'Name' | 'Last sign-in'): Promise<UsersListPage> {
    await this.tab.navigate(() => this.table.locator('thead').getByRole('link', { name: column, exact: true }).click());
    return new UsersListPage(this.tab).expectOn(this.la);
  }

  /** The LA picker at the top: another LA shows its contacts only (R5). */
  async showContactsOf(laOption: string, la: string): Promise<ContactsPage> {
    await this.page.getByLabel('Local Authority', { exact: true }).selectOption({ label: laOption });
    await this.submit('Show');
    return new ContactsPage(this.tab).expectOn(la);
  }

  async createUser(la: string): Promise<CreateUserPage> {
    await this.follow('Create user', 'button');
    return new CreateUserPage(this.tab).expectOn(la);
  }

  async openUser(name: string): Promise<UserPage> {
    await this.tab.navigate(() => this.table.getByRole('link', { name, exact: true }).click());
    return new UserPage(this.tab, name).expectOn();
  }
}

/** Another LA in the picker: name, email and job title only (R5). */
export class ContactsPage extends AdminPage {
  async expectOn(la: string): Promise<this> {
    await this.arrive({
      path: /^\/admin\/users$/,
      heading: `Contacts at ${la}`,
      title: `Contacts at ${la} – ${ADMIN} – ${PLATFORM}`,
    });
    return this;
  }

  get table(): Locator {
    return this.page.locator('main table');
  }

  async rows(): Promise<Record<string, string>[]> {
    return tableRecords(this.table);
  }

  async showLa(laOption: string, la: string): Promise<UsersListPage> {
    await this.page.getByLabel('Local Authority', { exact: true }).selectOption({ label: laOption });
    await this.submit('Show');
    return new UsersListPage(this.tab).expectOn(la);
  }
}

export interface NewUser {
  username: string;
  firstName: string;
  lastName: string;
  email: string;
  jobTitle?: string;
  phone?: string;
  type: string;
}

export class CreateUserPage extends AdminPage {
  la = '';

  async expectOn(la: string, options: { status?: number; error?: boolean } = {}): Promise<this> {
    this.la = la;
    await this.arrive({
      path: /^\/admin\/users\/new$/,
      heading: 'Create user',
      title: `${errorPrefix(options.error)}Create user – ${ADMIN} – ${PLATFORM}`,
      status: options.status,
    });
    expect(await this.page.locator('main .govuk-caption-l').innerText()).toBe(la);
    return this;
  }

  private async fill(user: NewUser): Promise<void> {
    const main = this.page.locator('main');
    await main.getByLabel('Username', { exact: true }).fill(user.username);
    await main.getByLabel('First name', { exact: true }).fill(user.firstName);
    await main.getByLabel('Last name', { exact: true }).fill(user.lastName);
    await main.getByLabel('Email address', { exact: true }).fill(user.email);
    await main.getByLabel('Job title (optional)', { exact: true }).fill(user.jobTitle ?? '');
    await main.getByLabel('Phone (optional)', { exact: true }).fill(user.phone ?? '');
    await main.getByRole('radio', { name: user.type, exact: true }).check();
    await this.submit('Create user and send invitation');
  }

  async createRefused(user: NewUser): Promise<CreateUserPage> {
    await this.fill(user);
    return new CreateUserPage(this.tab).expectOn(this.la, { status: 400, error: true });
  }

  async create(user: NewUser): Promise<UserPage> {
    await this.fill(user);
    return new UserPage(this.tab, `${user.firstName} ${user.lastName}`).expectOn();
  }
}

export type UserTab = 'Details' | 'Communications' | 'Schools' | 'Privileges' | 'Audit';

/** The user page (R24) and its tabs (R25–R27): one page object, `which` names the tab shown. */
export class UserPage extends AdminPage {
  constructor(
    tab: JourneyTab,
    readonly name: string,
  ) {
    super(tab);
  }

  async expectOn(which: UserTab = 'Details', options: { status?: number; error?: boolean } = {}): Promise<this> {
    const suffix = which === 'Details' ? '' : `/${which.toLowerCase()}`;
    await this.arrive({
      path: new RegExp(`^/admin/users/${UUID}${suffix}$`),
      heading: this.name,
      title: `${errorPrefix(options.error)}${which === 'Details' ? '' : `${which} – `}${this.name} – ${ADMIN} – ${PLATFORM}`,
      status: options.status,
    });
    const current = this.page.locator('main .moj-sub-navigation [aria-current="page"]');
    expect(await current.innerText()).toBe(which);
    return this;
  }

  get id(): string {
    return new RegExp(`/admin/users/(${UUID})`).exec(this.page.url())![1]!;
  }

  /** The status tag beside the name: "Active", "Archived". */
  async status(): Promise<string> {
    return (await this.page.locator('main .app-identity .govuk-tag').innerText()).trim();
  }

  async summary(): Promise<Record<string, string>> {
    return summaryList(this.page.locator('main .govuk-summary-list'));
  }

  async openTab(which: UserTab): Promise<UserPage> {
    await this.tab.navigate(() =>
      this.page.locator('main .moj-sub-navigation').getByRole('link', { name: which, exact: true }).click(),
    );
    return new UserPage(this.tab, this.name).expectOn(which);
  }

  async editDetails(): Promise<EditUserPage> {
    await this.follow('Change name');
    return new EditUserPage(this.tab, this.name).expectOn();
  }

  // Communications tab --------------------------------------------------------------------------

  /** Topic → "Subscribed" / "Not subscribed"; a recommended topic's name ends in "Recommended". */
  async topics(): Promise<Record<string, string>> {
    const lines = (await this.page.locator('main .app-topics li').allInnerTexts()).map((t) =>
      t.replace(/\s+/g, ' ').trim(),
    );
    return Object.fromEntries(
      lines.map((line) => {
        const at = line.lastIndexOf(': ');
        return [line.slice(0, at), line.slice(at + 2)];
      }),
    );
  }

  // Schools tab ---------------------------------------------------------------------------------

  get schoolsTable(): Locator {
    return this.page.locator('main table').first();
  }

  async schools(): Promise<Record<string, string>[]> {
    return tableRecords(this.schoolsTable);
  }

  async addSchool(school: string, role: string): Promise<UserPage> {
    const form = this.page.locator('main form', { has: this.page.getByRole('button', { name: 'Add school' }) });
    await form.getByLabel('School', { exact: true }).selectOption({ label: school });
    await form.getByLabel('Role', { exact: true }).selectOption({ label: role });
    await this.submit('Add school');
    return new UserPage(this.tab, this.name).expectOn('Schools');
  }

  async removeSchool(school: string): Promise<UserPage> {
    await this.tab.navigate(() =>
      this.schoolsTable.getByRole('button', { name: `Remove ${school}`, exact: true }).click(),
    );
    return new UserPage(this.tab, this.name).expectOn('Schools');
  }

  /** "Replace all schools": tick exactly `schools` (labels as shown), new ones get `role`. */
  async replaceSchools(schools: string[], role: string): Promise<UserPage> {
    const details = this.page.locator('main details.govuk-details');
    await details.locator('summary').click();
    const boxes = details.getByRole('checkbox');
    for (let i = 0; i < (await boxes.count()); i++) {
      const box = boxes.nth(i);
      const label = (await details.locator(`label[for="${await box.getAttribute('id')}"]`).innerText()).trim();
      await box.setChecked(schools.includes(label));
    }
    await details.getByLabel('Role for newly added schools').selectOption({ label: role });
    await this.submit('Replace schools');
    return new UserPage(this.tab, this.name).expectOn('Schools');
  }

  // Privileges tab ------------------------------------------------------------------------------

  async checkedPrivileges(): Promise<string[]> {
    const boxes = this.page.locator('main input[name="privileges"]:checked');
    const ids = await boxes.evaluateAll((inputs) => inputs.map((i) => i.id));
    const labels: string[] = [];
    for (const id of ids) labels.push((await this.page.locator(`label[for="${id}"]`).innerText()).trim());
    return labels;
  }

  async chooseType(type: string): Promise<void> {
    await this.page.locator('main').getByRole('radio', { name: type, exact: true }).check();
  }

  /** The no-JavaScript step (works with JavaScript too): the type's defaults ticked, not yet saved. */
  async applyDefaults(): Promise<UserPage> {
    await this.submit('Apply the defaults of this type');
    return new UserPage(this.tab, this.name).expectOn('Privileges');
  }

  async setPrivilege(label: string, checked: boolean): Promise<void> {
    await this.page.locator('main').getByRole('checkbox', { name: label, exact: true }).setChecked(checked);
  }

  get cinClaAgreedBy(): Locator {
    return this.page.getByLabel('Who agreed this access?', { exact: true });
  }

  async savePrivileges(options: { status?: number; error?: boolean } = {}): Promise<UserPage> {
    await this.submit('Save privileges');
    return new UserPage(this.tab, this.name).expectOn('Privileges', options);
  }

  /** Enter in the "Who agreed this access?" field saves (it must not apply the type's defaults). */
  async savePrivilegesWithEnter(): Promise<UserPage> {
    await this.tab.navigate(() => this.cinClaAgreedBy.press('Enter'));
    return new UserPage(this.tab, this.name).expectOn('Privileges');
  }

  /** The inset "Differs from the defaults of …", or null. */
  async differsFromDefaults(): Promise<string | null> {
    const inset = this.page.locator('main .govuk-inset-text', { hasText: 'Differs from the defaults' });
    return (await inset.count()) === 0 ? null : (await inset.innerText()).trim();
  }

  // Audit tab -----------------------------------------------------------------------------------

  async timeline(): Promise<string[]> {
    return (await this.page.locator('main .moj-timeline__title').allInnerTexts()).map((t) => t.trim());
  }

  // Account actions -----------------------------------------------------------------------------

  async startResetTwoFactor(): Promise<ConfirmPage> {
    await this.follow('Reset two-factor authentication');
    return new ConfirmPage(this.tab, this.name).expectOn('reset-two-factor');
  }

  async startArchive(): Promise<ConfirmPage> {
    await this.follow('Archive account');
    return new ConfirmPage(this.tab, this.name).expectOn('archive');
  }

  async startDelete(): Promise<ConfirmPage> {
    await this.follow('Delete account');
    return new ConfirmPage(this.tab, this.name).expectOn('delete');
  }

  async restore(): Promise<UserPage> {
    await this.follow('Restore account', 'button');
    return new UserPage(this.tab, this.name).expectOn();
  }
}

export class EditUserPage extends AdminPage {
  constructor(
    tab: JourneyTab,
    readonly name: string,
  ) {
    super(tab);
  }

  async expectOn(options: { status?: number; error?: boolean } = {}): Promise<this> {
    await this.arrive({
      path: new RegExp(`^/admin/users/${UUID}/edit$`),
      heading: 'Edit user details',
      title: `${errorPrefix(options.error)}Edit user details – ${this.name} – ${ADMIN} – ${PLATFORM}`,
      status: options.status,
    });
    return this;
  }

  async setGroups(groups: Record<string, boolean>, defaultGroup: string): Promise<void> {
    const fieldset = this.page.locator('main fieldset', {
      has: this.page.locator('legend', { hasText: 'School groups' }),
    });
    for (const [name, checked] of Object.entries(groups))
      await fieldset.getByRole('checkbox', { name, exact: true }).setChecked(checked);
    await this.page.getByLabel('Default School Group', { exact: true }).selectOption({ label: defaultGroup });
  }

  async save(): Promise<UserPage> {
    await this.submit('Save changes');
    return new UserPage(this.tab, this.name).expectOn();
  }
}

const CONFIRMATIONS = {
  archive: {
    title: (n: string) => `Archive ${n}`,
    heading: (n: string) => `Archive ${n}'s account`,
    button: 'Archive account',
  },
  delete: {
    title: (n: string) => `Delete ${n}`,
    heading: (n: string) => `Delete ${n}'s account`,
    button: 'Delete account',
  },
  'reset-two-factor': {
    title: (n: string) => `Reset two-factor authentication for ${n}`,
    heading: (n: string) => `Reset two-factor authentication for ${n}`,
    button: 'Reset two-factor authentication',
  },
} as const;

/** Archive, delete and reset-2FA confirmation pages (R28–R31). */
export class ConfirmPage extends AdminPage {
  kind: keyof typeof CONFIRMATIONS = 'archive';

  constructor(
    tab: JourneyTab,
    readonly name: string,
  ) {
    super(tab);
  }

  async expectOn(kind: keyof typeof CONFIRMATIONS): Promise<this> {
    this.kind = kind;
    const c = CONFIRMATIONS[kind];
    await this.arrive({
      path: new RegExp(`^/admin/users/${UUID}/${kind}$`),
      heading: c.heading(this.name),
      title: `${c.title(this.name)} – ${ADMIN} – ${PLATFORM}`,
    });
    return this;
  }

  async paragraphs(): Promise<string[]> {
    return (await this.page.locator('main p.govuk-body').allInnerTexts()).map((t) => t.trim());
  }

  async warning(): Promise<string> {
    return (await this.page.locator('main .govuk-warning-text__text').innerText()).replace(/^Warning\s*/, '').trim();
  }

  get button(): Locator {
    return this.page.locator('main').getByRole('button', { name: CONFIRMATIONS[this.kind].button, exact: true });
  }

  /** Confirms; archive and reset lead back to the user page. */
  async confirm(): Promise<UserPage> {
    await this.submit(CONFIRMATIONS[this.kind].button);
    return new UserPage(this.tab, this.name).expectOn();
  }

  /** Confirms a deletion, which leads to Admin > Users. */
  async confirmDelete(la: string): Promise<UsersListPage> {
    await this.submit(CONFIRMATIONS.delete.button);
    return new UsersListPage(this.tab).expectOn(la);
  }

  async cancel(): Promise<UserPage> {
    await this.follow('Cancel');
    return new UserPage(this.tab, this.name).expectOn();
  }
}

export class ArchivedUsersPage extends AdminPage {
  la = '';

  async expectOn(la: string): Promise<this> {
    this.la = la;
    await this.arrive({
      path: /^\/admin\/archived-users$/,
      heading: `Archived users of ${la}`,
      title: `Archived users – ${ADMIN} – ${PLATFORM}`,
    });
    return this;
  }

  async rows(): Promise<Record<string, string>[]> {
    return tableRecords(this.page.locator('main table'));
  }

  async restore(name: string): Promise<UserPage> {
    await this.follow(`Restore ${name}`, 'button');
    return new UserPage(this.tab, name).expectOn();
  }
}

export class AuditLogPage extends AdminPage {
  la = '';

  async expectOn(la: string): Promise<this> {
    this.la = la;
    await this.arrive({
      path: /^\/admin\/audit$/,
      heading: `Audit log of ${la}`,
      title: `Audit – ${ADMIN} – ${PLATFORM}`,
    });
    return this;
  }

  async rows(): Promise<Record<string, string>[]> {
    return tableRecords(this.page.locator('main table'));
  }

  async filterByAction(action: string): Promise<AuditLogPage> {
    await this.page.getByLabel('Action', { exact: true }).selectOption({ label: action });
    await this.submit('Apply filters');
    return new AuditLogPage(this.tab).expectOn(this.la);
  }
}

export class SchoolGroupsPage extends AdminPage {
  la = '';

  async expectOn(la: string): Promise<this> {
    this.la = la;
    await this.arrive({
      path: /^\/admin\/school-groups$/,
      heading: `School groups of ${la}`,
      title: `School groups – ${ADMIN} – ${PLATFORM}`,
    });
    return this;
  }

  async rows(): Promise<Record<string, string>[]> {
    return tableRecords(this.page.locator('main table'));
  }

  async create(): Promise<SchoolGroupFormPage> {
    await this.follow('Create school group', 'button');
    return new SchoolGroupFormPage(this.tab).expectOn(this.la, 'Create');
  }

  async open(name: string): Promise<SchoolGroupFormPage> {
    await this.follow(name);
    return new SchoolGroupFormPage(this.tab).expectOn(this.la, 'Change');
  }
}

export class SchoolGroupFormPage extends AdminPage {
  la = '';

  async expectOn(
    la: string,
    mode: 'Create' | 'Change',
    options: { status?: number; error?: boolean } = {},
  ): Promise<this> {
    this.la = la;
    await this.arrive({
      path: mode === 'Create' ? /^\/admin\/school-groups\/new$/ : /^\/admin\/school-groups\/\d+$/,
      heading: `${mode} school group`,
      title: `${errorPrefix(options.error)}${mode} school group – ${ADMIN} – ${PLATFORM}`,
      status: options.status,
    });
    return this;
  }

  async fill(name: string, schools: Record<string, boolean>): Promise<void> {
    await this.page.getByLabel('Name', { exact: true }).fill(name);
    const fieldset = this.page.locator('main fieldset', { has: this.page.locator('legend', { hasText: 'Schools' }) });
    for (const [label, checked] of Object.entries(schools))
      await fieldset.getByRole('checkbox', { name: label, exact: true }).setChecked(checked);
  }

  async checkedSchools(): Promise<string[]> {
    const ids = await this.page
      .locator('main input[name="schoolIds"]:checked')
      .evaluateAll((inputs) => inputs.map((i) => i.id));
    const labels: string[] = [];
    for (const id of ids) labels.push((await this.page.locator(`label[for="${id}"]`).innerText()).trim());
    return labels;
  }

  async save(): Promise<SchoolGroupsPage> {
    await this.submit('Save school group');
    return new SchoolGroupsPage(this.tab).expectOn(this.la);
  }

  async startDelete(name: string): Promise<SchoolGroupDeletePage> {
    await this.follow(`Delete ${name}`);
    return new SchoolGroupDeletePage(this.tab).expectOn(this.la, name);
  }
}

export class SchoolGroupDeletePage extends AdminPage {
  la = '';

  async expectOn(la: string, name: string): Promise<this> {
    this.la = la;
    await this.arrive({
      path: /^\/admin\/school-groups\/\d+\/delete$/,
      heading: `Delete ${name}`,
      title: `Delete ${name} – ${ADMIN} – ${PLATFORM}`,
    });
    return this;
  }

  async warning(): Promise<string | null> {
    const warning = this.page.locator('main .govuk-warning-text__text');
    return (await warning.count()) === 0 ? null : (await warning.innerText()).replace(/^Warning\s*/, '').trim();
  }

  async affected(): Promise<string[]> {
    return (await this.page.locator('main ul.govuk-list li').allInnerTexts()).map((t) => t.trim());
  }

  async confirm(): Promise<SchoolGroupsPage> {
    await this.submit('Delete school group');
    return new SchoolGroupsPage(this.tab).expectOn(this.la);
  }
}

/** My account > Communications (R25): the account holder's own topics. */
export class MyCommunicationsPage extends AdminPage {
  static async open(tab: JourneyTab): Promise<MyCommunicationsPage> {
    await tab.goto('/my-account/communications');
    return new MyCommunicationsPage(tab).expectOn();
  }

  async expectOn(): Promise<this> {
    await this.arrive({
      path: /^\/my-account\/communications$/,
      heading: 'Communications',
      title: `Communications – My account – ${PLATFORM}`,
    });
    return this;
  }

  async subscribed(): Promise<string[]> {
    const ids = await this.page
      .locator('main input[name="topics"]:checked')
      .evaluateAll((inputs) => inputs.map((i) => i.id));
    const labels: string[] = [];
    for (const id of ids) labels.push((await this.page.locator(`label[for="${id}"]`).innerText()).trim());
    return labels;
  }

  async set(topic: string, checked: boolean): Promise<void> {
    await this.page.locator('main').getByRole('checkbox', { name: topic, exact: true }).setChecked(checked);
  }

  async save(): Promise<MyCommunicationsPage> {
    await this.submit('Save preferences');
    return new MyCommunicationsPage(this.tab).expectOn();
  }
}

export class AccessibilityPage extends AdminPage {
  async expectOn(): Promise<this> {
    await this.arrive({
      path: /^\/accessibility$/,
      heading: 'Accessibility statement',
      title: `Accessibility statement – ${PLATFORM}`,
    });
    return this;
  }
}

/** Central support's record of GIAS imports (R58a). */
export class SchoolImportsPage extends AdminPage {
  static async open(tab: JourneyTab): Promise<SchoolImportsPage> {
    await tab.goto('/support/school-imports');
    return new SchoolImportsPage(tab).expectOn();
  }

  async expectOn(): Promise<this> {
    await this.arrive({
      path: /^\/support\/school-imports$/,
      heading: 'School imports',
      title: `School imports – Support – ${PLATFORM}`,
    });
    return this;
  }

  async lastImport(): Promise<Record<string, string>> {
    return summaryList(this.page.locator('main .govuk-summary-list'));
  }
}
