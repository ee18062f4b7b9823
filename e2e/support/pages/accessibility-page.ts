import { AdminPage } from './admin-page.ts';
import { PLATFORM } from './nexus-page.ts';

export class AccessibilityPage extends AdminPage {
  async expectOn(): Promise<this> {
    await this.arrive({
      path: /^\/accessibility$/,
      heading: 'Accessibility statement',
      title: `Accessibility statement – ${PLATFORM}`,
    });
    return this;
  }
}
