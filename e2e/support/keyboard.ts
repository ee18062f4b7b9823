import type { ElementHandle, Locator, Page } from 'playwright-core';
import { expect } from 'vitest';

/**
 * Driving a page with the keyboard alone, as someone who cannot use a mouse does: Tab and
 * Shift+Tab to move, Enter and Space to act, typing into the focused field, arrows in a select,
 * a radio group or an autocomplete's list. Locators only name the control wanted and read the
 * page; they never click, fill or focus.
 *
 * Every focus stop is checked for a visible focus indicator: GOV.UK Frontend's focus state, which
 * always shows the focus colour #ffdd00 (an outline, a yellow background or a yellow box-shadow;
 * for a radio or checkbox, whose input is transparent, on the ::before of its label), on an
 * element of real size (not one kept 1px by govuk-visually-hidden).
 */

/** A browser tab as these helpers use it: e2e/support/browser.ts's JourneyTab, or a bare page. */
export interface KeyboardTab {
  readonly page: Page;
  readonly javaScript: boolean;
  navigate(action: () => Promise<unknown>): Promise<unknown>;
}

/** What the page says about document.activeElement after a key press. */
interface Stop {
  /** Focus is on nothing in the page (it left for the browser's own UI, or never entered). */
  atBody: boolean;
  /** Index of the element in document order (`getElementsByTagName('*')`): its identity in this document. */
  index: number;
  description: string;
  visible: boolean;
  /** Why the focus is not visible, when it is not. */
  invisibleBecause: string;
  isTarget: boolean;
}

/**
 * Runs in the page (serialised by page.evaluate, so it holds everything it uses). With JavaScript
 * on, an element whose focus style is set by a script (accessible-autocomplete adds a class on
 * focus) gets two animation frames before it is judged; with JavaScript off no frame ever comes.
 */
async function inspectFocus([target, waitForScripts]: readonly [Element | null, boolean]): Promise<Stop> {
  const YELLOW = 'rgb(255, 221, 0)';
  const all = document.getElementsByTagName('*');
  const describe = (el: Element): string => {
    const tag = el.tagName.toLowerCase();
    const labelled = (el as HTMLInputElement).labels?.[0]?.textContent ?? '';
    const name = (el.getAttribute('aria-label') ?? (labelled || (el.textContent ?? '')))
      .replace(/\s+/g, ' ')
      .trim()
      .slice(0, 60);
    const type = el.getAttribute('type');
    return `${tag}${type ? `[type=${type}]` : ''}${el.id ? `#${el.id}` : ''} "${name}"`;
  };
  const judge = (el: Element): string => {
    // A GOV.UK radio or checkbox input is transparent: its label draws the control and its focus ring.
    const isChoice = el.matches('.govuk-radios__input, .govuk-checkboxes__input');
    const shown = isChoice ? ((el as HTMLInputElement).labels?.[0] ?? el) : el;
    const rect = shown.getBoundingClientRect();
    if (rect.width < 3 || rect.height < 3) return `it is ${rect.width}×${rect.height}px`;
    if (!shown.checkVisibility({ opacityProperty: true, visibilityProperty: true })) return 'it is not rendered';
    const style = isChoice ? getComputedStyle(shown, '::before') : getComputedStyle(el);
    const outline =
      style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0 && style.outlineColor === YELLOW;
    if (outline || style.backgroundColor === YELLOW || style.boxShadow.includes(YELLOW)) return '';
    return `no focus colour (outline ${style.outlineStyle} ${style.outlineWidth} ${style.outlineColor}, background ${style.backgroundColor}, box-shadow ${style.boxShadow})`;
  };
  const active = document.activeElement;
  if (!active || active === document.body || active === document.documentElement)
    return { atBody: true, index: -1, description: 'nothing', visible: false, invisibleBecause: '', isTarget: false };
  let invisibleBecause = judge(active);
  if (invisibleBecause && waitForScripts) {
    await new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)));
    invisibleBecause = judge(active);
  }
  return {
    atBody: false,
    index: Array.prototype.indexOf.call(all, active),
    description: describe(active),
    visible: invisibleBecause === '',
    invisibleBecause,
    isTarget: active === target,
  };
}

async function focusStop(tab: KeyboardTab, target: ElementHandle | null): Promise<Stop> {
  return tab.page.evaluate(inspectFocus, [target as ElementHandle<Element> | null, tab.javaScript] as const);
}

function expectVisible(stop: Stop, where: string): void {
  expect(stop.visible, `focus visible on ${stop.description} (${where}): ${stop.invisibleBecause}`).toBe(true);
}

/** The one element `target` names, as a handle the page can compare with its activeElement. */
async function one(target: Locator): Promise<ElementHandle> {
  expect(await target.count(), `exactly one element for ${String(target)}`).toBe(1);
  return target.elementHandle();
}

