import { expect } from 'vitest';
import { ADMIN, AdminPage, errorPrefix } from './admin-page.ts';
import { PLATFORM } from './nexus-page.ts';
import { UserPage } from './user-page.ts';

export interface NewUser {
  username: string;
  firstName: string;
  lastName: string;
  email: string;
  jobTitle?: string;
  phone?: string;
  type: string;
}

export class CreateUserPage extends AdminPage {
  la = '';

  async expectOn(la: string, options: { status?: number; error?: boolean } = {}): Promise<this> {
    this.la = la;
    await this.arrive({
      path: /^\/admin\/users\/new$/,
      heading: 'Create user',
      title: `${errorPrefix(options.error)}Create user – ${ADMIN} – ${PLATFORM}`,
      status: options.status,
    });
    expect(await this.page.locator('main .govuk-caption-l').innerText()).toBe(la);
    return this;
  }

  private async fill(user: NewUser): Promise<void> {
    const main = this.page.locator('main');
    await main.getByLabel('Username', { exact: true }).fill(user.username);
    await main.getByLabel('First name', { exact: true }).fill(user.firstName);
    await main.getByLabel('Last name', { exact: true }).fill(user.lastName);
    await main.getByLabel('Email address', { exact: true }).fill(user.email);
    await main.getByLabel('Job title (optional)', { exact: true }).fill(user.jobTitle ?? '');
    await main.getByLabel('Phone (optional)', { exact: true }).fill(user.phone ?? '');
    await main.getByRole('radio', { name: user.type, exact: true }).check();
    await this.submit('Create user and send invitation');
  }

  async createRefused(user: NewUser): Promise<CreateUserPage> {
    await this.fill(user);
    return new CreateUserPage(this.tab).expectOn(this.la, { status: 400, error: true });
  }

  async create(user: NewUser): Promise<UserPage> {
    await this.fill(user);
    return new UserPage(this.tab, `${user.firstName} ${user.lastName}`).expectOn();
  }
}
