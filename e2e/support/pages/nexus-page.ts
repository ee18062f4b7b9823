import type { Locator, Page } from 'playwright-core';
import { expect } from 'vitest';
import type { JourneyTab } from '../browser.ts';
import type { MyAccountPage } from './my-account-page.ts';
import type { SignInPage } from './sign-in-page.ts';

/**
 * The base of the page objects, one a file in this folder. Arriving on a page (`arrive`) checks
 * where we are (path, status, <h1>, <title>, the Nexus frame) and runs axe on it, so no page of a
 * journey goes unchecked. Actions return the page object of the page they lead to.
 *
 * A base class imports the pages its actions lead to inside the action (`await import(…)`), never
 * at the top: those pages extend it, and through an import cycle a subclass could be evaluated
 * before its base class (TypeError: Class extends value undefined).
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
    expect(await header.locator('svg, img, .govuk-header__logo, .govuk-header__crown, [class*="crown"]').count()).toBe(
      0,
    );
    expect(await this.page.locator('body').innerText()).not.toMatch(/GOV\.UK|Crown copyright/);
  }

  /** Name and LA of the signed-in person in the header, or null when signed out. */
  async signedInAs(): Promise<{ name: string; la: string } | null> {
    const account = this.page.locator('.nexus-header__account');
    if ((await account.count()) === 0) return null;
    const la = (await account.locator('.nexus-header__account-la').innerText()).trim();
    const text = (await account.locator('.nexus-header__account-name').innerText()).replace(/\s+/g, ' ').trim();
    return {
      name: text
        .replace(/^Signed in as /, '')
        .replace(la, '')
        .replace(/[,\s]+$/, '')
        .trim(),
      la,
    };
  }

  /** The success banner's text, or null. */
  async notification(): Promise<string | null> {
    const banner = this.page.locator('.govuk-notification-banner--success');
    return (await banner.count()) === 0
      ? null
      : (await banner.locator('.govuk-notification-banner__content').innerText()).trim();
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
    const { SignInPage } = await import('./sign-in-page.ts');
    await this.tab.navigate(() => this.page.locator('header').getByRole('button', { name: 'Sign out' }).click());
    return new SignInPage(this.tab).expectOn();
  }

  async openMyAccount(): Promise<MyAccountPage> {
    const { MyAccountPage } = await import('./my-account-page.ts');
    await this.tab.navigate(() =>
      this.page.locator('.govuk-service-navigation').getByRole('link', { name: 'My account' }).click(),
    );
    return new MyAccountPage(this.tab).expectOn();
  }

  protected async submit(button: string): Promise<void> {
    await this.tab.navigate(() => this.page.locator('main').getByRole('button', { name: button, exact: true }).click());
  }
}
