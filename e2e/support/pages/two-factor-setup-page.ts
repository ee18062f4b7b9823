import type { Locator } from 'playwright-core';
import { expectOneTimeCodeInput } from './govuk-components.ts';
import { HomePage } from './home-page.ts';
import { NexusPage, PLATFORM } from './nexus-page.ts';

export class TwoFactorSetupPage extends NexusPage {
  async expectOn(): Promise<this> {
    await this.arrive({
      path: /^\/sign-in\/two-factor\/setup$/,
      heading: 'Set up two-factor authentication',
      title: `Set up two-factor authentication – ${PLATFORM}`,
    });
    await expectOneTimeCodeInput(this.page.getByLabel('Security code', { exact: true }));
    return this;
  }

  get qrCode(): Locator {
    return this.page.locator('.app-qr-code svg');
  }

  /** The key shown as text beneath the QR code, without the spaces that group it. */
  async key(): Promise<string> {
    const text = await this.page.locator('#secret-key').innerText();
    return text.replace(/\s+/g, '');
  }

  /** A correct code: on to the home page of `name`. */
  async confirm(code: string, name: string): Promise<HomePage> {
    await this.page.getByLabel('Security code', { exact: true }).fill(code);
    await this.submit('Confirm and sign in');
    return new HomePage(this.tab).expectOn(name);
  }
}
