import { AdminPage, errorPrefix } from './admin-page.ts';
import { summaryList, tableRecords } from './govuk-components.ts';
import { PLATFORM } from './nexus-page.ts';

/** Support > Applications (R61): the applications that sign people in through Nexus, and their registration. */
export class ApplicationsPage extends AdminPage {
  async expectOn(options: { error?: boolean } = {}): Promise<this> {
    await this.arrive({
      path: /^\/support\/applications$/,
      heading: 'Applications',
      title: `${errorPrefix(options.error)}Applications – Support – ${PLATFORM}`,
      ...(options.error ? { status: 400 } : {}),
    });
    return this;
  }

  async rows(): Promise<Record<string, string>[]> {
    if ((await this.page.locator('main table').count()) === 0) return [];
    return tableRecords(this.page.locator('main table'));
  }

  /** The error summary's messages, and each field's own message. */
  async errors(): Promise<{ summary: string[]; fields: Record<string, string> }> {
    const summary = await this.page.locator('.govuk-error-summary__list a').allInnerTexts();
    const fields: Record<string, string> = {};
    for (const id of ['name', 'redirectUris', 'backchannelLogoutUri']) {
      const message = this.page.locator(`#${id}-error`);
      if ((await message.count()) > 0) fields[id] = (await message.innerText()).replace(/^Error:\s*/, '').trim();
    }
    return { summary, fields };
  }

  private async fill(values: { name: string; redirectUris: string; backchannelLogoutUri?: string }) {
    await this.page.getByLabel('Name', { exact: true }).fill(values.name);
    await this.page.getByLabel('Return addresses').fill(values.redirectUris);
    await this.page.getByLabel('Sign-out address (optional)').fill(values.backchannelLogoutUri ?? '');
    await this.follow('Register', 'button');
  }

  /** Registers an application; the page that shows its secret, this once. */
  async register(values: { name: string; redirectUris: string; backchannelLogoutUri?: string }) {
    await this.fill(values);
    return new ApplicationSecretPage(this.tab).expectOn(`${values.name} is registered`, `${values.name} registered`);
  }

  /** A registration with a problem: this page again, with its errors. */
  async registerRefused(values: { name: string; redirectUris: string; backchannelLogoutUri?: string }) {
    await this.fill(values);
    return new ApplicationsPage(this.tab).expectOn({ error: true });
  }

  async newSecret(name: string) {
    await this.follow(`New secret for ${name}`, 'button');
    return new ApplicationSecretPage(this.tab).expectOn(`${name} has a new client secret`, `New secret for ${name}`);
  }
}

/** The answer to a registration or a new secret: the client ID and the secret, shown once. */
export class ApplicationSecretPage extends AdminPage {
  async expectOn(heading: string, title: string): Promise<this> {
    await this.arrive({
      path: /^\/support\/applications(\/[^/]+\/secret)?$/,
      heading,
      title: `${title} – Applications – Support – ${PLATFORM}`,
    });
    return this;
  }

  async details(): Promise<Record<string, string>> {
    return summaryList(this.page.locator('main .govuk-summary-list'));
  }

  async backToApplications(): Promise<ApplicationsPage> {
    await this.follow('Back to applications');
    return new ApplicationsPage(this.tab).expectOn();
  }
}