/**
 * Presses Tab (or Shift+Tab) until `target` has the focus; every stop on the way must show its
 * focus. Fails when it takes more than `max` presses (too far, or a trap that never lets go), or
 * when focus comes back to where it started without reaching it (not reachable by keyboard).
 * Returns the number of presses.
 */
export async function tabTo(
  tab: KeyboardTab,
  target: Locator,
  options: { max?: number; backwards?: boolean } = {},
): Promise<number> {
  const { max = 60, backwards = false } = options;
  const handle = await one(target);
  const key = backwards ? 'Shift+Tab' : 'Tab';
  const start = await focusStop(tab, handle);
  if (start.isTarget) {
    expectVisible(start, `already on ${String(target)}`);
    await handle.dispose();
    return 0;
  }
  const passed: string[] = [];
  let leftPage = 0;
  for (let presses = 1; presses <= max; presses++) {
    await tab.page.keyboard.press(key);
    const stop = await focusStop(tab, handle);
    if (stop.atBody) {
      // Past the last (or first) element focus leaves the page once; twice means it went round.
      if (++leftPage > 1) break;
      continue;
    }
    expectVisible(stop, `${key} ×${presses} towards ${String(target)}`);
    if (stop.isTarget) {
      await handle.dispose();
      return presses;
    }
    passed.push(stop.description);
    if (!start.atBody && stop.index === start.index) break;
  }
  await handle.dispose();
  throw new Error(`${key} never reached ${String(target)} (from ${start.description}); stops: ${passed.join(', ')}`);
}

/** Shift+Tab to `target`: going back to an earlier control. */
export function shiftTabTo(tab: KeyboardTab, target: Locator, max?: number): Promise<number> {
  return tabTo(tab, target, { max, backwards: true });
}

/** The focused element is `target`, its focus shown. */
export async function expectFocusOn(tab: KeyboardTab, target: Locator): Promise<void> {
  const handle = await one(target);
  const stop = await focusStop(tab, handle);
  await handle.dispose();
  expect(stop.isTarget, `focus on ${String(target)}, not on ${stop.description}`).toBe(true);
  expectVisible(stop, 'expected focus');
}

/** Tab to `target` and press `key` (Enter on a link, Enter or Space on a button): the next page loads. */
export async function activate(tab: KeyboardTab, target: Locator, key: 'Enter' | 'Space' = 'Enter'): Promise<void> {
  await tabTo(tab, target);
  await tab.navigate(() => tab.page.keyboard.press(key));
}

/** Types into the focused field: Tab to it, then type. Tabbing into a text field selects what it held, so typing replaces it. */
export async function typeInto(tab: KeyboardTab, target: Locator, text: string): Promise<void> {
  await tabTo(tab, target);
  await tab.page.keyboard.type(text);
}

/**
 * Chooses `option` in a focused native <select> with the arrow keys (Chromium changes a closed
 * select's value with ArrowDown/ArrowUp, as a keyboard user does): down to the end, then up.
 */
export async function chooseInSelect(tab: KeyboardTab, select: Locator, option: string): Promise<void> {
  await tabTo(tab, select);
  const labels = await select.locator('option').allTextContents();
  const wanted = labels.map((l) => l.trim()).indexOf(option);
  expect(wanted, `option "${option}" in ${labels.join(' | ')}`).toBeGreaterThanOrEqual(0);
  const current = await select.evaluate((el: HTMLSelectElement) => el.selectedIndex);
  const key = wanted > current ? 'ArrowDown' : 'ArrowUp';
  for (let i = 0; i < Math.abs(wanted - current); i++) await tab.page.keyboard.press(key);
  expect(await select.evaluate((el: HTMLSelectElement) => el.options[el.selectedIndex]?.textContent?.trim())).toBe(
    option,
  );
}

/**
 * Chooses the radio labelled `label` in the group `group` (a fieldset): Tab into the group (one
 * stop for the whole group), Space to check the focused radio, then ArrowDown until the wanted one
 * is checked (arrows move and check, skipping disabled radios).
 */
export async function chooseRadio(tab: KeyboardTab, group: Locator, label: string): Promise<void> {
  const radios = group.getByRole('radio');
  const wanted = group.getByRole('radio', { name: label, exact: true });
  expect(await wanted.count(), `radio "${label}"`).toBe(1);
  // The group's tab stop: its checked radio, or the first (Tab) / last (Shift+Tab) when none is.
  const checked = group.locator('input[type="radio"]:checked');
  const entry = (await checked.count()) > 0 ? checked : group.locator('input[type="radio"]:not([disabled])').first();
  await tabTo(tab, entry);
  await tab.page.keyboard.press('Space');
  const count = await radios.count();
  for (let i = 0; i < count && !(await wanted.isChecked()); i++) await tab.page.keyboard.press('ArrowDown');
  expect(await wanted.isChecked(), `radio "${label}" checked with the arrow keys`).toBe(true);
  await expectFocusOn(tab, wanted);
}

