import type { Page } from 'playwright-core';
import { inject } from 'vitest';
import { checkedBefore, rememberChecked } from './audit-memo.ts';

/**
 * The Nu Html Checker (vnu.jar, from the vnu-jar package, run by the machine's Java as one service
 * for the run: nu-service.ts) on the HTML the server sent for every page a journey file audits,
 * and the narrow-screen check.
 *
 * A file's pages are collected as they are audited and checked together when the file ends
 * (e2e/support/markup-setup.ts). Pages that differ only in their per-response secrets (CSP nonce,
 * CSRF token) are the same markup: each is checked once in the run, by the first file that meets
 * it (audit-memo.ts).
 */

/** The audit memo's name for a page the Nu checker found valid (audit-memo.ts). */
const NU = 'Nu Html Checker';

/** The pages this file has audited, by their markup with the secrets masked; first URL kept. */
const collected = new Map<string, { url: string; html: string }>();

function withoutSecrets(html: string): string {
  return html
    .replace(/\bnonce="[^"]*"/g, 'nonce=""')
    .replace(/(name="_csrf"\s+value=")[^"]*"/g, '$1"')
    .replace(/('nonce-)[^']*'/g, "$1'");
}

/** Forgets the pages collected so far (a file starts with none, whatever the file before it left). */
export function forgetCollected(): void {
  collected.clear();
}

/** Keeps the server's response body of an audited page for the file's Nu check. */
export function collectForNuCheck(url: string, html: string): void {
  const key = withoutSecrets(html);
  if (!collected.has(key) && !checkedBefore(NU, key)) collected.set(key, { url, html });
}

interface VnuMessage {
  type: string;
  subType?: string;
  url?: string;
  lastLine?: number;
  firstColumn?: number;
  message: string;
  extract?: string;
}

/**
 * Has the run's Nu checker (nu-service.ts, started by the global set-up) judge every page collected
 * since the last call, and returns one line per error ("<page URL> line N: message — extract");
 * empty when the markup is valid. Clears the pages.
 */
export async function nuCheckCollected(): Promise<{ pages: number; errors: string[] }> {
  const entries = [...collected.entries()];
  collected.clear();
  if (entries.length === 0) return { pages: 0, errors: [] };
  const service = inject('nuCheckerUrl');
  const judged = await Promise.all(
    entries.map(async ([key, page]) => {
      const response = await fetch(service, {
        method: 'POST',
        headers: { 'content-type': 'text/html; charset=utf-8' },
        body: page.html,
      });
      if (!response.ok) throw new Error(`The Nu Html Checker answered ${response.status} for ${page.url}`);
      const { messages } = (await response.json()) as { messages: VnuMessage[] };
      const problems = messages.filter((m) => m.type !== 'info');
      // Only the pages the checker found valid are remembered.
      if (problems.length === 0) rememberChecked(NU, key);
      return problems.map((m) => {
        const where = `${page.url}${m.lastLine ? ` line ${m.lastLine}` : ''}`;
        const extract = m.extract ? ` — ${m.extract.replace(/\s+/g, ' ').trim()}` : '';
        return `${where}: ${m.type === 'error' ? '' : `${m.type}: `}${m.message}${extract}`;
      });
    }),
  );
  return { pages: entries.length, errors: judged.flat() };
}

/** The width of a small phone; the pages must not scroll sideways there (WCAG 1.4.10 reflow). */
export const NARROW_WIDTH = 375;

/**
 * A page's address with its identifiers (numbers, UUIDs, long hex) as ':id' and without its query,
 * so that each kind of page is measured at the narrow width once, not once per record.
 */
export function pagePattern(url: string, status: number): string {
  const { pathname } = new URL(url);
  const pattern = pathname
    .split('/')
    .map((segment) =>
      /^\d+$/.test(segment) || /^[0-9a-f-]{16,}$/i.test(segment) || /^[0-9a-f]{8}-[0-9a-f-]{27}$/i.test(segment)
        ? ':id'
        : segment,
    )
    .join('/');
  return `${status} ${pattern}`;
}

/**
 * Whether the page scrolls sideways at its current viewport, and if so the outermost elements that
 * stick out past the right edge (what to fix), as short CSS-like descriptions.
 */
export async function sidewaysOverflow(
  page: Page,
): Promise<{ scrollWidth: number; width: number; culprits: string[] }> {
  return page.evaluate(() => {
    const width = window.innerWidth;
    const scrollWidth = document.documentElement.scrollWidth;
    const culprits: string[] = [];
    if (scrollWidth > width) {
      const describe = (element: Element) =>
        element.tagName.toLowerCase() +
        (element.id ? `#${element.id}` : '') +
        [...element.classList].map((c) => `.${c}`).join('');
      const sticksOut = (element: Element) => element.getBoundingClientRect().right > width + 0.5;
      // Inside a box that scrolls or clips, sticking out moves nothing on the page; but an
      // absolutely positioned element (GOV.UK's visually hidden text) escapes such a box unless
      // the box or a box inside it is positioned.
      const contained = (element: Element) => {
        let positioned = getComputedStyle(element).position !== 'absolute';
        for (let up = element.parentElement; up && up !== document.body; up = up.parentElement) {
          const style = getComputedStyle(up);
          positioned ||= style.position !== 'static';
          if (positioned && style.overflowX !== 'visible') return true;
        }
        return false;
      };
      const widens = (element: Element) => sticksOut(element) && !contained(element);
      for (const element of document.body.querySelectorAll('*')) {
        if (!widens(element)) continue;
        const parent = element.parentElement;
        if (parent && parent !== document.body && widens(parent)) continue;
        const rect = element.getBoundingClientRect();
        culprits.push(`${describe(element)} (${Math.round(rect.width)}px wide)`);
        if (culprits.length === 5) break;
      }
    }
    return { scrollWidth, width, culprits };
  });
}
