import type { Locator, Page } from 'playwright-core';
import { expect } from 'vitest';
import type { JourneyTab } from './browser.ts';

/**
 * Page objects for the sign-in journeys. Arriving on a page (`arrive`) checks where we are
 * (path, status, <h1>, <title>, the Nexus frame) and runs axe on it, so no page of a journey
 * goes unchecked. Actions return the page object of the page they lead to.
 */
export const PLATFORM = 'Nexus';

interface Expected {
  path: RegExp;
  heading: string;
  title: string;
  status?: number;
}

export abstract class NexusPage {
  constructor(readonly tab: JourneyTab) {}

  get page(): Page {
    return this.tab.page;
  }

  /** Checks the page the tab shows is this one, and audits it. */
  protected async arrive(expected: Expected): Promise<this> {
    const { page } = this;
    const loaded = this.tab.documents.at(-1);
    expect(loaded?.url, 'a document was loaded').toBe(page.url());
    expect(new URL(page.url()).pathname).toMatch(expected.path);
    expect(loaded?.status, `status of ${page.url()}`).toBe(expected.status ?? 200);
    expect(await page.locator('h1').allInnerTexts()).toEqual([expected.heading]);
    expect(await page.title()).toBe(expected.title);
    await this.expectNexusFrame();
    // JavaScript state: GOV.UK Frontend's inline (nonce'd) script ran, or nothing ran at all.
    const supported = await page.evaluate(() => document.body.classList.contains('govuk-frontend-supported'));
    expect(supported, 'govuk-frontend-supported on <body>').toBe(this.tab.javaScript);
    await this.tab.audit();
    return this;
  }

  /** The platform's own header: "Nexus" and the service name, no crown, no GOV.UK logo. */
  private async expectNexusFrame(): Promise<void> {
    const header = this.page.locator('header.govuk-template__header');
    expect(await header.count()).toBe(1);
    const home = header.getByRole('link', { name: PLATFORM, exact: true });
    expect(await home.getAttribute('href')).toBe('/');
    expect(await header.locator('.govuk-service-navigation__service-name').innerText()).toBe('Account administration');
    expect(await header.locator('svg, img, .govuk-header__logo, .govuk-header__crown, [class*="crown"]').count()).toBe(0);
    expect(await this.page.locator('body').innerText()).not.toMatch(/GOV\.UK|Crown copyright/);
  }

  /** Name and LA of the signed-in person in the header, or null when signed out. */
  async signedInAs(): Promise<{ name: string; la: string } | null> {
    const account = this.page.locator('.nexus-header__account');
    if ((await account.count()) === 0) return null;
    const la = (await account.locator('.nexus-header__account-la').innerText()).trim();
    const text = (await account.locator('.nexus-header__account-name').innerText()).replace(/\s+/g, ' ').trim();
    return { name: text.replace(/^Signed in as /, '').replace(la, '').replace(/[,\s]+$/, '').trim(), la };
  }

  /** The success banner's text, or null. */
  async notification(): Promise<string | null> {
    const banner = this.page.locator('.govuk-notification-banner--success');
    return (await banner.count()) === 0 ? null : (await banner.locator('.govuk-notification-banner__content').innerText()).trim();
  }

  get errorSummary(): Locator {
    return this.page.locator('.govuk-error-summary');
  }

  async errorSummaryItems(): Promise<string[]> {
    return (await this.errorSummary.locator('.govuk-error-summary__list a').allInnerTexts()).map((t) => t.trim());
  }

  async fieldError(id: string): Promise<string> {
    return (await this.page.locator(`#${id}-error`).innerText()).replace(/^Error:\s*/, '').trim();
  }

  /** Id of the focused element (or its class when it has no id). */
  async focused(): Promise<string> {
    return this.page.evaluate(() => {
      const active = document.activeElement;
      return active ? active.id || active.className : '';
    });
  }

  async navigation(): Promise<string[]> {
    return (await this.page.locator('.govuk-service-navigation__list a').allInnerTexts()).map((t) => t.trim());
  }

  async signOut(): Promise<SignInPage> {
    await this.tab.navigate(() => this.page.locator('header').getByRole('button', { name: 'Sign out' }).click());
    return new SignInPage(this.tab).expectOn();
  }

  async openMyAccount(): Promise<MyAccountPage> {
    await this.tab.navigate(() => this.page.locator('.govuk-service-navigation').getByRole('link', { name: 'My account' }).click());
    return new MyAccountPage(this.tab).expectOn();
  }

  protected async submit(button: string): Promise<void> {
    await this.tab.navigate(() => this.page.locator('main').getByRole('button', { name: button, exact: true }).click());
  }
}

export class SignInPage extends NexusPage {
  static async open(tab: JourneyTab): Promise<SignInPage> {
    await tab.goto('/sign-in');
    return new SignInPage(tab).expectOn();
  }

  async expectOn(options: { status?: number; error?: boolean } = {}): Promise<this> {
    await this.arrive({ path: /^\/sign-in$/, heading: 'Sign in', title: `${options.error ? 'Error: ' : ''}Sign in – ${PLATFORM}`, status: options.status });
    expect(await this.page.getByLabel('Username', { exact: true }).getAttribute('autocomplete')).toBe('username');
    expect(await this.page.getByLabel('Password', { exact: true }).getAttribute('autocomplete')).toBe('current-password');
    expect(await this.signedInAs()).toBeNull();
    return this;
  }

