import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Page } from 'playwright-core';
import { checkedBefore, rememberChecked } from './audit-memo.ts';

/**
 * The Nu Html Checker (vnu.jar, from the vnu-jar package, run by the machine's Java) on the HTML
 * the server sent for every page a journey file audits, and the narrow-screen check.
 *
 * The JVM takes seconds to start, so a file's pages are collected as they are audited and checked
 * in one run when the file ends (e2e/support/markup-setup.ts). Pages that differ only in their
 * per-response secrets (CSP nonce, CSRF token) are the same markup: each is checked once in the
 * run, by the first file that meets it (audit-memo.ts).
 */

export const VNU_JAR = createRequire(import.meta.url).resolve('vnu-jar/build/dist/vnu.jar');
const JAVA = process.env.JAVA ?? 'java';

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
 * Runs the Nu checker once over every page collected since the last call and returns one line per
 * error ("<page URL> line N: message — extract"); empty when the markup is valid. Clears the pages.
 */
export async function nuCheckCollected(): Promise<{ pages: number; errors: string[] }> {
  const keys = [...collected.keys()];
  const pages = [...collected.values()];
  collected.clear();
  if (pages.length === 0) return { pages: 0, errors: [] };
  const dir = mkdtempSync(path.join(tmpdir(), 'nexus-vnu-'));
  try {
    const files = pages.map((page, index) => {
      const file = path.join(dir, `page-${index}.html`);
      writeFileSync(file, page.html);
      return file;
    });
    const pageOf = new Map(files.map((file, index) => [file, pages[index]!.url]));
    let stdout: string;
    try {
      ({ stdout } = await promisify(execFile)(
        JAVA,
        // C1 only and the serial collector: a short run starts in a third of the time. C1's frames
        // are larger, and the checker's schema recursion then needs a deeper stack than the default.
        [
          '-Xss16m',
          '-XX:TieredStopAtLevel=1',
          '-XX:+UseSerialGC',
          '-jar',
          VNU_JAR,
          '--errors-only',
          '--format',
          'json',
          '--stdout',
          '--exit-zero-always',
          ...files,
        ],
        { maxBuffer: 64 * 1024 * 1024 },
      ));
    } catch (error) {
      const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? `${JAVA} not found` : String(error);
      throw new Error(
        `The Nu Html Checker could not run (${reason}): it needs Java 11 or later (Debian: apt-get install -y default-jre-headless).`,
        { cause: error },
      );
    }
    const { messages } = JSON.parse(stdout) as { messages: VnuMessage[] };
    const fileOf = (m: VnuMessage) => (m.url ? decodeURIComponent(new URL(m.url).pathname) : '');
    const faulty = new Set(messages.filter((m) => m.type !== 'info').map(fileOf));
    // Only the pages the checker found valid are remembered (none if an error names no page).
    if (!faulty.has(''))
      for (const [index, file] of files.entries()) if (!faulty.has(file)) rememberChecked(NU, keys[index]!);
    const errors = messages
      .filter((m) => m.type !== 'info')
      .map((m) => {
        const file = fileOf(m);
        const where = `${pageOf.get(file) ?? (file || 'unknown page')}${m.lastLine ? ` line ${m.lastLine}` : ''}`;
        const extract = m.extract ? ` — ${m.extract.replace(/\s+/g, ' ').trim()}` : '';
        return `${where}: ${m.type === 'error' ? '' : `${m.type}: `}${m.message}${extract}`;
      });
    return { pages: pages.length, errors };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
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
