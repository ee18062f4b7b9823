import type { JourneyTab } from '../browser.ts';
import { AdminPage } from './admin-page.ts';
import { summaryList } from './govuk-components.ts';
import { PLATFORM } from './nexus-page.ts';

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
