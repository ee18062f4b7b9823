import type { JourneyTab } from '../browser.ts';
import { AdminPage } from './admin-page.ts';
import { PLATFORM } from './nexus-page.ts';

/** My account > Communications (R25): the account holder's own topics. */
export class MyCommunicationsPage extends AdminPage {
  static async open(tab: JourneyTab): Promise<MyCommunicationsPage> {
    await tab.goto('/my-account/communications');
    return new MyCommunicationsPage(tab).expectOn();
  }

  async expectOn(): Promise<this> {
    await this.arrive({
      path: /^\/my-account\/communications$/,
      heading: 'Communications',
      title: `Communications – My account – ${PLATFORM}`,
    });
    return this;
  }

  async subscribed(): Promise<string[]> {
    const ids = await this.page
      .locator('main input[name="topics"]:checked')
      .evaluateAll((inputs) => inputs.map((i) => i.id));
    const labels: string[] = [];
    for (const id of ids) labels.push((await this.page.locator(`label[for="${id}"]`).innerText()).trim());
    return labels;
  }

  async set(topic: string, checked: boolean): Promise<void> {
    await this.page.locator('main').getByRole('checkbox', { name: topic, exact: true }).setChecked(checked);
  }

  async save(): Promise<MyCommunicationsPage> {
    await this.submit('Save preferences');
    return new MyCommunicationsPage(this.tab).expectOn();
  }
}
