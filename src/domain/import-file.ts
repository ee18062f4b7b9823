import { csvObjects, CsvSyntaxError, readSpreadsheetCsv, type CsvDelimiter } from './csv-read.ts';

/**
 * The shared front of every CSV import: bytes → rows keyed by column, with a problem for each
 * thing wrong with the file itself (header, cell counts, formula cells), and a notice for what was
 * left out (columns the import does not know). The file may be in any encoding and with any
 * delimiter csv-read recognises, as spreadsheets save it. Pure.
 */

export interface ImportColumn {
  readonly name: string;
  readonly required: boolean;
  readonly description: string;
  readonly example: string;
  /** The cell has a strict pattern of its own (a phone number may start with +). */
  readonly mayStartWithFormulaCharacter?: boolean;
  /** The cell is a list separated by semicolons: a line break inside it separates entries too. */
  readonly list?: boolean;
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

const DELIMITER_NAMES: Record<CsvDelimiter, string> = { ',': 'commas', ';': 'semicolons', '\t': 'tabs' };

/** What the import says of the columns it did not read, or nothing when it read them all. */
export function ignoredColumnsNotice(names: readonly string[]): string | undefined {
  if (names.length === 0) return undefined;
  const quoted = names.map((n) => `"${n.slice(0, 40)}"`);
  return names.length === 1
    ? `The column ${quoted[0]} is not a column of this import, so it was ignored.`
    : `The columns ${quoted.slice(0, -1).join(', ')} and ${quoted[quoted.length - 1]} are not columns of this import, so they were ignored.`;
}

/**
 * A cell as the import reads it: a line break (Alt+Enter in a spreadsheet) becomes a space, or a
 * separator in a list; the apostrophe that CSV exports put before a cell starting like a formula
 * (csv.ts, OWASP) is taken off, so that the formula check sees the cell as it was meant.
 */
function cellValue(raw: string, column: ImportColumn | undefined): string {
  const folded = /[\r\n]/.test(raw) ? raw.replace(/[ \t]*(?:\r\n|\r|\n)+[ \t]*/g, column?.list ? '; ' : ' ') : raw;
  return /^'[=+\-@\t\r]/.test(folded) ? folded.slice(1) : folded;
}

const isBlank = (cells: readonly string[]) => cells.every((cell) => cell.trim() === '');

export function readImportFile(
  bytes: Uint8Array,
  columns: readonly ImportColumn[],
): { rows: ImportRow[]; problems: RowProblem[]; notices: string[] } {
  let records;
  let delimiter: CsvDelimiter;
  try {
    ({ records, delimiter } = readSpreadsheetCsv(bytes));
  } catch (error) {
    if (error instanceof CsvSyntaxError)
      return {
        rows: [],
        problems: [
          { line: error.line, column: '', reason: error.message.replace(/^Line \d+: /, 'The file is not valid CSV: ') },
        ],
        notices: [],
      };
    throw error;
  }
  // A line of delimiters only is an empty row (Excel keeps one for each row whose cells were cleared).
  const [headerRecord, ...dataRecords] = records;
  const kept = headerRecord ? [headerRecord, ...dataRecords.filter((r) => !isBlank(r.cells))] : [];
  if (kept.length === 0 || isBlank(kept[0]!.cells))
    return {
      rows: [],
      problems: [
        {
          line: 1,
          column: '',
          reason: 'The file is empty. Use the template: a header line, then one line for each row.',
        },
      ],
      notices: [],
    };
  const { header, rows } = csvObjects(kept);
  const problems: RowProblem[] = [];
  const known = new Set(columns.map((c) => c.name));
  const seen = new Set<string>();
  const ignored: string[] = [];
  // Spreadsheets often save empty columns after the last one; they are ignored while empty.
  let width = header.length;
  while (width > 0 && header[width - 1] === '') width -= 1;
  for (const name of header.slice(0, width)) {
    const key = name.toLowerCase();
    if (name === '') problems.push({ line: 1, column: '', reason: 'A column of the header line has no name' });
    // A column of the spreadsheet's own (notes, a colour key) is left out, and the notice says so.
    else if (!known.has(key)) {
      if (!ignored.some((n) => n.toLowerCase() === key)) ignored.push(name);
    } else if (seen.has(key)) problems.push({ line: 1, column: name, reason: `The column "${name}" appears twice` });
    seen.add(key);
  }
  for (const column of columns) {
    if (column.required && !seen.has(column.name))
      problems.push({ line: 1, column: column.name, reason: `The header line has no "${column.name}" column` });
  }
  const notice = ignoredColumnsNotice(ignored);
  const notices = notice ? [notice] : [];
  if (problems.length > 0) return { rows: [], problems, notices };
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
      notices,
    };
  }
  const byName = new Map(columns.map((c) => [c.name, c]));
  const out: ImportRow[] = [];
  for (const [i, row] of rows.entries()) {
    if (row.cellCount < width || row.cellCount > header.length) {
      problems.push({
        line: row.line,
        column: '',
        reason: `The line has ${row.cellCount} cells but the header has ${width}. Put cells holding ${DELIMITER_NAMES[delimiter]} in double quotes.`,
      });
      continue;
    }
    if (kept[i + 1]!.cells.slice(width).some((cell) => cell.trim() !== '')) {
      problems.push({ line: row.line, column: '', reason: 'The line has a value in a column without a name' });
    }
    const values: Record<string, string> = {};
    for (const [name, cell] of Object.entries(row.values)) {
      const key = name.toLowerCase();
      if (name === '' || !known.has(key)) continue;
      const raw = cellValue(cell, byName.get(key));
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
  return { rows: out, problems, notices };
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
