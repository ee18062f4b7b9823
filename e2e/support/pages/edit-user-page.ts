import type { JourneyTab } from '../browser.ts';
import { ADMIN, AdminPage, errorPrefix, UUID } from './admin-page.ts';
import { PLATFORM } from './nexus-page.ts';
import { UserPage } from './user-page.ts';

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
