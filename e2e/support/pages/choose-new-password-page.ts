import { expect } from 'vitest';
import type { JourneyTab } from '../browser.ts';
import { NexusPage, PLATFORM } from './nexus-page.ts';

export class ChooseNewPasswordPage extends NexusPage {
  static async open(tab: JourneyTab, link: string): Promise<ChooseNewPasswordPage> {
    await tab.goto(link);
    return new ChooseNewPasswordPage(tab).expectOn();
  }

  async expectOn(): Promise<this> {
    await this.arrive({
      path: /^\/reset-password\/[^/]+$/,
      heading: 'Choose a new password',
      title: `Choose a new password – ${PLATFORM}`,
    });
    expect(await this.page.getByLabel('New password', { exact: true }).getAttribute('autocomplete')).toBe(
      'new-password',
    );
    return this;
  }
}
