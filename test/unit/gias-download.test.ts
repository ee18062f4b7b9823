import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { giasExtractBytes, type GiasExtractRow } from '../../src/demo/gias-extract.ts';
import { ValidationError } from '../../src/domain/errors.ts';
import { MAX_EXTRACT_BYTES, readGiasDownload } from '../../src/domain/gias-download.ts';
import { PROJECT_ROOT } from '../../src/paths.ts';
import { giasFullExtractBytes, type GiasFullRow } from '../support/gias-full-extract.ts';
import { zipFile } from '../support/zip-write.ts';

/** Issue 14 item 15: GIAS downloads come as `.zip`; the extract inside is read. */

/** The rows of test/fixtures/gias/extract.zip (see its README). */
const FIXTURE_ROWS: GiasFullRow[] = [
  {
    urn: 100000,
    name: 'The Aldgate School',
    laCode: '201',
    laName: 'City of London',
    phase: 'Primary',
    status: 'Open',
    type: 'Voluntary aided school',
  },
  {
    urn: 100001,
    name: 'City of London School for Girls',
    laCode: '201',
    laName: 'City of London',
    phase: 'Not applicable',
    status: 'Open',
    type: 'Other independent school',
  },
  {
    urn: 100002,
    name: 'St Anne’s Catholic Primary School – Annexe',
    laCode: '202',
    laName: 'Camden',
    phase: 'Primary',
    status: 'Closed',
  },
  {
    urn: 100003,
    name: 'British School of Somewhere',
    laCode: '000',
    laName: 'Does not apply',
    phase: 'Not applicable',
    status: 'Open',
  },
];

const row = (urn: number): GiasExtractRow => ({
  urn,
  name: `School ${urn}`,
  laCode: '202',
  laName: 'Camden',
  phase: 'Primary',
  status: 'Open',
});

function refusal(bytes: Uint8Array): string {
  try {
    readGiasDownload(bytes);
  } catch (error) {
    if (error instanceof ValidationError) return error.fields.file ?? '';
    throw error;
  }
  throw new Error('the file was not refused');
}

const AGAIN =
  'Download the extract from Get Information about Schools again, or import the CSV file inside the zip. Nothing was imported.';

