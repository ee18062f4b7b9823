import { NAVIGATION } from '../../src/web/navigation.ts';
import type { Response } from 'playwright-core';
import type { JourneyTab } from './browser.ts';

/**
 * Follows the navigation to the page named `name` as a person would: its link in the header, or
 * (a page inside a group) the group's link in the header, then the page's link in the group's
 * sub-navigation. Every page on the way is audited (axe).
 */
export async function followNavigation(tab: JourneyTab, name: string): Promise<Response> {
  const header = tab.page.locator('.govuk-service-navigation');
  const direct = header.getByRole('link', { name, exact: true });
  if ((await direct.count()) > 0) return tab.navigate(() => direct.click());
  const group = NAVIGATION.find((g) => g.pages.some((p) => p.text === name));
  if (!group) throw new Error(`No page named ${name} in the navigation`);
  await tab.navigate(() => header.getByRole('link', { name: group.text, exact: true }).click());
  await tab.audit();
  return tab.navigate(() =>
    tab.page.locator('.app-section-navigation').getByRole('link', { name, exact: true }).click(),
  );
}
