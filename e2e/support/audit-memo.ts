import { createHash } from 'node:crypto';
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { inject } from 'vitest';

/**
 * Which pages the run has already found clean, so that the costly checks (axe, about a second a
 * page; the Nu Html Checker) run once per distinct page rather than once per visit: a journey
 * that comes back to the same page in the same state does not pay for axe again, whichever file
 * of the run saw it first.
 *
 * "The same page" for axe is the page's DOM as it is when audited (after its scripts ran) in a
 * canonical form (`canonicalDom`) plus the viewport width and whether JavaScript runs. The
 * canonical form keeps every element, every attribute name and every attribute value except:
 * - the CSP nonce (random per response) and the value of hidden inputs (the CSRF token, a return
 *   address: never shown, not in the accessibility tree), dropped;
 * - record identifiers inside values (UUIDs, long hex, digit runs inside a longer value, as in
 *   `/admin/users/17/edit` or `user-17-hint`), renamed in order of first appearance within the
 *   page, so that equal identifiers stay equal and different ones stay different (an id reference
 *   that points nowhere on one page still points nowhere in the canonical form); a value that is
 *   only a number (tabindex, colspan, an option's value) is kept as it is;
 * - words in text and in the attributes that carry text (alt, title, aria-label, placeholder,
 *   value, content), each run of letters and digits as `x`: two users' rows are the same markup,
 *   while an empty name, an empty heading or a missing label text still differ from a filled one.
 * So two pages differing only in record names, identifiers and secrets share one axe run; any
 * other difference (one more row, an error message, another tag colour, a control in another
 * state) is a page of its own. Text length is not kept: axe's target-size rule measures controls
 * on the first such page only.
 *
 * The Nu Html Checker's memo is exact: the HTML as sent with only its secrets (nonce, CSRF token)
 * masked (markup.ts).
 *
 * The memo is a folder of empty files named by hash (e2e/support/run-setup.ts makes it for
 * the run, so the three workers share it); a file run on its own outside that set-up keeps it in
 * memory. NEXUS_AUDIT_EVERY_VISIT=1 turns it off: every visit is checked, as before.
 */

const remembered = new Set<string>();
const everyVisit = process.env.NEXUS_AUDIT_EVERY_VISIT === '1';

function memoDir(): string | undefined {
  return inject('auditMemoDir') || undefined;
}

function digest(kind: string, content: string): string {
  return createHash('sha256').update(kind).update('\0').update(content).digest('hex');
}

/** Whether a check of this kind already passed on this content in this run. */
export function checkedBefore(kind: string, content: string): boolean {
  if (everyVisit) return false;
  const key = digest(kind, content);
  if (remembered.has(key)) return true;
  const dir = memoDir();
  if (dir && existsSync(path.join(dir, key))) {
    remembered.add(key);
    return true;
  }
  return false;
}

/** Records that a check of this kind passed on this content. */
export function rememberChecked(kind: string, content: string): void {
  const key = digest(kind, content);
  remembered.add(key);
  const dir = memoDir();
  if (dir) writeFileSync(path.join(dir, key), '');
}

/** The page's current DOM in the canonical form described above (computed in the page). */
export function canonicalDom(page: Page): Promise<string> {
  return page.evaluate(() => {
    const TEXTUAL = new Set([
      'alt',
      'title',
      'aria-label',
      'aria-placeholder',
      'aria-roledescription',
      'aria-valuetext',
      'placeholder',
      'value',
      'content',
    ]);
    const IDENTIFIER = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[0-9a-f]{16,}|\d+/gi;
    const names = new Map<string, string>();
    const renamed = (value: string) =>
      /^-?\d+$/.test(value)
        ? value
        : value.replace(IDENTIFIER, (token) => {
            let name = names.get(token.toLowerCase());
            if (name === undefined) {
              name = `#${names.size}`;
              names.set(token.toLowerCase(), name);
            }
            return name;
          });
    const words = (text: string) => text.replace(/[\p{L}\p{N}]+/gu, 'x').replace(/\s+/g, ' ');
    const out: string[] = [document.doctype ? `<!doctype ${document.doctype.name}>` : '', renamed(location.hash)];
    const walk = (node: Node, raw: boolean) => {
      if (node.nodeType === Node.TEXT_NODE) {
        out.push(raw ? renamed(node.nodeValue ?? '') : words(node.nodeValue ?? ''));
        return;
      }
      if (node.nodeType !== Node.ELEMENT_NODE) return;
      const element = node as Element;
      const tag = element.tagName.toLowerCase();
      const hidden = tag === 'input' && element.getAttribute('type')?.toLowerCase() === 'hidden';
      const attributes = [...element.attributes]
        .map(({ name, value }) => {
          if (name === 'nonce' || (name === 'value' && hidden)) return name;
          return `${name}="${TEXTUAL.has(name) ? words(value) : renamed(value)}"`;
        })
        .sort();
      out.push(`<${tag}${attributes.map((a) => ` ${a}`).join('')}>`);
      const rawText = tag === 'script' || tag === 'style';
      for (const child of element.childNodes) walk(child, rawText);
      out.push(`</${tag}>`);
    };
    walk(document.documentElement, false);
    return out.join('');
  });
}
