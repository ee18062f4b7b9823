import type { Locator } from 'playwright-core';
import { expect } from 'vitest';

/** Readers and checks of GOV.UK components, shared by the page objects. */

export async function expectOneTimeCodeInput(input: Locator): Promise<void> {
  expect(await input.getAttribute('autocomplete')).toBe('one-time-code');
  expect(await input.getAttribute('inputmode')).toBe('numeric');
}

/** A summary list as key → value. */
export async function summaryList(list: Locator): Promise<Record<string, string>> {
  const rows = list.locator('.govuk-summary-list__row');
  const out: Record<string, string> = {};
  for (let i = 0; i < (await rows.count()); i++) {
    const row = rows.nth(i);
    out[(await row.locator('.govuk-summary-list__key').innerText()).trim()] = (
      await row.locator('.govuk-summary-list__value').innerText()
    ).trim();
  }
  return out;
}

/** The body rows of a table as arrays of cell texts (whitespace collapsed). */
export async function tableRows(table: Locator): Promise<string[][]> {
  return table
    .locator('tbody tr')
    .evaluateAll((rows) =>
      rows.map((row) =>
        [...row.querySelectorAll('th, td')].map((cell) => (cell as HTMLElement).innerText.replace(/\s+/g, ' ').trim()),
      ),
    );
}

/** The body rows of a table as header → cell text records. */
export async function tableRecords(table: Locator): Promise<Record<string, string>[]> {
  // A header's name as a screen reader hears it: without decoration hidden from it (a sort arrow).
  const headers = (
    await table.locator('thead th').evaluateAll((cells) =>
      cells.map((cell) => {
        const copy = cell.cloneNode(true) as HTMLElement;
        copy.querySelectorAll('[aria-hidden="true"]').forEach((hidden) => hidden.remove());
        return copy.textContent ?? '';
      }),
    )
  ).map((t) => t.replace(/\s+/g, ' ').trim());
  return (await tableRows(table)).map((cells) => Object.fromEntries(cells.map((c, i) => [headers[i] || `#${i}`, c])));
}
