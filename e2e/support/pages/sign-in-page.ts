import { expect } from 'vitest';
import type { JourneyTab } from '../browser.ts';
import { ForgotPasswordPage } from './forgot-password-page.ts';
import { NexusPage, PLATFORM } from './nexus-page.ts';
import { TwoFactorPage } from './two-factor-page.ts';
import { TwoFactorSetupPage } from './two-factor-setup-page.ts';

export class SignInPage extends NexusPage {
  static async open(tab: JourneyTab): Promise<SignInPage> {
    await tab.goto('/sign-in');
    return new SignInPage(tab).expectOn();
  }

  /**
   * The first step asks for the username alone (R64: an LA's own sign-in may come next); the
   * password step shows the username again with the password.
   */
  async expectOn(options: { status?: number; error?: boolean; step?: 'username' | 'password' } = {}): Promise<this> {
    await this.arrive({
      path: /^\/sign-in$/,
      heading: 'Sign in',
      title: `${options.error ? 'Error: ' : ''}Sign in – ${PLATFORM}`,
      status: options.status,
    });
    expect(await this.page.getByLabel('Username', { exact: true }).getAttribute('autocomplete')).toBe('username');
    const password = this.page.getByLabel('Password', { exact: true });
    if ((options.step ?? 'username') === 'password')
      expect(await password.getAttribute('autocomplete')).toBe('current-password');
    else expect(await password.count()).toBe(0);
    expect(await this.signedInAs()).toBeNull();
    return this;
  }

  private async fill(username: string, password: string): Promise<void> {
    await this.page.getByLabel('Username', { exact: true }).fill(username);
    if ((await this.page.getByLabel('Password', { exact: true }).count()) === 0) {
      await this.submit('Continue');
      await this.expectOn({ step: 'password' });
    }
    await this.page.getByLabel('Password', { exact: true }).fill(password);
    await this.submit('Continue');
  }

  /** A refused sign-in: the same page again, with an error. */
  async signInRefused(username: string, password: string, status = 401): Promise<SignInPage> {
    await this.fill(username, password);
    return new SignInPage(this.tab).expectOn({ status, error: true, step: 'password' });
  }

  /** First sign-in of an account without two-factor authentication. */
  async signInFirstTime(username: string, password: string): Promise<TwoFactorSetupPage> {
    await this.fill(username, password);
    return new TwoFactorSetupPage(this.tab).expectOn();
  }

  async signIn(username: string, password: string): Promise<TwoFactorPage> {
    await this.fill(username, password);
    return new TwoFactorPage(this.tab).expectOn();
  }

  async forgottenPassword(): Promise<ForgotPasswordPage> {
    await this.tab.navigate(() => this.page.getByRole('link', { name: 'I have forgotten my password' }).click());
    return new ForgotPasswordPage(this.tab).expectOn();
  }
}
