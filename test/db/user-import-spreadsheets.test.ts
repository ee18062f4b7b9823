import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../src/data/database.ts';
import { migrateToLatest } from '../../src/data/migrate.ts';
import { parseCsv } from '../../src/domain/csv-read.ts';
import { PROJECT_ROOT } from '../../src/paths.ts';
import { cliEnv, runCli, STACK_TRACE, withEmbeddedDatabase } from '../support/cli-child.ts';
import { createAccount, type FixtureAccount } from '../support/fixtures.ts';
import { seedCamdenForImport } from '../support/import-fixtures.ts';
import { unpackMigratedDatabase } from '../support/migrated-data-dir.ts';
import { signInAs } from '../support/sign-in.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';

/**
 * Issue 14's "must show": files saved by a real LibreOffice (test/fixtures/spreadsheets, made by
 * its make-fixtures.sh) in UTF-8, Windows-1252, semicolon and UTF-16 "Unicode Text" variants,
 * imported through Admin > Users > Import and through `users import`; each gives the same
 * accounts, read back through the export in the import's format.
 */

const FIXTURES = path.join(PROJECT_ROOT, 'test/fixtures/spreadsheets');
const VARIANTS = ['users-utf8.csv', 'users-windows-1252.csv', 'users-semicolon.csv', 'users-unicode-text.txt'];
const USERNAMES = ['zoe.bronte', 'sian.osullivan', 'jo.bloggs'];
const fixture = (name: string) => readFileSync(path.join(FIXTURES, name));

/** What every variant must give, as the export in the import's format writes it (in last-name order). */
const EXPECTED = [
  'jo.bloggs,Jo,Bloggs,jo.bloggs@camden.gov.uk,,,read_only,summary_reports,,,,100001:governor; 100002:link_adviser,,',
  'zoe.bronte,Zoë,Brontë,zoe.bronte@camden.gov.uk,Senior Data Analyst,01632 960 001,la_officer,view_users; summary_reports; pupil_level,,,,100001:consultant,North cluster,2099-03-31',
  'sian.osullivan,Siân,O’Sullivan,sian.osullivan@camden.gov.uk,"Head, Virtual School",\'+44 808 157 0192,virtual_school,view_users; cin_cla,Ann Head,Director of Children’s Services,2026-01-15,,,2099-03-31',
];
const NOTES_NOTICE = 'The column "Notes" is not a column of this import, so it was ignored.';

/** The lines of an import-format export that belong to the fixture's accounts. */
function fixtureLines(csv: string): string[] {
  const lines = csv.replace(/^\uFEFF/, '').split('\r\n');
  return lines.filter((line) => USERNAMES.some((u) => line.startsWith(`${u},`)));
}

const phoneAccounts = async (db: Db) =>
  (
    await db
      .selectFrom('accounts')
      .select('username')
      .where('username', 'in', ['ann.able', 'bob.baker', 'cat.cole'])
      .execute()
  ).length;

const removeFixtureAccounts = (db: Db) => db.deleteFrom('accounts').where('username', 'in', USERNAMES).execute();