  private async fill(username: string, password: string): Promise<void> {
    await this.page.getByLabel('Username', { exact: true }).fill(username);
    await this.page.getByLabel('Password', { exact: true }).fill(password);
    await this.submit('Continue');
  }

  /** A refused sign-in: the same page again, with an error. */
  async signInRefused(username: string, password: string, status = 401): Promise<SignInPage> {
    await this.fill(username, password);
    return new SignInPage(this.tab).expectOn({ status, error: true });
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

export class TwoFactorSetupPage extends NexusPage {
  async expectOn(): Promise<this> {
    await this.arrive({ path: /^\/sign-in\/two-factor\/setup$/, heading: 'Set up two-factor authentication', title: `Set up two-factor authentication – ${PLATFORM}` });
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

export class TwoFactorPage extends NexusPage {
  async expectOn(options: { status?: number; error?: boolean } = {}): Promise<this> {
    await this.arrive({
      path: /^\/sign-in\/two-factor$/, heading: 'Enter your security code',
      title: `${options.error ? 'Error: ' : ''}Enter your security code – ${PLATFORM}`, status: options.status,
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

async function expectOneTimeCodeInput(input: Locator): Promise<void> {
  expect(await input.getAttribute('autocomplete')).toBe('one-time-code');
  expect(await input.getAttribute('inputmode')).toBe('numeric');
}

export class HomePage extends NexusPage {
  async expectOn(name: string): Promise<this> {
    await this.arrive({ path: /^\/$/, heading: name, title: `Home – ${PLATFORM}` });
    return this;
  }

  /** The "who you are" summary list as key → value. */
  async summary(): Promise<Record<string, string>> {
    return summaryList(this.page.locator('main .govuk-summary-list'));
  }

  async privileges(): Promise<string[]> {
    const list = this.page.locator('main h2:text-is("Your privileges") + ul > li > strong');
    return (await list.allInnerTexts()).map((t) => t.trim());
  }
}

export class MyAccountPage extends NexusPage {
  async expectOn(): Promise<this> {
    await this.arrive({ path: /^\/my-account$/, heading: 'My account', title: `My account – ${PLATFORM}` });
    return this;
  }

  async summary(): Promise<Record<string, string>> {
    return summaryList(this.page.locator('main .govuk-summary-list'));
  }
}

async function summaryList(list: Locator): Promise<Record<string, string>> {
  const rows = list.locator('.govuk-summary-list__row');
  const out: Record<string, string> = {};
  for (let i = 0; i < (await rows.count()); i++) {
    const row = rows.nth(i);
    out[(await row.locator('.govuk-summary-list__key').innerText()).trim()] = (await row.locator('.govuk-summary-list__value').innerText()).trim();
  }
  return out;
}

export class ForgotPasswordPage extends NexusPage {
  async expectOn(): Promise<this> {
    await this.arrive({ path: /^\/forgot-password$/, heading: 'Reset your password', title: `Reset your password – ${PLATFORM}` });
    return this;
  }

  async requestLink(username: string): Promise<CheckEmailPage> {
    await this.page.getByLabel('Username', { exact: true }).fill(username);
    await this.submit('Send reset link');
    return new CheckEmailPage(this.tab).expectOn();
  }
}

export class CheckEmailPage extends NexusPage {
  async expectOn(): Promise<this> {
    await this.arrive({ path: /^\/forgot-password$/, heading: 'Check your email', title: `Check your email – ${PLATFORM}` });
    return this;
  }
}

export class ChooseNewPasswordPage extends NexusPage {
  static async open(tab: JourneyTab, link: string): Promise<ChooseNewPasswordPage> {
    await tab.goto(link);
    return new ChooseNewPasswordPage(tab).expectOn();
  }

  async expectOn(): Promise<this> {
    await this.arrive({ path: /^\/reset-password\/[^/]+$/, heading: 'Choose a new password', title: `Choose a new password – ${PLATFORM}` });
    expect(await this.page.getByLabel('New password', { exact: true }).getAttribute('autocomplete')).toBe('new-password');
    return this;
  }
}

export class LinkExpiredPage extends NexusPage {
  static async open(tab: JourneyTab, link: string): Promise<LinkExpiredPage> {
    await tab.goto(link);
    return new LinkExpiredPage(tab).expectOn();
  }

  async expectOn(): Promise<this> {
    await this.arrive({ path: /^\/reset-password\/[^/]+$/, heading: 'This link has expired', title: `This link has expired – ${PLATFORM}`, status: 410 });
    return this;
  }
}

export class NotFoundPage extends NexusPage {
  static async open(tab: JourneyTab, path: string): Promise<NotFoundPage> {
    await tab.goto(path);
    return new NotFoundPage(tab).expectOn();
  }

  async expectOn(): Promise<this> {
    await this.arrive({ path: /.*/, heading: 'Page not found', title: `Page not found – ${PLATFORM}`, status: 404 });
    return this;
  }
}
