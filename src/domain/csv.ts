/**
 * CSV (RFC 4180) that is safe to open in a spreadsheet: cells are quoted when they hold a comma,
 * quote or line break, and a cell that a spreadsheet would run as a formula (starting with
 * =, +, -, @, tab or carriage return) is prefixed with an apostrophe (OWASP "CSV injection").
 */
/** What a cell holds: text, a number or flag, a moment, or nothing. */
export type CsvValue = string | number | boolean | bigint | Date | null | undefined;

export function csvCell(value: CsvValue): string {
  let text = value === null || value === undefined ? '' : value instanceof Date ? value.toISOString() : String(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function csvLine(values: readonly CsvValue[]): string {
  return values.map(csvCell).join(',') + '\r\n';
}

export function toCsv(header: readonly string[], rows: readonly (readonly CsvValue[])[]): string {
  return csvLine(header) + rows.map(csvLine).join('');
}

/**
 * The same text as toCsv, produced as it goes: the header line, then one string per batch of
 * rows, so that a long export never holds more than one batch.
 */
export async function* csvStream(
  header: readonly string[],
  batches: AsyncIterable<readonly (readonly CsvValue[])[]>,
): AsyncGenerator<string, void, undefined> {
  yield csvLine(header);
  for await (const rows of batches) {
    if (rows.length > 0) yield rows.map(csvLine).join('');
  }
}
