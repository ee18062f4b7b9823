import { CsvSyntaxError, readSpreadsheetCsv } from './csv-read.ts';
import { ValidationError } from './errors.ts';

/**
 * The establishment extract of Get Information about Schools (GIAS, R58a): which of its many
 * columns we use, and how its values map to our schools and LAs. Pure: bytes in, rows out.
 *
 * A file without one of the columns we use is refused as a whole (it is not the extract, or
 * GIAS renamed a column); header names match in any case, and a file re-saved by a spreadsheet
 * (semicolons or tabs between cells, UTF-16) is read as the user import reads it. A row that cannot be used, or whose
 * number of fields differs from the header's, is skipped and reported with its line.
 * Rows with LA code 000 ("Does not apply": British schools overseas, some independent
 * providers) are establishments outside any Local Authority: they are skipped and counted,
 * not reported one by one, because the real extract has hundreds of them and none is an error.
 */

export const GIAS_COLUMNS = {
  urn: 'URN',
  name: 'EstablishmentName',
  laCode: 'LA (code)',
  laName: 'LA (name)',
  phase: 'PhaseOfEducation (name)',
  status: 'EstablishmentStatus (name)',
} as const;

export type SchoolStatus = 'open' | 'closed' | 'proposed_to_open' | 'proposed_to_close';

const STATUSES: Readonly<Record<string, SchoolStatus>> = {
  open: 'open',
  closed: 'closed',
  'open, but proposed to close': 'proposed_to_close',
  'proposed to open': 'proposed_to_open',
};

/** GIAS's own spelling of each phase; "Not applicable" (special schools, PRUs…) is no phase. */
const PHASES = [
  'Nursery',
  'Primary',
  'Middle deemed primary',
  'Secondary',
  'Middle deemed secondary',
  '16 plus',
  'All-through',
] as const;
const NO_PHASE = new Set(['', 'not applicable']);

/** The longest name or phase kept; anything longer is a broken row, not a school. */
const MAX_TEXT = 250;

export interface GiasSchool {
  readonly line: number;
  readonly urn: number;
  readonly name: string;
  readonly laCode: string;
  readonly phase: string | null;
  readonly status: SchoolStatus;
}

export interface GiasLa {
  readonly code: string;
  readonly name: string;
}

export interface GiasProblem {
  readonly line: number;
  readonly message: string;
}

export interface GiasExtract {
  readonly schools: readonly GiasSchool[];
  /** Each LA of the usable rows once, with the name of its first row. */
  readonly las: readonly GiasLa[];
  readonly problems: readonly GiasProblem[];
  /** Data rows in the file (the header and rows of only separators not counted). */
  readonly rowsRead: number;
  /** Rows skipped because their LA code is 000 (not in a Local Authority). */
  readonly outsideLa: number;
}

export function mapStatus(raw: string): SchoolStatus | undefined {
  return STATUSES[raw.trim().replace(/\s+/g, ' ').toLowerCase()];
}

/** GIAS's phase in its own spelling, null for none; an unknown phase is kept as written. */
export function mapPhase(raw: string): string | null {
  const text = raw.trim().replace(/\s+/g, ' ');
  if (NO_PHASE.has(text.toLowerCase())) return null;
  return PHASES.find((p) => p.toLowerCase() === text.toLowerCase()) ?? text;
}

function fileError(message: string): ValidationError {
  return new ValidationError({ file: message });
}

/** Header names as people and spreadsheets vary them: any case, spaces trimmed and collapsed. */
function headerKey(name: string): string {
  return name.trim().replace(/\s+/g, ' ').toLowerCase();
}

/**
 * GIAS's LA codes are three digits; a spreadsheet that re-saves the extract writes them as numbers
 * and drops the leading zeros (`000` becomes `0`), so a code of one or two digits is put back.
 */
export function normaliseLaCode(raw: string): string {
  return /^[0-9]{1,2}$/.test(raw) ? raw.padStart(3, '0') : raw;
}

