/**
 * Reading CSV files that people and public datasets produce: RFC 4180 quoting, CRLF or LF line
 * ends, a byte-order mark, text in UTF-8, UTF-16 or Windows-1252 (as GIAS publishes it, and as
 * Excel on Windows saves "CSV"), and a comma, semicolon or tab between cells (what spreadsheets
 * save in locales with a decimal comma, and Excel's "Unicode Text"). Pure: bytes in, rows out.
 */

export type TextEncodingName = 'utf-8' | 'utf-16le' | 'utf-16be' | 'windows-1252';

export interface DecodedText {
  readonly text: string;
  readonly encoding: TextEncodingName;
  readonly hadByteOrderMark: boolean;
}

/**
 * Decodes bytes: a byte-order mark decides; else valid UTF-8 is UTF-8; else Windows-1252 (every
 * byte sequence is valid in it, so the file is never refused for its encoding alone).
 */
export function decodeText(bytes: Uint8Array, declared?: TextEncodingName): DecodedText {
  if (declared) {
    const skip =
      declared === 'utf-8' && hasPrefix(bytes, [0xef, 0xbb, 0xbf])
        ? 3
        : declared.startsWith('utf-16') && (hasPrefix(bytes, [0xff, 0xfe]) || hasPrefix(bytes, [0xfe, 0xff]))
          ? 2
          : 0;
    const body = bytes.subarray(skip);
    return {
      text: declared === 'windows-1252' ? decodeWindows1252(body) : new TextDecoder(declared).decode(body),
      encoding: declared,
      hadByteOrderMark: skip > 0,
    };
  }
  if (hasPrefix(bytes, [0xef, 0xbb, 0xbf]))
    return { text: new TextDecoder('utf-8').decode(bytes.subarray(3)), encoding: 'utf-8', hadByteOrderMark: true };
  if (hasPrefix(bytes, [0xff, 0xfe]))
    return {
      text: new TextDecoder('utf-16le').decode(bytes.subarray(2)),
      encoding: 'utf-16le',
      hadByteOrderMark: true,
    };
  if (hasPrefix(bytes, [0xfe, 0xff]))
    return {
      text: new TextDecoder('utf-16be').decode(bytes.subarray(2)),
      encoding: 'utf-16be',
      hadByteOrderMark: true,
    };
  try {
    return {
      text: new TextDecoder('utf-8', { fatal: true }).decode(bytes),
      encoding: 'utf-8',
      hadByteOrderMark: false,
    };
  } catch {
    return { text: decodeWindows1252(bytes), encoding: 'windows-1252', hadByteOrderMark: false };
  }
}

/** 0x80–0x9F of Windows-1252 (WHATWG index); the five undefined bytes keep their C1 code point. */
const CP1252_HIGH = '€\u0081‚ƒ„…†‡ˆ‰Š‹Œ\u008dŽ\u008f\u0090‘’“”•–—˜™š›œ\u009džŸ';

/**
 * Node's TextDecoder maps 0x80–0x9F of "windows-1252" to C1 controls (it decodes Latin-1), which
 * would turn GIAS's curly apostrophes and dashes into invisible characters; so decode by hand.
 */
export function decodeWindows1252(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i += 1) {
    const b = bytes[i]!;
    out += b >= 0x80 && b <= 0x9f ? CP1252_HIGH[b - 0x80] : String.fromCharCode(b);
  }
  return out;
}

const CP1252_ENCODE = new Map([...CP1252_HIGH].map((ch, i) => [ch, 0x80 + i]));

/** The inverse, for writing files as GIAS publishes them; a character 1252 lacks becomes "?". */
export function encodeWindows1252(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  let n = 0;
  for (const ch of text) {
    const code = ch.codePointAt(0)!;
    out[n++] = CP1252_ENCODE.get(ch) ?? (code < 0x80 || (code >= 0xa0 && code <= 0xff) ? code : 0x3f);
  }
  return out.subarray(0, n);
}

/**
 * decodeText without a declared encoding, plus UTF-16 that lacks its byte-order mark (recognised
 * by the zero byte beside each ASCII character, which no CSV text holds): the one way every
 * import reads a file a spreadsheet saved.
 */
export function decodeSpreadsheetText(bytes: Uint8Array): DecodedText {
  const utf16 = bomlessUtf16(bytes);
  return utf16 ? decodeText(bytes, utf16) : decodeText(bytes);
}

function bomlessUtf16(bytes: Uint8Array): TextEncodingName | undefined {
  if (bytes.length < 4 || bytes.length % 2 !== 0 || hasPrefix(bytes, [0xef, 0xbb, 0xbf])) return undefined;
  if (hasPrefix(bytes, [0xff, 0xfe]) || hasPrefix(bytes, [0xfe, 0xff])) return undefined;
  const pairs = Math.min(bytes.length, 1024) / 2;
  let evenZeros = 0;
  let oddZeros = 0;
  for (let i = 0; i < pairs * 2; i += 2) {
    if (bytes[i] === 0) evenZeros += 1;
    if (bytes[i + 1] === 0) oddZeros += 1;
  }
  // Mostly ASCII text: half or more of the pairs have their zero on one side, none on the other.
  if (oddZeros >= pairs / 2 && evenZeros === 0) return 'utf-16le';
  if (evenZeros >= pairs / 2 && oddZeros === 0) return 'utf-16be';
  return undefined;
}

