import type { Locator } from 'playwright-core';
import type { JourneyTab } from '../browser.ts';
import { ADMIN, AdminPage, UUID } from './admin-page.ts';
import { PLATFORM } from './nexus-page.ts';
import { UserPage } from './user-page.ts';
import { UsersListPage } from './users-list-page.ts';

const CONFIRMATIONS = {
  archive: {
    title: (n: string) => `Archive ${n}`,
    heading: (n: string) => `Archive ${n}'s account`,
    button: 'Archive account',
  },
  delete: {
    title: (n: string) => `Delete ${n}`,
    heading: (n: string) => `Delete ${n}'s account`,
    button: 'Delete account',
  },
  'reset-two-factor': {
    title: (n: string) => `Reset two-factor authentication for ${n}`,
    heading: (n: string) => `Reset two-factor authentication for ${n}`,
    button: 'Reset two-factor authentication',
  },
} as const;

/** Archive, delete and reset-2FA confirmation pages (R28–R31). */
export class ConfirmPage extends AdminPage {
  kind: keyof typeof CONFIRMATIONS = 'archive';

  constructor(
    tab: JourneyTab,
    readonly name: string,
  ) {
    super(tab);
  }

  async expectOn(kind: keyof typeof CONFIRMATIONS): Promise<this> {
    this.kind = kind;
    const c = CONFIRMATIONS[kind];
    await this.arrive({
      path: new RegExp(`^/admin/users/${UUID}/${kind}$`),
      heading: c.heading(this.name),
      title: `${c.title(this.name)} – ${ADMIN} – ${PLATFORM}`,
    });
    return this;
  }

  async paragraphs(): Promise<string[]> {
    return (await this.page.locator('main p.govuk-body').allInnerTexts()).map((t) => t.trim());
  }

  async warning(): Promise<string> {
    return (await this.page.locator('main .govuk-warning-text__text').innerText()).replace(/^Warning\s*/, '').trim();
  }

  get button(): Locator {
    return this.page.locator('main').getByRole('button', { name: CONFIRMATIONS[this.kind].button, exact: true });
  }

  /** Confirms; archive and reset lead back to the user page. */
  async confirm(): Promise<UserPage> {
    await this.submit(CONFIRMATIONS[this.kind].button);
    return new UserPage(this.tab, this.name).expectOn();
  }

  /** Confirms a deletion, which leads to Admin > Users. */
  async confirmDelete(la: string): Promise<UsersListPage> {
    await this.submit(CONFIRMATIONS.delete.button);
    return new UsersListPage(this.tab).expectOn(la);
  }

  async cancel(): Promise<UserPage> {
    await this.follow('Cancel');
    return new UserPage(this.tab, this.name).expectOn();
  }
}