describe('LibreOffice files through Admin > Users > Import', () => {
  let t: TestApp;
  let admin: FixtureAccount;

  beforeAll(async () => {
    t = await createTestApp();
    const camden = await seedCamdenForImport(t.handle.db, ['North cluster']);
    admin = await createAccount(t.handle.db, t.config.secretKey, {
      organisationId: camden,
      username: 'camden.admin',
      userType: 'la_admin',
    });
  });
  afterAll(async () => t?.close());

  it('the fixtures are what LibreOffice saved: each variant as its name says', () => {
    const [utf8, cp1252, semicolon, unicode] = VARIANTS.map(fixture);
    expect(utf8!.toString('utf8')).toContain('"Zoë","Brontë"');
    expect(cp1252!.includes(Buffer.from([0x22, 0x5a, 0x6f, 0xeb, 0x22]))).toBe(true); // "Zoë" in 1252
    expect(semicolon!.toString('utf8').split('\n')[0]).toMatch(/^"username";"first_name";/);
    expect([...unicode!.subarray(0, 4)]).toEqual([0xff, 0xfe, 0x22, 0x00]);
    expect(unicode!.toString('utf16le')).toContain('"username"\t"first_name"');
    // What the import must undo or ignore: a UK short date, a line break in a cell, an empty row, Notes.
    expect(utf8!.toString('utf8')).toContain(',31/03/99,');
    expect(utf8!.toString('utf8')).toContain('"Senior\nData Analyst"');
    expect(utf8!.toString('utf8')).toContain('\n,,,,,,,,,,,,,,\n');
  });

  it.each(VARIANTS)('%s imports with a notice of the ignored column, and gives the same accounts', async (name) => {
    await removeFixtureAccounts(t.handle.db);
    const client = await signInAs(t, admin);
    const page = await client.upload('/admin/users/import', { name, content: fixture(name) });
    expect(page.statusCode, page.body).toBe(200);
    expect(page.body).toContain('3 accounts have been created in Camden and emailed an invitation');
    expect(page.body).toContain(NOTES_NOTICE.replaceAll('"', '&quot;'));
    expect(page.body).toContain('Zoë Brontë');
    const list = await client.get('/admin/users');
    expect(list.body).toContain('href="/admin/users/export-for-import.csv"');
    const exported = await client.get('/admin/users/export-for-import.csv');
    expect(exported.statusCode).toBe(200);
    expect(fixtureLines(exported.body)).toEqual(EXPECTED);
  });

  it('phones that LibreOffice saved as numbers: a problem on their own rows, nothing imported', async () => {
    const client = await signInAs(t, admin);
    const page = await client.upload('/admin/users/import', {
      name: 'phones-as-numbers.csv',
      content: fixture('phones-as-numbers.csv'),
    });
    expect(page.statusCode).toBe(400);
    expect(page.body).toContain('2 problems in phones-as-numbers.csv');
    const problemRow = (line: number, phone: string) =>
      new RegExp(
        `<td class="govuk-table__cell">${line}</td>\\s*<td class="govuk-table__cell">phone</td>\\s*<td class="govuk-table__cell">The phone number ${phone} has lost its leading 0 \\(or \\+\\): a spreadsheet drops it when it keeps a phone number as a number. Write the number in full, like 01632 960 001, in a column formatted as Text.</td>`,
      );
    expect(page.body).toMatch(problemRow(2, '1632960001'));
    expect(page.body).toMatch(problemRow(4, '2079460003'));
    expect(page.body).not.toMatch(/<td class="govuk-table__cell">3<\/td>/);
    expect(await phoneAccounts(t.handle.db)).toBe(0);
  });
});

describe('LibreOffice files through `users import`', { timeout: 240_000 }, () => {
  let dataDir: string;
  const children = new Set<ChildProcess>();
  const run = (...args: string[]) =>
    runCli(cliEnv(dataDir, 'user-import-spreadsheets-test-secret-key-32+'), args, children);

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'nexus-spreadsheets-'));
    unpackMigratedDatabase(dataDir);
    await withEmbeddedDatabase(dataDir, async (db) => {
      await migrateToLatest(db);
      await seedCamdenForImport(db, ['North cluster']);
    });
  }, 240_000);
  afterAll(async () => {
    for (const child of children) child.kill('SIGKILL');
    await rm(dataDir, { recursive: true, force: true });
  });

  it.each(VARIANTS)(
    '%s: imported with the notice; the export in import format gives the same accounts',
    async (name) => {
      await withEmbeddedDatabase(dataDir, removeFixtureAccounts);
      const result = await run('users', 'import', path.join(FIXTURES, name), '--la', '202');
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout).toContain('Imported 3 accounts into Camden; each has been emailed an invitation.');
      expect(result.stdout).toContain(NOTES_NOTICE);
      expect(result.stdout).toMatch(/^zoe\.bronte\s+Zoë Brontë\s+zoe\.bronte@camden\.gov\.uk$/m);
      const exported = await run('users', 'export', '--la', '202', '--format', 'import');
      expect(exported.code, exported.stderr).toBe(0);
      expect(parseCsv(exported.stdout)[0]!.cells[0]).toBe('username');
      expect(fixtureLines(exported.stdout)).toEqual(EXPECTED);
    },
  );

  it('phones saved as numbers: each named by line, exit 2, nothing written', async () => {
    const result = await run('users', 'import', path.join(FIXTURES, 'phones-as-numbers.csv'), '--la', '202');
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^2\s+phone\s+The phone number 1632960001 has lost its leading 0 \(or \+\)/m);
    expect(result.stderr).toMatch(/^4\s+phone\s+The phone number 2079460003 has lost its leading 0 \(or \+\)/m);
    expect(result.stderr).not.toMatch(STACK_TRACE);
    expect(await withEmbeddedDatabase(dataDir, phoneAccounts)).toBe(0);
    const bad = await run('users', 'export', '--la', '202', '--format', 'labels');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--format must be list or import; got "labels"');
  });
});
