import { describe, expect, it } from 'vitest';
import { giasExtractBytes, type GiasExtractRow } from '../../src/demo/gias-extract.ts';
import { decodeText, encodeWindows1252, parseCsv } from '../../src/domain/csv-read.ts';
import { ValidationError } from '../../src/domain/errors.ts';
import { mapPhase, mapStatus, normaliseLaCode, readGiasExtract } from '../../src/domain/gias.ts';
import { giasFullExtractBytes, giasFullExtractText, type GiasFullRow } from '../support/gias-full-extract.ts';

const row = (overrides: Partial<GiasExtractRow> = {}): GiasExtractRow => ({
  urn: 100001,
  name: 'Alder Primary School',
  laCode: '202',
  laName: 'Camden',
  phase: 'Primary',
  status: 'Open',
  ...overrides,
});

function refusal(bytes: Uint8Array): string {
  try {
    readGiasExtract(bytes);
  } catch (error) {
    if (error instanceof ValidationError) return error.fields.file ?? '';
    throw error;
  }
  throw new Error('the file was not refused');
}

describe('GIAS statuses and phases', () => {
  it.each([
    ['Open', 'open'],
    ['Closed', 'closed'],
    ['Open, but proposed to close', 'proposed_to_close'],
    ['Proposed to open', 'proposed_to_open'],
    ['  open,  but PROPOSED to close ', 'proposed_to_close'],
    ['Suspended', undefined],
  ])('maps the establishment status "%s" to %s', (raw, status) => {
    expect(mapStatus(raw)).toBe(status);
  });

  it.each([
    ['Primary', 'Primary'],
    ['secondary', 'Secondary'],
    ['Middle deemed primary', 'Middle deemed primary'],
    ['16 plus', '16 plus'],
    ['All-through', 'All-through'],
    ['Not applicable', null],
    ['', null],
    ['Something new', 'Something new'],
  ])('keeps the phase "%s" in GIAS spelling as %s ("Not applicable" and blank are none)', (raw, phase) => {
    expect(mapPhase(raw)).toBe(phase);
  });
});

describe('reading the extract', () => {
  it('reads the columns it uses among many others, in Windows-1252', () => {
    const bytes = giasExtractBytes([
      row({ name: 'St Mary’s Catholic Primary School – Annexe' }),
      row({ urn: 100002, name: 'Café Street Nursery', phase: 'Nursery', status: 'Closed' }),
      row({
        urn: 100003,
        name: 'Oak Special School',
        laCode: '886',
        laName: 'Kent',
        phase: 'Not applicable',
        status: 'Proposed to open',
      }),
    ]);
    expect(decodeText(bytes).encoding).toBe('windows-1252');
    const extract = readGiasExtract(bytes);
    expect(extract.problems).toEqual([]);
    expect(extract.rowsRead).toBe(3);
    expect(extract.schools).toEqual([
      {
        line: 2,
        urn: 100001,
        name: 'St Mary’s Catholic Primary School – Annexe',
        laCode: '202',
        phase: 'Primary',
        status: 'open',
      },
      { line: 3, urn: 100002, name: 'Café Street Nursery', laCode: '202', phase: 'Nursery', status: 'closed' },
      { line: 4, urn: 100003, name: 'Oak Special School', laCode: '886', phase: null, status: 'proposed_to_open' },
    ]);
    expect(extract.las).toEqual([
      { code: '202', name: 'Camden' },
      { code: '886', name: 'Kent' },
    ]);
  });

  it('reads a UTF-8 file with a byte-order mark too', () => {
    const text =
      '\ufeffURN,EstablishmentName,LA (code),LA (name),PhaseOfEducation (name),EstablishmentStatus (name)\r\n100001,St Anne’s,202,Camden,Primary,Open\r\n';
    expect(readGiasExtract(new TextEncoder().encode(text)).schools[0]!.name).toBe('St Anne’s');
  });

  it('refuses a file without a column it uses, naming the column, whatever its rows', () => {
    const text =
      'URN,EstablishmentName,LA (code),PhaseOfEducation (name),EstablishmentStatus (name)\r\n100001,Alder,202,Primary,Open\r\n';
    expect(refusal(encodeWindows1252(text))).toBe(
      'The file is not a GIAS establishment extract: it has no "LA (name)" column. Nothing was imported.',
    );
    expect(refusal(encodeWindows1252('Name,Email\r\nJo,jo@example.com\r\n'))).toContain(
      '"URN", "EstablishmentName", "LA (code)", "LA (name)", "PhaseOfEducation (name)", "EstablishmentStatus (name)" columns',
    );
    expect(refusal(new Uint8Array())).toContain('The file is empty');
    expect(refusal(encodeWindows1252('URN,"EstablishmentName\r\n1,2\r\n'))).toContain('not valid CSV');
  });

  it('skips and reports bad rows with their line; skips LA code 000 without reporting each', () => {
    const bytes = giasExtractBytes([
      row(),
      row({ urn: 0 }),
      row({ urn: 100002, laCode: '2020' }),
      row({ urn: 100003, laCode: '000', laName: 'Does not apply' }),
      row({ urn: 100004, status: 'Suspended' }),
      row({ urn: 100001, name: 'Duplicate' }),
      row({ urn: 100005, name: '' }),
      row({ urn: 100006, laCode: '999', laName: '' }),
    ]);
    const text = decodeText(bytes).text.replace('\r\n0,', '\r\nX12,');
    const extract = readGiasExtract(encodeWindows1252(text));
    expect(extract.schools.map((s) => s.urn)).toEqual([100001]);
    expect(extract.rowsRead).toBe(8);
    expect(extract.outsideLa).toBe(1);
    expect(extract.problems).toEqual([
      { line: 3, message: '"X12" is not a URN (a whole number)' },
      { line: 4, message: 'URN 100002: "2020" is not a three-digit LA code' },
      { line: 6, message: 'URN 100004: unknown establishment status "Suspended"' },
      { line: 7, message: 'URN 100001 is also on line 2; this row was skipped' },
      { line: 8, message: 'URN 100005: no establishment name' },
      { line: 9, message: 'URN 100006: no LA name for LA code 999' },
    ]);
  });

  it('counts lines of the file, not records, when a quoted name spans two lines', () => {
    const text =
      'URN,EstablishmentName,LA (code),LA (name),PhaseOfEducation (name),EstablishmentStatus (name)\r\n100001,"Two\r\nLines",202,Camden,Primary,Open\r\nbad,Alder,202,Camden,Primary,Open\r\n';
    expect(readGiasExtract(encodeWindows1252(text)).problems).toEqual([
      { line: 4, message: '"bad" is not a URN (a whole number)' },
    ]);
  });
});

