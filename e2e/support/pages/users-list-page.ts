import type { Locator } from 'playwright-core';
import type { JourneyTab } from '../browser.ts';
import { ADMIN, AdminPage, errorPrefix } from './admin-page.ts';
import { ContactsPage } from './contacts-page.ts';
import { CreateUserPage } from './create-user-page.ts';
import { tableRecords } from './govuk-components.ts';
import { type NexusPage, PLATFORM } from './nexus-page.ts';
import { UserPage } from './user-page.ts';

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