/** Reads the extract; throws ValidationError (field `file`) when the file cannot be used at all. */
export function readGiasExtract(bytes: Uint8Array): GiasExtract {
  let records;
  try {
    // As a spreadsheet may re-save it too: semicolons or tabs between cells, UTF-16 ("Unicode Text").
    ({ records } = readSpreadsheetCsv(bytes));
  } catch (error) {
    if (error instanceof CsvSyntaxError) throw fileError(`The file is not valid CSV. ${error.message}.`);
    throw error;
  }
  const [first, ...rows] = records;
  const header = (first?.cells ?? []).map(headerKey);
  if (header.length === 0)
    throw fileError(
      'The file is empty. Download the establishment extract from Get Information about Schools and try again.',
    );
  const index = new Map<string, number>();
  header.forEach((name, i) => {
    if (!index.has(name)) index.set(name, i);
  });
  const missing = Object.values(GIAS_COLUMNS).filter((c) => !index.has(headerKey(c)));
  if (missing.length > 0) {
    throw fileError(
      `The file is not a GIAS establishment extract: it has no ${missing.map((c) => `"${c}"`).join(', ')} ${missing.length === 1 ? 'column' : 'columns'}. Nothing was imported.`,
    );
  }
  const columnOf = Object.fromEntries(
    Object.entries(GIAS_COLUMNS).map(([key, name]) => [key, index.get(headerKey(name))!]),
  ) as Record<keyof typeof GIAS_COLUMNS, number>;

  const schools: GiasSchool[] = [];
  const las = new Map<string, string>();
  const problems: GiasProblem[] = [];
  const seen = new Map<number, number>();
  let outsideLa = 0;
  let rowsRead = 0;
  for (const { line, cells } of rows) {
    // Rows of only separators are what a spreadsheet leaves after deleted rows: not data.
    if (cells.every((c) => c.trim() === '')) continue;
    rowsRead += 1;
    const cell = (column: keyof typeof GIAS_COLUMNS) => (cells[columnOf[column]] ?? '').trim().replace(/\s+/g, ' ');
    const urnText = cell('urn');
    const report = (message: string) => problems.push({ line, message });
    if (cells.length !== header.length) {
      // Its cells may have shifted into the wrong columns, so none of them can be trusted.
      const who = /^[0-9]{1,9}$/.test(urnText) ? `URN ${Number(urnText)}: ` : '';
      report(
        `${who}the row has ${cells.length} ${cells.length === 1 ? 'field' : 'fields'} where the header has ${header.length}, so it was skipped` +
          (cells.length > header.length ? ' (a cell holding a comma must be in double quotes)' : ''),
      );
      continue;
    }
    const laCode = normaliseLaCode(cell('laCode'));
    if (laCode === '000') {
      outsideLa += 1;
      continue;
    }
    if (!/^[0-9]{1,9}$/.test(urnText) || Number(urnText) === 0) {
      report(urnText === '' ? 'No URN' : `"${urnText.slice(0, 40)}" is not a URN (a whole number)`);
      continue;
    }
    const urn = Number(urnText);
    if (!/^[0-9]{3}$/.test(laCode)) {
      report(`URN ${urn}: ${laCode === '' ? 'no LA code' : `"${laCode.slice(0, 40)}" is not a three-digit LA code`}`);
      continue;
    }
    const earlier = seen.get(urn);
    if (earlier !== undefined) {
      report(`URN ${urn} is also on line ${earlier}; this row was skipped`);
      continue;
    }
    const name = cell('name');
    const laName = cell('laName');
    const status = mapStatus(cell('status'));
    const phase = mapPhase(cell('phase'));
    if (name === '') report(`URN ${urn}: no establishment name`);
    else if (name.length > MAX_TEXT) report(`URN ${urn}: the establishment name is longer than ${MAX_TEXT} characters`);
    else if (laName === '' && !las.has(laCode)) report(`URN ${urn}: no LA name for LA code ${laCode}`);
    else if (status === undefined) report(`URN ${urn}: unknown establishment status "${cell('status').slice(0, 60)}"`);
    else if (phase !== null && phase.length > MAX_TEXT)
      report(`URN ${urn}: the phase is longer than ${MAX_TEXT} characters`);
    else {
      seen.set(urn, line);
      if (!las.has(laCode)) las.set(laCode, laName);
      schools.push({ line, urn, name, laCode, phase, status });
    }
  }
  return {
    schools,
    las: [...las].map(([code, name]) => ({ code, name })).sort((a, b) => a.code.localeCompare(b.code)),
    problems,
    rowsRead,
    outsideLa,
  };
}