/**
 * Tabs through the whole page, from where focus is now: every stop shows its focus, focus leaves
 * the page after the last element (no trap) and comes back in at the first, and every control a
 * keyboard user should reach (visible, enabled, not tabindex=-1; one stop per radio group) is a
 * stop, in document order. Returns the stops' descriptions.
 */
export async function tabThroughPage(tab: KeyboardTab, max = 150): Promise<string[]> {
  // The page's scripts (deferred modules) have run by `load`: what is a control, and where focus
  // starts, must not change between the census below and the first Tab (a flake under load).
  await tab.page.waitForLoadState('load');
  const expected = await tab.page.evaluate(() => {
    const all = document.getElementsByTagName('*');
    const candidates = document.querySelectorAll<HTMLElement>(
      'a[href], button, input, select, textarea, summary, [tabindex], [contenteditable="true"]',
    );
    const out: { index: number; group: string | null; what: string }[] = [];
    for (const el of candidates) {
      if (el.tabIndex < 0 || (el as HTMLButtonElement).disabled || el.closest('[inert]')) continue;
      if (el instanceof HTMLInputElement && el.type === 'hidden') continue;
      const isChoice = el.matches('.govuk-radios__input, .govuk-checkboxes__input');
      const shown = isChoice ? ((el as HTMLInputElement).labels?.[0] ?? el) : el;
      if (!shown.checkVisibility({ visibilityProperty: true })) continue;
      // A details element's content is out of the tab order while it is closed.
      const details = el.closest('details');
      if (details && !details.open && !(el.tagName === 'SUMMARY' && el.parentElement === details)) continue;
      const group = el instanceof HTMLInputElement && el.type === 'radio' ? `${el.form?.id ?? ''}/${el.name}` : null;
      // A radio group is one stop, whichever of its radios it is: `check` counts groups once.
      const what = `${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''} "${(el.textContent ?? '').replace(/\s+/g, ' ').trim().slice(0, 40)}"`;
      out.push({ index: Array.prototype.indexOf.call(all, el), group, what });
    }
    return out;
  });
  // Stops before focus leaves the page at its end, then those after it comes back in at the top.
  const beforeEnd: Stop[] = [];
  const fromTop: Stop[] = [];
  let first: Stop | undefined;
  for (let presses = 1; presses <= max; presses++) {
    await tab.page.keyboard.press('Tab');
    const stop = await focusStop(tab, null);
    const leftPage = fromTop.length > 0 || beforeEnd.at(-1)?.atBody === true;
    if (stop.atBody) {
      expect(leftPage, 'focus left the page twice without coming back to where it started').toBe(false);
      beforeEnd.push(stop);
      continue;
    }
    if (first && stop.index === first.index) {
      expect(leftPage, `Tab went round to ${stop.description} without leaving the page`).toBe(true);
      return check([...fromTop, ...beforeEnd.filter((s) => !s.atBody)]);
    }
    first ??= stop;
    expectVisible(stop, `Tab ×${presses} through the page`);
    (leftPage ? fromTop : beforeEnd).push(stop);
  }
  throw new Error(
    `Tab did not go round the page in ${max} presses (a keyboard trap?): ${[...beforeEnd, ...fromTop].map((s) => s.description).join(', ')}`,
  );

  function check(ordered: Stop[]): string[] {
    const indexes = ordered.map((s) => s.index);
    expect(indexes, 'stops in document order').toEqual([...indexes].sort((a, b) => a - b));
    const byGroup = new Map<string, number[]>();
    const single: number[] = [];
    for (const e of expected) {
      if (e.group) byGroup.set(e.group, [...(byGroup.get(e.group) ?? []), e.index]);
      else single.push(e.index);
    }
    const whatIs = new Map(expected.map((e) => [e.index, `${e.index} ${e.what}`]));
    const unreached = single.filter((i) => !indexes.includes(i)).map((i) => whatIs.get(i));
    const groupsUnreached = [...byGroup].filter(([, members]) => !members.some((i) => indexes.includes(i)));
    expect({ unreached, groupsUnreached: groupsUnreached.map(([g]) => g) }, 'controls Tab never reached').toEqual({
      unreached: [],
      groupsUnreached: [],
    });
    const known = new Set(expected.map((e) => e.index));
    const extra = ordered.filter((s) => !known.has(s.index)).map((s) => s.description);
    expect(extra, 'stops that are not controls').toEqual([]);
    expect(ordered.length, 'one stop per control, one per radio group').toBe(single.length + byGroup.size);
    return ordered.map((s) => s.description);
  }
}