const HEADER6 = 'URN,EstablishmentName,LA (code),LA (name),PhaseOfEducation (name),EstablishmentStatus (name)';

describe('the extract as spreadsheets and downloads leave it (issue 14)', () => {
  it('reports by line and skips a row with too few or too many fields, importing the rest', () => {
    const text = [
      HEADER6,
      '100001,Alder Primary School,202,Camden,Primary,Open',
      // A name with a comma but no quotes: one field too many, everything after it shifted.
      '100002,Birch, Primary School,202,Camden,Primary,Open',
      // Cut short.
      '100003,Cedar Primary School,202',
      'x,Damson,202,Camden,Primary,Open,',
      '100004,Elm Primary School,202,Camden,Primary,Open',
      '',
    ].join('\r\n');
    const extract = readGiasExtract(encodeWindows1252(text));
    expect(extract.schools.map((s) => s.urn)).toEqual([100001, 100004]);
    expect(extract.rowsRead).toBe(5);
    expect(extract.problems).toEqual([
      {
        line: 3,
        message:
          'URN 100002: the row has 7 fields where the header has 6, so it was skipped (a cell holding a comma must be in double quotes)',
      },
      { line: 4, message: 'URN 100003: the row has 3 fields where the header has 6, so it was skipped' },
      {
        line: 5,
        message:
          'the row has 7 fields where the header has 6, so it was skipped (a cell holding a comma must be in double quotes)',
      },
    ]);
  });

  it('ignores rows of only commas, which a spreadsheet leaves after deleted rows', () => {
    const text = [HEADER6, '100001,Alder Primary School,202,Camden,Primary,Open', ',,,,,', ',,,,,,,,', ''].join('\r\n');
    const extract = readGiasExtract(encodeWindows1252(text));
    expect(extract.schools).toHaveLength(1);
    expect(extract.problems).toEqual([]);
    expect(extract.rowsRead).toBe(1);
  });

  it('treats LA code 0 (000 re-saved by Excel) as 000 and puts back the leading zeros of other short codes', () => {
    expect(normaliseLaCode('0')).toBe('000');
    expect(normaliseLaCode('00')).toBe('000');
    expect(normaliseLaCode('000')).toBe('000');
    expect(normaliseLaCode('93')).toBe('093');
    expect(normaliseLaCode('202')).toBe('202');
    expect(normaliseLaCode('2020')).toBe('2020');
    expect(normaliseLaCode('A1')).toBe('A1');
    const rows = Array.from({ length: 30 }, (_, i) =>
      row({ urn: 300001 + i, laCode: '0', laName: 'Does not apply', phase: 'Not applicable' }),
    );
    const extract = readGiasExtract(giasExtractBytes([row(), ...rows]));
    expect(extract.problems).toEqual([]);
    expect(extract.outsideLa).toBe(30);
    expect(extract.schools.map((s) => s.urn)).toEqual([100001]);
  });

  it('matches header names in any case and spacing', () => {
    const text =
      'urn, establishmentname ,LA  (CODE),la (name),phaseofeducation (name),ESTABLISHMENTSTATUS (NAME)\r\n100001,Alder,202,Camden,Primary,Open\r\n';
    const extract = readGiasExtract(encodeWindows1252(text));
    expect(extract.problems).toEqual([]);
    expect(extract.schools).toEqual([
      { line: 2, urn: 100001, name: 'Alder', laCode: '202', phase: 'Primary', status: 'open' },
    ]);
  });

  /** The extract as a spreadsheet re-saves it with another separator (cells quoted as it quotes them). */
  const resaved = (rows: GiasFullRow[], separator: string) =>
    parseCsv(giasFullExtractText(rows))
      .map((r) => r.cells.map((c) => (/[";\t\r\n]/.test(c) ? `"${c.replace(/"/g, '""')}"` : c)).join(separator))
      .join('\r\n');
  const fullRows: GiasFullRow[] = [
    row({ name: 'St Mary’s Church of England Primary School' }),
    row({ urn: 100002, laCode: '0', laName: 'Does not apply', phase: 'Not applicable' }),
    row({ urn: 100003, name: 'Oak, Ash & Thorn Federation School', laCode: '886', laName: 'Kent', status: 'Closed' }),
  ];
  const expected = readGiasExtract(giasFullExtractBytes(fullRows));

  it('reads the 140-column extract as published, with quoted commas', () => {
    expect(expected.problems).toEqual([]);
    expect(expected.outsideLa).toBe(1);
    expect(expected.schools.map((s) => [s.urn, s.name, s.laCode, s.status])).toEqual([
      [100001, 'St Mary’s Church of England Primary School', '202', 'open'],
      [100003, 'Oak, Ash & Thorn Federation School', '886', 'closed'],
    ]);
  });

  it('reads the extract re-saved with semicolons (Windows-1252) as the extract itself', () => {
    const bytes = encodeWindows1252(resaved(fullRows, ';'));
    expect(readGiasExtract(bytes)).toEqual(expected);
  });

  it('reads Excel\'s "Unicode Text" (UTF-16 with a byte-order mark, tab-separated) and UTF-16 without the mark', () => {
    const text = resaved(fullRows, '\t');
    const withMark = new Uint8Array(Buffer.from(`\ufeff${text}`, 'utf16le'));
    expect([withMark[0], withMark[1]]).toEqual([0xff, 0xfe]);
    expect(readGiasExtract(withMark)).toEqual(expected);
    expect(readGiasExtract(new Uint8Array(Buffer.from(text, 'utf16le')))).toEqual(expected);
  });

  it('still names the missing columns of a comma file that is not the extract', () => {
    expect(refusal(encodeWindows1252('Name;Notes,Email\r\nJo;x,jo@example.com\r\n'))).toMatch(
      /^The file is not a GIAS establishment extract: it has no "URN"/,
    );
  });

  it('refuses a file with a NUL byte in one sentence that names its line', () => {
    const text = `${HEADER6}\r\n100001,Alder\u0000,202,Camden,Primary,Open\r\n`;
    expect(refusal(new TextEncoder().encode(text))).toBe(
      'The file is not valid CSV. Line 2: the file contains a NUL character, so it is not a CSV text file; save it again from the spreadsheet as "CSV UTF-8".',
    );
  });
});

describe('Windows-1252 encoding', () => {
  it('round-trips the characters GIAS names use and replaces what 1252 lacks', () => {
    const text = 'St Mary’s – Café “Ÿ” €';
    expect(decodeText(encodeWindows1252(text), 'windows-1252').text).toBe(text);
    expect(Array.from(encodeWindows1252('’'))).toEqual([0x92]);
    expect(decodeText(encodeWindows1252('Łódź'), 'windows-1252').text).toBe('?ód?');
  });
});