/** The characters a spreadsheet puts between cells. */
export type CsvDelimiter = ',' | ';' | '\t';

const DELIMITERS: readonly CsvDelimiter[] = [',', ';', '\t'];

/**
 * The delimiter of a file, judged by its first record (the header line), outside quotes: the one
 * of comma, semicolon and tab it holds most of; a comma when it holds none, or on a tie.
 */
export function detectDelimiter(text: string): CsvDelimiter {
  const counts = new Map<string, number>(DELIMITERS.map((d) => [d, 0]));
  let quoted = false;
  for (const ch of text) {
    if (ch === '"') quoted = !quoted;
    else if (!quoted && (ch === '\n' || ch === '\r')) break;
    else if (!quoted && counts.has(ch)) counts.set(ch, counts.get(ch)! + 1);
  }
  let best: CsvDelimiter = ',';
  for (const d of DELIMITERS) if (counts.get(d)! > counts.get(best)!) best = d;
  return best;
}

/** A spreadsheet's file read whole: its records, and the encoding and delimiter found. */
export function readSpreadsheetCsv(bytes: Uint8Array): {
  records: CsvRecord[];
  encoding: TextEncodingName;
  delimiter: CsvDelimiter;
} {
  const { text, encoding } = decodeSpreadsheetText(bytes);
  const delimiter = detectDelimiter(text);
  return { records: parseCsv(text, delimiter), encoding, delimiter };
}

function hasPrefix(bytes: Uint8Array, prefix: readonly number[]): boolean {
  return prefix.every((b, i) => bytes[i] === b);
}

export interface CsvRecord {
  /** The line of the file on which the record starts (1 = the first line, the header). */
  readonly line: number;
  readonly cells: readonly string[];
}

export class CsvSyntaxError extends Error {
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(`Line ${line}: ${message}`);
  }
}

/**
 * Splits CSV text into records. Quoted cells may hold the delimiter (a comma unless given),
 * doubled quotes and line breaks; each record keeps the line it starts on, for error reports.
 * Blank lines are skipped. Throws CsvSyntaxError for a quote left open, text after a closing
 * quote, or a NUL character.
 */
export function parseCsv(text: string, delimiter: CsvDelimiter = ','): CsvRecord[] {
  // A NUL never occurs in a spreadsheet's CSV; it means a binary file (or a UTF-16 file read as
  // bytes), and PostgreSQL text cannot hold it. Refused here, so every import says so the same way.
  const nul = text.indexOf('\u0000');
  if (nul >= 0) {
    const lineOfNul = text.slice(0, nul).split(/\r\n|\r|\n/).length;
    throw new CsvSyntaxError(
      lineOfNul,
      'the file contains a NUL character, so it is not a CSV text file; save it again from the spreadsheet as "CSV UTF-8"',
    );
  }
  const records: CsvRecord[] = [];
  let cells: string[] = [];
  let cell = '';
  let line = 1;
  let recordLine = 1;
  let i = 0;
  let quoted = false;
  let afterQuote = false;
  const endRecord = () => {
    cells.push(cell);
    if (!(cells.length === 1 && cells[0] === '')) records.push({ line: recordLine, cells });
    cells = [];
    cell = '';
  };
  while (i < text.length) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          cell += '"';
          i += 2;
          continue;
        }
        quoted = false;
        afterQuote = true;
        i += 1;
        continue;
      }
      if (ch === '\n') line += 1;
      cell += ch;
      i += 1;
      continue;
    }
    if (ch === delimiter) {
      cells.push(cell);
      cell = '';
      afterQuote = false;
      i += 1;
      continue;
    }
    if (ch === '\r' || ch === '\n') {
      endRecord();
      afterQuote = false;
      i += ch === '\r' && text[i + 1] === '\n' ? 2 : 1;
      line += 1;
      recordLine = line;
      continue;
    }
    if (afterQuote)
      throw new CsvSyntaxError(
        line,
        'text after a closing quote; put the whole cell in quotes and double any quote inside it',
      );
    if (ch === '"' && cell === '') {
      quoted = true;
      i += 1;
      continue;
    }
    cell += ch;
    i += 1;
  }
  if (quoted) throw new CsvSyntaxError(recordLine, 'a quoted cell is not closed');
  if (cell !== '' || cells.length > 0) endRecord();
  return records;
}

/** Records as objects keyed by the header row (header names trimmed). */
export function csvObjects(records: readonly CsvRecord[]): {
  header: string[];
  rows: { line: number; values: Record<string, string>; cellCount: number }[];
} {
  const [first, ...rest] = records;
  const header = (first?.cells ?? []).map((h) => h.trim());
  return {
    header,
    rows: rest.map((r) => ({
      line: r.line,
      cellCount: r.cells.length,
      values: Object.fromEntries(header.map((h, i) => [h, r.cells[i] ?? ''])),
    })),
  };
}
