import type { Locator } from 'playwright-core';
import { ADMIN, AdminPage } from './admin-page.ts';
import { tableRecords } from './govuk-components.ts';
import { PLATFORM } from './nexus-page.ts';
import { UsersListPage } from './users-list-page.ts';

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
