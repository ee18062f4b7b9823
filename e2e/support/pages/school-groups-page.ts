import { ADMIN, AdminPage } from './admin-page.ts';
import { tableRecords } from './govuk-components.ts';
import { PLATFORM } from './nexus-page.ts';
import { SchoolGroupFormPage } from './school-group-form-page.ts';

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
