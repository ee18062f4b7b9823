import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { toCsv } from '../../src/domain/csv.ts';
import {
  CsvSyntaxError,
  csvObjects,
  decodeSpreadsheetText,
  decodeText,
  detectDelimiter,
  parseCsv,
  readSpreadsheetCsv,
} from '../../src/domain/csv-read.ts';

describe('decodeText', () => {
  it('reads UTF-8 with and without a byte-order mark', () => {
    const plain = Buffer.from('name\nSiân Ó Súilleabháin\n', 'utf-8');
    expect(decodeText(plain)).toEqual({
      text: 'name\nSiân Ó Súilleabháin\n',
      encoding: 'utf-8',
      hadByteOrderMark: false,
    });
    const bom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), plain]);
    expect(decodeText(bom)).toEqual({ text: 'name\nSiân Ó Súilleabháin\n', encoding: 'utf-8', hadByteOrderMark: true });
  });

  it('falls back to Windows-1252 when the bytes are not UTF-8 (GIAS, Excel "CSV")', () => {
    // "St Mary’s – Café" in Windows-1252: curly apostrophe 0x92, en dash 0x96, é 0xe9.
    const bytes = Buffer.from([
      0x53, 0x74, 0x20, 0x4d, 0x61, 0x72, 0x79, 0x92, 0x73, 0x20, 0x96, 0x20, 0x43, 0x61, 0x66, 0xe9,
    ]);
    expect(decodeText(bytes)).toEqual({ text: 'St Mary’s – Café', encoding: 'windows-1252', hadByteOrderMark: false });
  });

  it('reads UTF-16 with its byte-order mark', () => {
    const le = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('a,b\r\nç,d\r\n', 'utf16le')]);
    expect(decodeText(le).text).toBe('a,b\r\nç,d\r\n');
    expect(decodeText(le).encoding).toBe('utf-16le');
  });
});

describe('decodeSpreadsheetText', () => {
  it('reads what decodeText reads, and UTF-16 without its byte-order mark', () => {
    const text = 'urn;name\r\n100001;Zoë’s School\r\n';
    expect(decodeSpreadsheetText(Buffer.from(text, 'utf16le'))).toEqual({
      text,
      encoding: 'utf-16le',
      hadByteOrderMark: false,
    });
    expect(decodeSpreadsheetText(Buffer.from(text, 'utf16le').swap16()).encoding).toBe('utf-16be');
    for (const bytes of [
      Buffer.from(text),
      Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text)]),
      Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]),
      Buffer.from([0x53, 0x74, 0x92, 0x73, 0x0d, 0x0a]),
    ])
      expect(decodeSpreadsheetText(bytes)).toEqual(decodeText(bytes));
  });

  it('a binary file with NULs here and there is not taken for UTF-16, so parseCsv refuses it', () => {
    const bytes = Buffer.from([0x50, 0x4b, 0x03, 0x04, 0x14, 0x00, 0x00, 0x00, 0x08, 0x00, 0x61, 0x62]);
    expect(decodeSpreadsheetText(bytes).encoding).not.toMatch(/utf-16/);
    expect(() => parseCsv(decodeSpreadsheetText(bytes).text)).toThrow(/NUL character/);
  });
});

describe('detectDelimiter', () => {
  it('takes the delimiter the header line holds most of, outside quotes; a comma by default', () => {
    expect(detectDelimiter('a,b,c\n1;2;3;4;5\n')).toBe(',');
    expect(detectDelimiter('a;b;c\n1,2\n')).toBe(';');
    expect(detectDelimiter('a\tb\tc\r\n1,2,3\n')).toBe('\t');
    expect(detectDelimiter('"a;b;c",d\n')).toBe(',');
    expect(detectDelimiter('"x,\ny,z";b\n')).toBe(';');
    expect(detectDelimiter('single\n')).toBe(',');
    expect(detectDelimiter('')).toBe(',');
  });
});

describe('readSpreadsheetCsv', () => {
  it('returns the records with the encoding and delimiter it found', () => {
    const bytes = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('a\tb\r\n"x\ty"\t2\r\n', 'utf16le')]);
    expect(readSpreadsheetCsv(bytes)).toEqual({
      records: [
        { line: 1, cells: ['a', 'b'] },
        { line: 2, cells: ['x\ty', '2'] },
      ],
      encoding: 'utf-16le',
      delimiter: '\t',
    });
  });
});

describe('parseCsv', () => {
  it('splits on the delimiter given; the others are text', () => {
    expect(parseCsv('a;b,c\n"1;2";3\n', ';')).toEqual([
      { line: 1, cells: ['a', 'b,c'] },
      { line: 2, cells: ['1;2', '3'] },
    ]);
  });

  it('handles quotes, doubled quotes, commas and line breaks inside cells, CRLF and LF', () => {
    const text = 'a,b,c\r\n"x, y","say ""hi""","two\nlines"\n\nlast,,\n';
    expect(parseCsv(text)).toEqual([
      { line: 1, cells: ['a', 'b', 'c'] },
      { line: 2, cells: ['x, y', 'say "hi"', 'two\nlines'] },
      { line: 5, cells: ['last', '', ''] },
    ]);
  });

  it('reports the line of an unclosed quote and of text after a closing quote', () => {
    expect(() => parseCsv('a\n"open\n')).toThrow(CsvSyntaxError);
    try {
      parseCsv('a,b\nok,fine\n"x"y,z\n');
    } catch (e) {
      expect((e as CsvSyntaxError).line).toBe(3);
    }
    expect.assertions(2);
  });

  it('refuses a file with a NUL character, naming its line (a binary file, or UTF-16 read as bytes)', () => {
    expect(() => parseCsv('urn,name\n1,ok\r\n2,bad\u0000name\n')).toThrow(/^Line 3: the file contains a NUL character/);
    expect(() => parseCsv('\u0000')).toThrow(CsvSyntaxError);
  });

  it('reads back whatever toCsv writes (cells that do not start like a formula)', () => {
    const cell = fc
      .string({ unit: 'grapheme', maxLength: 20 })
      .filter((s) => !/^[=+\-@\t\r]/.test(s) && !s.includes('\u0000'));
    fc.assert(
      fc.property(fc.array(fc.array(cell, { minLength: 2, maxLength: 2 }), { maxLength: 10 }), (rows) => {
        const parsed = parseCsv(toCsv(['h1', 'h2'], rows));
        const nonBlank = rows.filter((r) => !(r.length === 1 && r[0] === ''));
        expect(parsed.slice(1).map((r) => r.cells)).toEqual(nonBlank);
      }),
    );
  });

  it('gives objects keyed by a trimmed header', () => {
    const { header, rows } = csvObjects(parseCsv(' URN ,Name\n100,Alpha\n101\n'));
    expect(header).toEqual(['URN', 'Name']);
    expect(rows).toEqual([
      { line: 2, cellCount: 2, values: { URN: '100', Name: 'Alpha' } },
      { line: 3, cellCount: 1, values: { URN: '101', Name: '' } },
    ]);
  });
});
