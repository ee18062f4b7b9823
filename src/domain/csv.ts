/**
 * CSV (RFC 4180) that is safe to open in a spreadsheet: cells are quoted when they hold a comma,
 * quote or line break, and a cell that a spreadsheet would run as a formula (starting with
 * =, +, -, @, tab or carriage return) is prefixed with an apostrophe (OWASP "CSV injection").
 */
export function csvCell(value: unknown): string {
  let text = value === null || value === undefined ? '' : value instanceof Date ? value.toISOString() : String(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function csvLine(values: readonly unknown[]): string {
  return values.map(csvCell).join(',') + '\r\n';
}

export function toCsv(header: readonly string[], rows: readonly (readonly unknown[])[]): string {
  return csvLine(header) + rows.map(csvLine).join('');
}

/**
 * The same text as toCsv, produced as it goes: the header line, then one string per batch of
 * rows, so that a long export never holds more than one batch.
 */
export async function* csvStream(
  header: readonly string[],
  batches: AsyncIterable<readonly (readonly unknown[])[]>,
): AsyncGenerator<string, void, undefined> {
  yield csvLine(header);
  for await (const rows of batches) {
    if (rows.length > 0) yield rows.map(csvLine).join('');
  }
}
