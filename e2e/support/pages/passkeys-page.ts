import { NexusPage, PLATFORM } from './nexus-page.ts';

/** My account > Passkeys (R65): the list, and "Add a passkey" (shown by passkeys.mjs when WebAuthn works). */
export class PasskeysPage extends NexusPage {
  static async open(tab: NexusPage['tab']): Promise<PasskeysPage> {
    await tab.goto('/my-account/passkeys');
    return new PasskeysPage(tab).expectOn();
  }

  async expectOn(options: { status?: number; error?: boolean } = {}): Promise<this> {
    await this.arrive({
      path: /^\/my-account\/passkeys$/,
      heading: 'Passkeys',
      title: `${options.error ? 'Error: ' : ''}Passkeys – ${PLATFORM}`,
      status: options.status,
    });
    return this;
  }

  /** The table's rows as [name, added, last used]. */
  async rows(): Promise<string[][]> {
    const rows = this.page.locator('main table tbody tr');
    const out: string[][] = [];
    for (let i = 0; i < (await rows.count()); i++) {
      const cells = await rows.nth(i).locator('td').allInnerTexts();
      out.push(cells.slice(0, 3).map((c) => c.trim()));
    }
    return out;
  }

  /** Names the passkey and confirms with the (virtual) authenticator: back on this page with the banner. */
  async add(name: string): Promise<PasskeysPage> {
    await this.page.getByLabel('Name of this passkey', { exact: true }).fill(name);
    await this.tab.navigate(() => this.page.getByRole('button', { name: 'Add a passkey' }).click());
    return new PasskeysPage(this.tab).expectOn();
  }

  /** Remove, then the page that asks first (its heading names the passkey), then "Remove passkey": back here with the banner. */
  async remove(name: string): Promise<PasskeysPage> {
    await this.tab.navigate(() => this.page.getByRole('link', { name: `Remove passkey ${name}` }).click());
    await this.arrive({
      path: /^\/my-account\/passkeys\/[0-9a-f-]{36}\/remove$/,
      heading: `Remove the passkey ‘${name}’?`,
      title: `Remove the passkey ${name} – ${PLATFORM}`,
    });
    await this.tab.navigate(() => this.page.getByRole('button', { name: 'Remove passkey' }).click());
    return new PasskeysPage(this.tab).expectOn();
  }
}
