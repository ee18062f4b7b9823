import { spawn } from 'node:child_process';
import { copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from '../../src/data/connect.ts';
import { giasExtractBytes, type GiasExtractRow } from '../../src/demo/gias-extract.ts';
import { decodeText } from '../../src/domain/csv-read.ts';
import type { Actor } from '../../src/domain/access.ts';
import { ValidationError } from '../../src/domain/errors.ts';
import { PROJECT_ROOT } from '../../src/paths.ts';
import { SYSTEM_CONTEXT } from '../../src/services/request-context.ts';
import { createAccount, supportAndCamdenAdmin, type FixtureAccount } from '../support/fixtures.ts';
import { unpackMigratedDatabase } from '../support/migrated-data-dir.ts';
import { signInAs } from '../support/sign-in.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';

/** R58a: LAs and schools from the GIAS establishment extract, imported idempotently. */

const OPERATOR: Actor = { kind: 'system', label: 'command line' };

let t: TestApp;
let support: FixtureAccount;
let admin: FixtureAccount;

const base: GiasExtractRow[] = [
  { urn: 100001, name: 'Alder Primary School', laCode: '202', laName: 'Camden', phase: 'Primary', status: 'Open' },
  {
    urn: 100002,
    name: 'St Anne’s Catholic High School',
    laCode: '202',
    laName: 'Camden',
    phase: 'Secondary',
    status: 'Open',
  },
  {
    urn: 100003,
    name: 'Birch Nursery School',
    laCode: '202',
    laName: 'Camden',
    phase: 'Nursery',
    status: 'Open, but proposed to close',
  },
  { urn: 200001, name: 'Oak Special School', laCode: '886', laName: 'Kent', phase: 'Not applicable', status: 'Open' },
  {
    urn: 200002,
    name: 'Medway Free School',
    laCode: '886',
    laName: 'Kent',
    phase: 'Secondary',
    status: 'Proposed to open',
  },
  {
    urn: 300001,
    name: 'British School of Somewhere',
    laCode: '000',
    laName: 'Does not apply',
    phase: 'Not applicable',
    status: 'Open',
  },
];

const importRows = (rows: readonly GiasExtractRow[], name = 'edubasealldata20261128.csv') =>
  t.services.schoolImports.importFile(
    OPERATOR,
    { name: `/tmp/downloads/${name}`, bytes: giasExtractBytes(rows) },
    SYSTEM_CONTEXT,
  );

const school = (urn: number) =>
  t.handle.db.selectFrom('schools').selectAll().where('urn', '=', urn).executeTakeFirstOrThrow();

beforeAll(async () => {
  t = await createTestApp();
  // Camden exists under an old name; Kent does not exist yet.
  ({ support, admin } = await supportAndCamdenAdmin(t.handle.db, t.config.secretKey, 'London Borough of Camden'));
});
afterAll(async () => t?.close());

describe('schools import (service)', () => {
  it('creates LAs with their names and schools with name, phase and status; renames an existing LA', async () => {
    const result = await importRows(base);
    expect(result).toMatchObject({
      fileName: 'edubasealldata20261128.csv',
      rowsRead: 6,
      organisationsCreated: 1,
      organisationsUpdated: 1,
      schools: { created: 5, updated: 0, closed: 0, unchanged: 0 },
      rowsSkipped: 1,
    });
    expect(result.fileSha256).toMatch(/^[0-9a-f]{64}$/);
    expect(result.problems).toEqual([{ message: '1 row has LA code 000 (not in a Local Authority) and was skipped' }]);
    const las = await t.handle.db
      .selectFrom('organisations')
      .select(['kind', 'la_code', 'name'])
      .where('kind', '=', 'la')
      .orderBy('la_code')
      .execute();
    expect(las).toEqual([
      { kind: 'la', la_code: '202', name: 'Camden' },
      { kind: 'la', la_code: '886', name: 'Kent' },
    ]);
    const kent = await t.handle.db
      .selectFrom('organisations')
      .select('id')
      .where('la_code', '=', '886')
      .executeTakeFirstOrThrow();
    expect(await school(200001)).toMatchObject({
      name: 'Oak Special School',
      phase: null,
      status: 'open',
      organisation_id: kent.id,
    });
    expect(await school(100002)).toMatchObject({ name: 'St Anne’s Catholic High School', phase: 'Secondary' });
    expect((await school(100003)).status).toBe('proposed_to_close');
    expect((await school(200002)).status).toBe('proposed_to_open');
    expect(
      await t.handle.db.selectFrom('schools').select('id').where('urn', '=', 300001).executeTakeFirst(),
    ).toBeUndefined();
  });

  it('changes nothing when the same file is imported again, and counts every school unchanged', async () => {
    const before = await t.handle.db.selectFrom('schools').selectAll().orderBy('urn').execute();
    t.clock.advance(3_600_000);
    const again = await importRows(base);
    expect(again).toMatchObject({
      organisationsCreated: 0,
      organisationsUpdated: 0,
      schools: { created: 0, updated: 0, closed: 0, unchanged: 5 },
      rowsSkipped: 1,
    });
    expect(await t.handle.db.selectFrom('schools').selectAll().orderBy('urn').execute()).toEqual(before);
  });

  it('updates a changed name and closes a closed school, which keeps its assignments and is flagged on the Schools tab', async () => {
    const alder = await school(100001);
    const officer = await createAccount(t.handle.db, t.config.secretKey, {
      organisationId: alder.organisation_id,
      username: 'alder.adviser',
    });
    await t.handle.db
      .insertInto('school_assignments')
      .values({
        account_id: officer.id,
        school_id: alder.id,
        role: 'link_adviser',
        assigned_at: new Date('2026-01-01T00:00:00Z'),
      })
      .execute();
    const untouched = await school(100002);
    t.clock.advance(3_600_000);
    const changed = base.map((r) =>
      r.urn === 100001 ? { ...r, status: 'Closed' } : r.urn === 200001 ? { ...r, name: 'Oak Tree Special School' } : r,
    );
    const result = await importRows(changed, 'edubasealldata20261205.csv');
    expect(result.schools).toEqual({ created: 0, updated: 1, closed: 1, unchanged: 3 });
    expect(await school(100001)).toMatchObject({ status: 'closed', updated_at: t.clock.now() });
    expect((await school(200001)).name).toBe('Oak Tree Special School');
    expect(await school(100002)).toEqual(untouched);
    const kept = await t.handle.db
      .selectFrom('school_assignments')
      .select('role')
      .where('account_id', '=', officer.id)
      .execute();
    expect(kept).toEqual([{ role: 'link_adviser' }]);

    const client = await signInAs(t, admin);
    const tab = await client.get(`/admin/users/${officer.id}/schools`);
    expect(tab.statusCode).toBe(200);
    expect(tab.body).toMatch(/Alder Primary School <strong class="govuk-tag govuk-tag--grey">Closed<\/strong>/);
  });

  it('skips and reports a bad row with its line and imports the rest', async () => {
    const rows: GiasExtractRow[] = [
      ...base,
      { urn: 100004, name: 'Cedar Primary School', laCode: '2O2', laName: 'Camden', phase: 'Primary', status: 'Open' },
      { urn: 100005, name: 'Damson Primary School', laCode: '202', laName: 'Camden', phase: 'Primary', status: 'Open' },
    ];
    const result = await importRows(rows);
    expect(result.rowsSkipped).toBe(2);
    expect(result.problems).toContainEqual({ line: 8, message: 'URN 100004: "2O2" is not a three-digit LA code' });
    expect(result.schools.created).toBe(1);
    expect(
      await t.handle.db.selectFrom('schools').select('id').where('urn', '=', 100004).executeTakeFirst(),
    ).toBeUndefined();
    expect((await school(100005)).name).toBe('Damson Primary School');
  });

  it('refuses a file without a column it needs and writes nothing', async () => {
    const count = async () =>
      Number(
        (
          await t.handle.db
            .selectFrom('school_imports')
            .select((eb) => eb.fn.countAll<string>().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      );
    const before = await count();
    const bytes = new TextEncoder().encode('URN,EstablishmentName\r\n100001,Renamed\r\n');
    await expect(
      t.services.schoolImports.importFile(OPERATOR, { name: 'wrong.csv', bytes }, SYSTEM_CONTEXT),
    ).rejects.toBeInstanceOf(ValidationError);
    expect(await count()).toBe(before);
    expect((await school(100001)).name).toBe('Alder Primary School');
  });

  it('records each import and writes an audit event', async () => {
    const records = await t.handle.db.selectFrom('school_imports').selectAll().orderBy('id').execute();
    expect(records).toHaveLength(4);
    expect(records[1]).toMatchObject({
      file_name: 'edubasealldata20261128.csv',
      imported_by: 'command line',
      schools_unchanged: 5,
      schools_created: 0,
      rows_skipped: 1,
    });
    expect(records[2]!.file_sha256).not.toBe(records[1]!.file_sha256);
    const events = await t.handle.db
      .selectFrom('audit_events')
      .select(['action', 'actor_label', 'details'])
      .where('action', '=', 'schools.imported')
      .orderBy('id')
      .execute();
    expect(events).toHaveLength(4);
    expect(events[2]!.details).toMatchObject({
      fileName: 'edubasealldata20261205.csv',
      schools: { closed: 1, updated: 1 },
    });
  });

  it('imports a 50,000-row extract, and a second time changes nothing', async () => {
    const las = Array.from({ length: 150 }, (_, i) => ({ code: String(600 + i), name: `Authority ${i}` }));
    const phases = ['Primary', 'Secondary', 'Nursery', 'Not applicable', '16 plus'];
    const statuses = ['Open', 'Open', 'Open', 'Closed', 'Open, but proposed to close', 'Proposed to open'];
    const rows: GiasExtractRow[] = Array.from({ length: 50_000 }, (_, i) => {
      const la = las[i % las.length]!;
      return {
        urn: 500_000 + i,
        name: `Generated School ${i} – St Mary’s`,
        laCode: la.code,
        laName: la.name,
        phase: phases[i % phases.length]!,
        status: statuses[i % statuses.length]!,
      };
    });
    const first = await importRows(rows, 'big.csv');
    expect(first.schools.created).toBe(50_000);
    expect(first.rowsSkipped).toBe(0);
    const second = await importRows(rows, 'big.csv');
    expect(second.schools).toEqual({ created: 0, updated: 0, closed: 0, unchanged: 50_000 });
    const n = await t.handle.db
      .selectFrom('schools')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('urn', '>=', 500_000)
      .executeTakeFirstOrThrow();
    expect(Number(n.n)).toBe(50_000);
    expect((await school(549_999)).name).toBe('Generated School 49999 – St Mary’s');
  }, 240_000);
});

describe('School imports page (central support)', () => {
  it('shows the last import and earlier ones to central support', async () => {
    const client = await signInAs(t, support);
    const home = await client.get('/');
    expect(home.body).toContain('href="/support/school-imports"');
    const page = await client.get('/support/school-imports');
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('<title>School imports – Support');
    expect(page.body).toContain('big.csv');
    expect(page.body).toContain('50000 unchanged');
    expect(page.body).toContain('Earlier imports');
    expect(page.body).toContain('edubasealldata20261205.csv');
  });

  it('is refused to an LA administrator', async () => {
    const client = await signInAs(t, admin);
    const page = await client.get('/support/school-imports');
    expect(page.statusCode).toBe(403);
    expect(page.body).not.toContain('big.csv');
    expect((await client.get('/')).body).not.toContain('/support/school-imports');
  });
});

describe('nexus-accounts schools import (command line)', () => {
  let dataDir: string;
  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'nexus-gias-cli-'));
    unpackMigratedDatabase(dataDir);
  });
  afterAll(async () => {
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  function run(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
    const { DATABASE_URL: _url, TEST_DATABASE_URL: _test, NODE_OPTIONS: _options, ...rest } = process.env;
    const env = {
      ...rest,
      DATA_DIR: dataDir,
      SECRET_KEY: 'school-import-test-secret-key-at-least-32-chars',
      BASE_URL: 'http://nexus.test',
      LOG_LEVEL: 'silent',
      NO_COLOR: '1',
    };
    const child = spawn(process.execPath, [path.join(PROJECT_ROOT, 'bin/nexus-accounts.js'), ...args], {
      cwd: PROJECT_ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    return new Promise((resolve, reject) => {
      child.once('error', reject);
      child.once('close', (code) => resolve({ code, stdout, stderr }));
    });
  }

  it('imports a file into the embedded database, reports counts and problems, and is idempotent', async () => {
    const file = path.join(dataDir, 'extract.csv');
    await writeFile(
      file,
      giasExtractBytes([
        ...base,
        { urn: 100009, name: 'Broken', laCode: 'Camden', laName: 'Camden', phase: 'Primary', status: 'Open' },
      ]),
    );
    const first = await run('schools', 'import', file);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('Local Authorities: 2 created, 0 renamed.');
    expect(first.stdout).toContain('Schools: 5 created, 0 updated, 0 closed, 0 unchanged.');
    expect(first.stdout).toContain('Line 8: URN 100009: "Camden" is not a three-digit LA code');
    const second = await run('schools', 'import', file);
    expect(second.code).toBe(0);
    expect(second.stdout).toContain('Schools: 0 created, 0 updated, 0 closed, 5 unchanged.');

    const handle = await connect({ pgliteDir: dataDir });
    try {
      const imports = await handle.db.selectFrom('school_imports').select(['file_name', 'imported_by']).execute();
      expect(imports).toEqual([
        { file_name: 'extract.csv', imported_by: 'command line' },
        { file_name: 'extract.csv', imported_by: 'command line' },
      ]);
    } finally {
      await handle.close();
    }
  }, 240_000);

  it('imports the .zip as downloaded and reports a school moved to another LA with the assignments it keeps', async () => {
    const zip = path.join(dataDir, 'extract.zip');
    await copyFile(path.join(PROJECT_ROOT, 'test/fixtures/gias/extract.zip'), zip);
    const first = await run('schools', 'import', zip);
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(
      /^Imported extract\.zip\/edubasealldata20261128\.csv \(4 rows, SHA-256 [0-9a-f]{64}\)\.$/m,
    );
    // Alder (URN 100001) is in Camden in this database since the test above; the fixture puts it in the City of London.
    expect(first.stdout).toContain('Schools: 1 created, 1 updated, 1 closed, 0 unchanged.');
    expect(first.stdout).toContain(
      "1 school moved to another Local Authority; the assignments of the old LA's accounts to them are kept:\n  URN 100001 Alder Primary School moved from Camden (202) to City of London (201). No account of Camden was assigned to it.\n",
    );

    const moved = path.join(dataDir, 'moved.csv');
    await writeFile(
      moved,
      giasExtractBytes([
        {
          urn: 100002,
          name: 'St Anne’s Catholic Primary School – Annexe',
          laCode: '213',
          laName: 'Westminster',
          phase: 'Primary',
          status: 'Closed',
        },
      ]),
    );
    const second = await run('schools', 'import', moved);
    expect(second.code).toBe(0);
    expect(second.stdout).toContain(
      "1 school moved to another Local Authority; the assignments of the old LA's accounts to them are kept:\n  URN 100002 St Anne’s Catholic Primary School – Annexe moved from Camden (202) to Westminster (213). No account of Camden was assigned to it.\n",
    );
  }, 240_000);

  it('imports the extract saved by Excel as "Unicode Text" (UTF-16, tab-separated)', async () => {
    const unicode = path.join(dataDir, 'unicode.txt');
    const text = decodeText(
      giasExtractBytes([
        {
          urn: 100031,
          name: 'Rowan Primary School',
          laCode: '202',
          laName: 'Camden',
          phase: 'Primary',
          status: 'Open',
        },
      ]),
    ).text.replaceAll(',', '\t');
    await writeFile(unicode, Buffer.from(`\ufeff${text}`, 'utf16le'));
    const imported = await run('schools', 'import', unicode);
    expect(imported.code).toBe(0);
    expect(imported.stdout).toContain('Schools: 1 created, 0 updated, 0 closed, 0 unchanged.');
  }, 240_000);

  it('refuses a missing file or one that is not the extract in one line, exit code 2', async () => {
    const missing = await run('schools', 'import', path.join(dataDir, 'nope.csv'));
    expect(missing.code).toBe(2);
    expect(missing.stderr.trim()).toBe(`There is no file "${path.join(dataDir, 'nope.csv')}".`);
    const wrong = path.join(dataDir, 'users.csv');
    await writeFile(wrong, 'username,email\r\njo,jo@example.com\r\n');
    const refused = await run('schools', 'import', wrong);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/^The file is not a GIAS establishment extract: it has no "URN"/);
    expect(refused.stderr).not.toMatch(/^\s+at /m);
    // A NUL byte (a binary file, or UTF-16 read as bytes) was a stack trace and exit 1 (issue 11).
    const binary = path.join(dataDir, 'binary.csv');
    await writeFile(binary, Buffer.from('URN,EstablishmentName\r\n100000,A\u0000School\r\n', 'utf8'));
    const nul = await run('schools', 'import', binary);
    expect(nul.code).toBe(2);
    expect(nul.stderr.trim().split('\n')).toEqual([
      'The file is not valid CSV. Line 2: the file contains a NUL character, so it is not a CSV text file; save it again from the spreadsheet as "CSV UTF-8".',
    ]);
  }, 240_000);
});
