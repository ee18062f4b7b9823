import type { AccessibilityPage } from './accessibility-page.ts';
import type { ArchivedUsersPage } from './archived-users-page.ts';
import type { AuditLogPage } from './audit-log-page.ts';
import { followNavigation } from '../navigation.ts';
import { NexusPage } from './nexus-page.ts';
import type { SchoolGroupsPage } from './school-groups-page.ts';
import type { UsersListPage } from './users-list-page.ts';

/**
 * The base of the admin pages (issue 3). Same rule as every page: arriving checks path, status,
 * <h1>, <title>, the frame, axe. The pages its actions lead to are imported inside them (see nexus-page.ts).
 */

export const ADMIN = 'Admin';
export const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';

export function errorPrefix(error?: boolean): string {
  return error ? 'Error: ' : '';
}

/** Pages with a success banner and a link or button in <main> that leads on. */
export abstract class AdminPage extends NexusPage {
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
    await followNavigation(this.tab, name);
  }

  async openUsers(la: string): Promise<UsersListPage> {
    const { UsersListPage } = await import('./users-list-page.ts');
    await this.followNavigation('Users');
    return new UsersListPage(this.tab).expectOn(la);
  }

  async openArchivedUsers(la: string): Promise<ArchivedUsersPage> {
    const { ArchivedUsersPage } = await import('./archived-users-page.ts');
    await this.followNavigation('Archived users');
    return new ArchivedUsersPage(this.tab).expectOn(la);
  }

  async openSchoolGroups(la: string): Promise<SchoolGroupsPage> {
    const { SchoolGroupsPage } = await import('./school-groups-page.ts');
    await this.followNavigation('School groups');
    return new SchoolGroupsPage(this.tab).expectOn(la);
  }

  async openAuditLog(la: string): Promise<AuditLogPage> {
    const { AuditLogPage } = await import('./audit-log-page.ts');
    await this.followNavigation('Audit');
    return new AuditLogPage(this.tab).expectOn(la);
  }

  async openAccessibility(): Promise<AccessibilityPage> {
    const { AccessibilityPage } = await import('./accessibility-page.ts');
    await this.tab.navigate(() =>
      this.page.locator('footer, .govuk-footer').getByRole('link', { name: 'Accessibility', exact: true }).click(),
    );
    return new AccessibilityPage(this.tab).expectOn();
  }
}
