import { csvObjects, CsvSyntaxError, decodeText, parseCsv } from './csv-read.ts';

/**
 * The shared front of every CSV import: bytes → rows keyed by column, with a problem for each
 * thing wrong with the file itself (header, cell counts, formula cells). Pure.
 */

export interface ImportColumn {
  readonly name: string;
  readonly required: boolean;
  readonly description: string;
  readonly example: string;
  /** The cell has a strict pattern of its own (a phone number may start with +). */
  readonly mayStartWithFormulaCharacter?: boolean;
}

/** One thing wrong with one cell (or the whole line when `column` is empty). */
export interface RowProblem {
  readonly line: number;
  readonly column: string;
  readonly reason: string;
}

export interface ImportRow {
  readonly line: number;
  readonly values: Readonly<Record<string, string>>;
}

/** More rows than one import takes: an LA has a few thousand accounts at most. */
export const MAX_IMPORT_ROWS = 20_000;

// Spreadsheets run a cell starting with these as a formula (OWASP "CSV injection").
const FORMULA_START = /^[=+\-@\t\r]/;

export function readImportFile(
  bytes: Uint8Array,
  columns: readonly ImportColumn[],
): { rows: ImportRow[]; problems: RowProblem[] } {
  let records;
  try {
    records = parseCsv(decodeText(bytes).text);
  } catch (error) {
    if (error instanceof CsvSyntaxError)
      return {
        rows: [],
        problems: [
          { line: error.line, column: '', reason: error.message.replace(/^Line \d+: /, 'The file is not valid CSV: ') },
        ],
      };
    throw error;
  }
  if (records.length === 0)
    return {
      rows: [],
      problems: [
        {
          line: 1,
          column: '',
          reason: 'The file is empty. Use the template: a header line, then one line for each row.',
        },
      ],
    };
  const { header, rows } = csvObjects(records);
  const problems: RowProblem[] = [];
  const known = new Set(columns.map((c) => c.name));
  const seen = new Set<string>();
  // Spreadsheets often save empty columns after the last one; they are ignored while empty.
  let width = header.length;
  while (width > 0 && header[width - 1] === '') width -= 1;
  for (const name of header.slice(0, width)) {
    const key = name.toLowerCase();
    if (name === '') problems.push({ line: 1, column: '', reason: 'A column of the header line has no name' });
    else if (!known.has(key))
      problems.push({
        line: 1,
        column: name,
        reason: `"${name.slice(0, 40)}" is not a column of this import. Columns: ${columns.map((c) => c.name).join(', ')}`,
      });
    else if (seen.has(key)) problems.push({ line: 1, column: name, reason: `The column "${name}" appears twice` });
    seen.add(key);
  }
  for (const column of columns) {
    if (column.required && !seen.has(column.name))
      problems.push({ line: 1, column: column.name, reason: `The header line has no "${column.name}" column` });
  }
  if (problems.length > 0) return { rows: [], problems };
  if (rows.length === 0) problems.push({ line: 1, column: '', reason: 'The file has a header line but no rows' });
  if (rows.length > MAX_IMPORT_ROWS) {
    return {
      rows: [],
      problems: [
        {
          line: 1,
          column: '',
          reason: `The file has ${rows.length} rows; import ${MAX_IMPORT_ROWS.toLocaleString('en-GB')} or fewer at a time`,
        },
      ],
    };
  }
  const byName = new Map(columns.map((c) => [c.name, c]));
  const out: ImportRow[] = [];
  for (const [i, row] of rows.entries()) {
    if (row.cellCount < width || row.cellCount > header.length) {
      problems.push({
        line: row.line,
        column: '',
        reason: `The line has ${row.cellCount} cells but the header has ${width}. Put cells holding commas in double quotes.`,
      });
      continue;
    }
    if (records[i + 1]!.cells.slice(width).some((cell) => cell.trim() !== '')) {
      problems.push({ line: row.line, column: '', reason: 'The line has a value in a column without a name' });
    }
    const values: Record<string, string> = {};
    for (const [name, raw] of Object.entries(row.values)) {
      if (name === '') continue;
      const key = name.toLowerCase();
      values[key] = raw;
      if (FORMULA_START.test(raw) && !byName.get(key)?.mayStartWithFormulaCharacter) {
        problems.push({
          line: row.line,
          column: key,
          reason: `The cell starts with "${printable(raw[0]!)}", which a spreadsheet would run as a formula. Remove that character.`,
        });
      }
    }
    // Still validated, so that the report lists the row's other problems too (sortProblems keeps
    // one problem a cell: the formula one, which comes first).
    out.push({ line: row.line, values });
  }
  return { rows: out, problems };
}

function printable(ch: string): string {
  return ch === '\t' ? 'a tab' : ch === '\r' ? 'a carriage return' : ch;
}

/** Problems in file order, by line then by column position; the first problem of a cell only. */
export function sortProblems(problems: readonly RowProblem[], columns: readonly ImportColumn[]): RowProblem[] {
  const seen = new Set<string>();
  const unique = problems.filter((p) => {
    const key = `${p.line}\u0000${p.column}`;
    if (p.column === '') return true;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  const position = (c: string) => {
    const i = columns.findIndex((col) => col.name === c);
    return i < 0 ? -1 : i;
  };
  return unique.sort((a, b) => a.line - b.line || position(a.column) - position(b.column));
}

/** The header and one example line, for the downloadable template. */
export function templateRows(columns: readonly ImportColumn[]): { header: string[]; example: string[] } {
  return { header: columns.map((c) => c.name), example: columns.map((c) => c.example) };
}