describe('reading the GIAS download', () => {
  it('reads the 140-column extract inside a zip made by Info-ZIP', () => {
    const bytes = readFileSync(path.join(PROJECT_ROOT, 'test/fixtures/gias/extract.zip'));
    const { extract, entryName } = readGiasDownload(bytes);
    expect(entryName).toBe('edubasealldata20261128.csv');
    expect(extract.problems).toEqual([]);
    expect(extract.rowsRead).toBe(4);
    expect(extract.outsideLa).toBe(1);
    expect(extract.schools.map((s) => [s.urn, s.name, s.laCode, s.phase, s.status])).toEqual([
      [100000, 'The Aldgate School', '201', 'Primary', 'open'],
      [100001, 'City of London School for Girls', '201', null, 'open'],
      [100002, 'St Anne’s Catholic Primary School – Annexe', '202', 'Primary', 'closed'],
    ]);
    // The fixture holds what the generator writes today: the two cannot drift apart unnoticed.
    expect(readGiasDownload(giasFullExtractBytes(FIXTURE_ROWS)).extract).toEqual(extract);
  });

  it('reads a CSV file as before, and a zip whether its entry is deflated or stored, in a folder or not', () => {
    const csv = giasExtractBytes([row(100001), row(100002)]);
    expect(readGiasDownload(csv).entryName).toBeUndefined();
    expect(readGiasDownload(csv).extract.schools).toHaveLength(2);
    for (const [name, method] of [
      ['edubasealldata20261128.csv', 8],
      ['extract/EDUBASEALLDATA20261128.CSV', 0],
    ] as const) {
      const read = readGiasDownload(zipFile([{ name, data: csv, method }]));
      expect(read.entryName).toBe(name);
      expect(read.extract.schools.map((s) => s.urn)).toEqual([100001, 100002]);
    }
  });

  it('picks the establishment extract among the CSVs of a download of several data sets, ignoring macOS copies', () => {
    const zip = zipFile([
      { name: '__MACOSX/._edubasealldata20261128.csv', data: new Uint8Array([0, 5, 22, 7]) },
      { name: 'links_edubasealldata20261128.csv', data: new TextEncoder().encode('URN,LinkURN\r\n1,2\r\n') },
      { name: 'edubasealldata20261128.csv', data: giasExtractBytes([row(100007)]) },
      { name: 'extract/', data: new Uint8Array() },
    ]);
    const read = readGiasDownload(zip);
    expect(read.entryName).toBe('edubasealldata20261128.csv');
    expect(read.extract.schools.map((s) => s.urn)).toEqual([100007]);
  });

  it('refuses a zip with several CSVs none of which is the extract, or with no CSV, naming what it holds', () => {
    const text = new TextEncoder().encode('a,b\r\n');
    expect(
      refusal(
        zipFile([
          { name: 'schools-2025.csv', data: text },
          { name: 'schools-2026.csv', data: text },
        ]),
      ),
    ).toBe(
      'The zip file holds 2 CSV files (schools-2025.csv, schools-2026.csv), so it is not clear which is the establishment extract. Import the edubasealldata CSV file on its own. Nothing was imported.',
    );
    expect(
      refusal(
        zipFile([
          { name: 'edubasealldata20261128.csv', data: text },
          { name: 'old/edubasealldata20250101.csv', data: text },
        ]),
      ),
    ).toContain('The zip file holds 2 CSV files (edubasealldata20261128.csv, old/edubasealldata20250101.csv)');
    expect(refusal(zipFile([{ name: 'extract.xlsx', data: text }]))).toBe(
      'The zip file holds no CSV file (it holds extract.xlsx). Download "Establishment fields" as CSV from Get Information about Schools and import that zip file. Nothing was imported.',
    );
    expect(refusal(zipFile([]))).toBe(
      'The zip file holds no CSV file. Download "Establishment fields" as CSV from Get Information about Schools and import that zip file. Nothing was imported.',
    );
  });

  it('refuses a zip bomb: an entry declared too large is not inflated, and one that lies about its size stops at what it declared', () => {
    const small = giasExtractBytes([row(100001)]);
    expect(refusal(zipFile([{ name: 'edubasealldata.csv', data: small, declaredSize: 2 ** 31 }]))).toBe(
      `edubasealldata.csv in the zip file would be 2,048 MB unpacked, more than the ${MAX_EXTRACT_BYTES / 1024 / 1024} MB allowed. ${AGAIN}`,
    );
    // 64 MB of zeros deflate to some 64 KB; the entry says 1,000 bytes.
    const zeros = new Uint8Array(64 * 1024 * 1024);
    const bomb = zipFile([{ name: 'edubasealldata.csv', data: zeros, declaredSize: 1000 }]);
    expect(bomb.length).toBeLessThan(200_000);
    expect(refusal(bomb)).toBe(
      `edubasealldata.csv in the zip file is damaged or larger than the zip file says. ${AGAIN}`,
    );
  });

  it('refuses a damaged, encrypted, truncated or oddly compressed zip in one sentence saying what to do', () => {
    const csv = giasExtractBytes([row(100001)]);
    const good = zipFile([{ name: 'edubasealldata.csv', data: csv }]);
    expect(refusal(good.subarray(0, good.length - 30))).toBe(
      `The zip file is incomplete (its list of contents is missing). ${AGAIN}`,
    );
    const flipped = new Uint8Array(good);
    const data = 30 + 'edubasealldata.csv'.length + 20; // 20 bytes into the deflated data
    flipped[data] = (flipped[data]! + 1) % 256;
    expect(refusal(flipped)).toBe(
      `edubasealldata.csv in the zip file is damaged or larger than the zip file says. ${AGAIN}`,
    );
    expect(refusal(zipFile([{ name: 'edubasealldata.csv', data: csv, encrypted: true }]))).toBe(
      `edubasealldata.csv in the zip file is protected by a password. ${AGAIN}`,
    );
    expect(refusal(zipFile([{ name: 'edubasealldata.csv', data: csv, method: 12 }]))).toBe(
      `edubasealldata.csv in the zip file is compressed with a method this service cannot read (method 12). ${AGAIN}`,
    );
  });

  it('passes on what is wrong with the CSV inside, as for a CSV file', () => {
    expect(
      refusal(zipFile([{ name: 'edubasealldata.csv', data: new TextEncoder().encode('Name,Email\r\n') }])),
    ).toMatch(/^The file is not a GIAS establishment extract: it has no "URN"/);
  });
});
