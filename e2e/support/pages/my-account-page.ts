import { summaryList } from './govuk-components.ts';
import { NexusPage, PLATFORM } from './nexus-page.ts';

export class MyAccountPage extends NexusPage {
  async expectOn(): Promise<this> {
    await this.arrive({ path: /^\/my-account$/, heading: 'My account', title: `My account – ${PLATFORM}` });
    return this;
  }

  async summary(): Promise<Record<string, string>> {
    return summaryList(this.page.locator('main .govuk-summary-list'));
  }
}
