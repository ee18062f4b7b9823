import { ADMIN, AdminPage } from './admin-page.ts';
import { tableRecords } from './govuk-components.ts';
import { PLATFORM } from './nexus-page.ts';

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
