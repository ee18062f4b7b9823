import type { JourneyTab } from '../browser.ts';
import { NexusPage, PLATFORM } from './nexus-page.ts';

export class LinkExpiredPage extends NexusPage {
  static async open(tab: JourneyTab, link: string): Promise<LinkExpiredPage> {
    await tab.goto(link);
    return new LinkExpiredPage(tab).expectOn();
  }

  async expectOn(): Promise<this> {
    await this.arrive({
      path: /^\/reset-password\/[^/]+$/,
      heading: 'This link has expired',
      title: `This link has expired – ${PLATFORM}`,
      status: 410,
    });
    return this;
  }
}
