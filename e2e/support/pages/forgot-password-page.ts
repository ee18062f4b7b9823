import { CheckEmailPage } from './check-email-page.ts';
import { NexusPage, PLATFORM } from './nexus-page.ts';

export class ForgotPasswordPage extends NexusPage {
  async expectOn(): Promise<this> {
    await this.arrive({
      path: /^\/forgot-password$/,
      heading: 'Reset your password',
      title: `Reset your password – ${PLATFORM}`,
    });
    return this;
  }

  async requestLink(username: string): Promise<CheckEmailPage> {
    await this.page.getByLabel('Username', { exact: true }).fill(username);
    await this.submit('Send reset link');
    return new CheckEmailPage(this.tab).expectOn();
  }
}
