import { summaryList } from './govuk-components.ts';
import { NexusPage, PLATFORM } from './nexus-page.ts';

export class HomePage extends NexusPage {
  async expectOn(name: string): Promise<this> {
    await this.arrive({ path: /^\/$/, heading: name, title: `Home – ${PLATFORM}` });
    return this;
  }

  /** The "who you are" summary list as key → value. */
  async summary(): Promise<Record<string, string>> {
    return summaryList(this.page.locator('main .govuk-summary-list'));
  }

  async privileges(): Promise<string[]> {
    const list = this.page.locator('main h2:text-is("Your privileges") + ul > li > strong');
    return (await list.allInnerTexts()).map((t) => t.trim());
  }
}
