import { ADMIN, AdminPage } from './admin-page.ts';
import { tableRecords } from './govuk-components.ts';
import { PLATFORM } from './nexus-page.ts';
import { UserPage } from './user-page.ts';

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
