import type { JourneyTab } from '../browser.ts';
import { NexusPage, PLATFORM } from './nexus-page.ts';

export class NotFoundPage extends NexusPage {
  static async open(tab: JourneyTab, path: string): Promise<NotFoundPage> {
    await tab.goto(path);
    return new NotFoundPage(tab).expectOn();
  }

  async expectOn(): Promise<this> {
    await this.arrive({ path: /.*/, heading: 'Page not found', title: `Page not found – ${PLATFORM}`, status: 404 });
    return this;
  }
}
