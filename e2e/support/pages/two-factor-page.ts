import { expectOneTimeCodeInput } from './govuk-components.ts';
import { HomePage } from './home-page.ts';
import { NexusPage, PLATFORM } from './nexus-page.ts';

export class TwoFactorPage extends NexusPage {
  async expectOn(options: { status?: number; error?: boolean } = {}): Promise<this> {
    await this.arrive({
      path: /^\/sign-in\/two-factor$/,
      heading: 'Enter your security code',
      title: `${options.error ? 'Error: ' : ''}Enter your security code – ${PLATFORM}`,
      status: options.status,
    });
    await expectOneTimeCodeInput(this.page.getByLabel('Enter your security code', { exact: true }));
    return this;
  }

  private async fill(code: string): Promise<void> {
    await this.page.getByLabel('Enter your security code', { exact: true }).fill(code);
    await this.submit('Sign in');
  }

  /** A correct, unused code: on to the home page of `name`. */
  async enterCode(code: string, name: string): Promise<HomePage> {
    await this.fill(code);
    return new HomePage(this.tab).expectOn(name);
  }

  /** A wrong or used code: the same page again with the error. */
  async enterCodeRefused(code: string): Promise<TwoFactorPage> {
    await this.fill(code);
    return new TwoFactorPage(this.tab).expectOn({ status: 401, error: true });
  }
}
