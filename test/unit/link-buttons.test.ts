import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const VIEWS = join(import.meta.dirname, '../../src/web/views');

function templates(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? templates(join(dir, entry.name)) : entry.name.endsWith('.njk') ? [join(dir, entry.name)] : [],
  );
}

/** Every `<a …>` written by hand whose class makes it look like a GOV.UK button. */
function linkButtons(source: string): string[] {
  return [...source.matchAll(/<a\b[^>]*>/g)].map((m) => m[0]).filter((tag) => /class="[^"]*\bgovuk-button\b/.test(tag));
}

/**
 * A link that looks like a button must act like one for a keyboard user (issue 13 item 11, found by
 * the keyboard journeys): GOV.UK's link button has role=button, is not draggable and takes Space
 * through the govuk-button module. The govukButton macro does this itself; hand-written ones must too.
 */
describe('link buttons in the templates', () => {
  const found = templates(VIEWS).flatMap((file) =>
    linkButtons(readFileSync(file, 'utf8')).map((tag) => ({ file: file.slice(VIEWS.length + 1), tag })),
  );

  it('finds the hand-written ones (the scan itself works)', () => {
    expect(found.map((f) => f.file)).toEqual(expect.arrayContaining(['admin/users/list.njk', 'admin/audit/list.njk']));
    expect(linkButtons('<a href="/x" class="govuk-link">x</a><a class="govuk-button" href="/y">y</a>')).toEqual([
      '<a class="govuk-button" href="/y">',
    ]);
  });

  it('each has role=button, draggable=false and data-module=govuk-button', () => {
    const wrong = found.filter(
      ({ tag }) =>
        !tag.includes('role="button"') ||
        !tag.includes('draggable="false"') ||
        !tag.includes('data-module="govuk-button"'),
    );
    expect(wrong).toEqual([]);
  });
});
