import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canonicalDom } from './support/audit-memo.ts';
import { launchChromium } from './support/browser.ts';
import { collectForNuCheck, NARROW_WIDTH, nuCheckCollected, pagePattern, sidewaysOverflow } from './support/markup.ts';

/**
 * The checks every journey page goes through besides axe (e2e/support/markup.ts) fail when they
 * should: the Nu Html Checker names the page and line of an error, and the narrow-screen check
 * finds a page that scrolls sideways and what sticks out; and the run's memo of pages axe found
 * clean (e2e/support/audit-memo.ts) takes two pages for the same only when they differ in names,
 * identifiers and secrets.
 */

const page = (body: string, secrets = 'a1') =>
  `<!DOCTYPE html>\n<html lang="en">\n<head><title>T</title><script nonce="${secrets}"></script></head>\n<body>\n<form><input type="hidden" name="_csrf" value="${secrets}"></form>\n${body}\n</body>\n</html>\n`;

describe('the Nu Html Checker over a file’s pages', () => {
  it('reports each error with the page’s address and line, checks markup once whatever its secrets, and starts afresh', async () => {
    collectForNuCheck('http://localhost/valid', page('<p>Fine</p>'));
    collectForNuCheck('http://localhost/valid-again', page('<p>Fine</p>', 'b2'));
    collectForNuCheck(
      'http://localhost/broken',
      page('<p><div>Block in a paragraph</div></p>\n<span aria-label="x">y</span>'),
    );

    const { pages, errors } = await nuCheckCollected();

    expect(pages).toBe(2);
    expect(errors).toEqual([
      expect.stringMatching(/^http:\/\/localhost\/broken line 6: No “p” element in scope but a “p” end tag seen\. — /),
      expect.stringMatching(
        /^http:\/\/localhost\/broken line 7: The “aria-label” attribute must not be specified on any “span” element/,
      ),
    ]);
    expect(await nuCheckCollected()).toEqual({ pages: 0, errors: [] });
  }, 60_000);
});

describe('the narrow-screen check', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('finds a page wider than 375 px and names what sticks out; a box that scrolls keeps its content, hidden text too', async () => {
    const context = await browser.newContext({ viewport: { width: NARROW_WIDTH, height: 600 } });
    const tab = await context.newPage();
    const hidden = '<span style="position: absolute; width: 1px; height: 1px; overflow: hidden">Action</span>';
    const wide = `<table id="wide" style="width: 600px"><tr><th>Wide</th><th>${hidden}</th></tr></table>`;
    const show = (body: string) => tab.setContent(`<!DOCTYPE html><html lang="en"><body>${body}</body></html>`);

    await show(wide);
    const bare = await sidewaysOverflow(tab);
    expect(bare.scrollWidth).toBeGreaterThan(NARROW_WIDTH);
    expect(bare).toEqual({ scrollWidth: bare.scrollWidth, width: NARROW_WIDTH, culprits: ['table#wide (600px wide)'] });

    // Absolutely positioned (visually hidden) text escapes a box that scrolls but is not positioned.
    await show(`<div style="overflow-x: auto">${wide}</div>`);
    const escaped = await sidewaysOverflow(tab);
    expect(escaped.scrollWidth).toBeGreaterThan(NARROW_WIDTH);
    expect(escaped.culprits).toEqual(['span (1px wide)']);

    await show(`<div style="overflow-x: auto; position: relative">${wide}</div>`);
    expect(await sidewaysOverflow(tab)).toEqual({ scrollWidth: NARROW_WIDTH, width: NARROW_WIDTH, culprits: [] });
    await context.close();
  });

  it('takes pages for the same for axe only when they differ in names, identifiers and secrets', async () => {
    const context = await browser.newContext();
    const tab = await context.newPage();
    const canonical = async (body: string) => {
      await tab.setContent(`<!DOCTYPE html><html lang="en"><head><title>T</title></head><body>${body}</body></html>`);
      return canonicalDom(tab);
    };
    const row = (id: string, name: string, hint = id) =>
      `<a href="/admin/users/${id}/edit" aria-describedby="hint-${hint}">${name}</a><p id="hint-${id}">Edit ${name}</p>`;
    const first = await canonical(row('17', 'Ada Admin'));
    expect(await canonical(row('6d19a56a-ec4d-4ac6-9cad-1dc3d7d98a82', 'Bo Li'))).toBe(first);
    // A reference that points nowhere, an empty name, another element or attribute: another page.
    expect(await canonical(row('17', 'Ada Admin', '18'))).not.toBe(first);
    expect(await canonical(row('17', ''))).not.toBe(first);
    expect(await canonical(row('17', 'Ada Admin').replace('<p ', '<div '))).not.toBe(first);
    expect(await canonical(row('17', 'Ada Admin').replace('<a ', '<a class="govuk-link" '))).not.toBe(first);
    // A number that is the whole value (tabindex, colspan) is kept.
    const cell = (span: number) => canonical(`<table><tr><td colspan="${span}">x</td></tr></table>`);
    expect(await cell(2)).not.toBe(await cell(3));
    await context.close();
  });

  it('measures each kind of page once: identifiers and the query do not make a new kind, the status does', () => {
    expect(pagePattern('http://h/admin/users/6d19a56a-ec4d-4ac6-9cad-1dc3d7d98a82/schools?page=2', 200)).toBe(
      '200 /admin/users/:id/schools',
    );
    expect(pagePattern('http://h/admin/school-groups/12', 200)).toBe('200 /admin/school-groups/:id');
    expect(pagePattern('http://h/admin/users/new', 400)).toBe('400 /admin/users/new');
  });
});
