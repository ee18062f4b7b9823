import { ADMIN, AdminPage } from './admin-page.ts';
import { PLATFORM } from './nexus-page.ts';
import { SchoolGroupsPage } from './school-groups-page.ts';

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
