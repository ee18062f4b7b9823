import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../src/data/database.ts';
import { migrateToLatest } from '../../src/data/migrate.ts';
import { seedCamdenForImport } from '../support/import-fixtures.ts';
import { unpackMigratedDatabase } from '../support/migrated-data-dir.ts';
import { cliEnv, runCli, STACK_TRACE, withEmbeddedDatabase } from '../support/cli-child.ts';

/**
 * `nexus-accounts users import | import-schools | export` (R58, R26) as child processes on the
 * embedded database of a temporary DATA_DIR; the database is opened here between commands.
 */

const STEP_TIMEOUT = 240_000; // child processes are slow on a busy 2-core machine

let dataDir: string;
const children = new Set<ChildProcess>();
const run = (...args: string[]) =>
  runCli(cliEnv(dataDir, 'user-import-cli-test-secret-key-at-least-32'), args, children);
const withDatabase = <T>(read: (db: Db) => Promise<T>) => withEmbeddedDatabase(dataDir, read);

async function counts(db: Db) {
  const n = async (table: 'accounts' | 'email_outbox' | 'audit_events' | 'school_assignments') =>
    Number(
      (
        await db
          .selectFrom(table)
          .select((eb) => eb.fn.countAll<string>().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );
  return {
    accounts: await n('accounts'),
    outbox: await n('email_outbox'),
    audit: await n('audit_events'),
    schools: await n('school_assignments'),
  };
}

async function csvFile(name: string, text: string): Promise<string> {
  const file = path.join(dataDir, name);
  await writeFile(file, text);
  return file;
}

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'nexus-user-import-cli-'));
  unpackMigratedDatabase(dataDir);
  await withDatabase(async (db) => {
    await migrateToLatest(db);
    await seedCamdenForImport(db);
  });
}, STEP_TIMEOUT);

afterAll(async () => {
  for (const child of children) child.kill('SIGKILL');
  await rm(dataDir, { recursive: true, force: true });
});

describe('users import / import-schools / export (embedded PGlite)', { timeout: STEP_TIMEOUT }, () => {
  it('a file with a bad row: every problem printed by line and column, exit 2, nothing written', async () => {
    const file = await csvFile(
      'bad.csv',
      'username,first_name,last_name,email,user_type,Notes\r\ncli.one,Ann,Able,ann@camden.gov.uk,la_officer,\r\ncli.two,=cmd,Baker,not-an-email,la_officer,\r\n',
    );
    const before = await withDatabase(counts);
    const result = await run('users', 'import', file, '--la', '202');
    expect(result.code, result.stderr).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('The file was not imported: there are 2 problems. Nothing was imported.');
    expect(result.stderr).toMatch(/^Line\s+Column\s+Problem$/m);
    expect(result.stderr).toMatch(
      /^3\s+first_name\s+The cell starts with "=", which a spreadsheet would run as a formula/m,
    );
    expect(result.stderr).toMatch(/^3\s+email\s+Enter an email address in the correct format/m);
    expect(result.stderr).toMatch(/^The column "Notes" is not a column of this import, so it was ignored\.$/m);
    expect(result.stderr).not.toMatch(STACK_TRACE);
    expect(await withDatabase(counts)).toEqual(before);
  });

  it('bad arguments exit 2 with a plain message', async () => {
    const [noFile, badLa, unknownLa, badStatus] = await Promise.all([
      run('users', 'import', path.join(dataDir, 'missing.csv'), '--la', '202'),
      run('users', 'export', '--la', 'Camden'),
      run('users', 'export', '--la', '999'),
      run('users', 'export', '--la', '202', '--status', 'gone'),
    ]);
    expect([noFile.code, badLa.code, unknownLa.code, badStatus.code]).toEqual([2, 2, 2, 2]);
    expect(noFile.stderr).toMatch(/Cannot read .*missing\.csv: there is no such file/);
    expect(badLa.stderr).toContain('"Camden" is not a Local Authority code');
    expect(unknownLa.stderr).toContain('There is no Local Authority with the code 999');
    expect(badStatus.stderr).toContain('--status must be active, archived or all; got "gone"');
    for (const r of [noFile, badLa, unknownLa, badStatus]) expect(r.stderr).not.toMatch(STACK_TRACE);
  });

  it('a valid file: the accounts are created, invited and audited as the command line', async () => {
    // Windows-1252, as Excel saves "CSV" on Windows.
    const bytes = Buffer.concat([
      Buffer.from(
        'username,first_name,last_name,email,user_type,schools\r\ncli.one,Ann,Able,ann@camden.gov.uk,la_officer,100001:consultant\r\ncli.two,Jos',
      ),
      Buffer.from([0xe9]),
      Buffer.from(',Baker,jose@camden.gov.uk,read_only,\r\n'),
    ]);
    const file = path.join(dataDir, 'good.csv');
    await writeFile(file, bytes);
    const before = await withDatabase(counts);
    const result = await run('users', 'import', file, '--la', '202');
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('Imported 2 accounts into Camden; each has been emailed an invitation.');
    expect(result.stdout).toMatch(/^cli\.two\s+José Baker\s+jose@camden\.gov\.uk$/m);
    const after = await withDatabase(async (db) => ({
      counts: await counts(db),
      event: await db
        .selectFrom('audit_events')
        .select(['actor_label', 'actor_account_id'])
        .where('action', '=', 'accounts.imported')
        .executeTakeFirstOrThrow(),
    }));
    expect(after.counts.accounts - before.accounts).toBe(2);
    expect(after.counts.outbox - before.outbox).toBe(2);
    expect(after.counts.audit - before.audit).toBe(5);
    expect(after.event).toEqual({ actor_label: 'command line', actor_account_id: null });
  });

  it('import-schools replaces the schools of the named accounts', async () => {
    const file = await csvFile('schools.csv', 'username,urn,role\r\ncli.one,100002,governor\r\n');
    const result = await run('users', 'import-schools', file, '--la', '202');
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('Replaced the schools of 1 account of Camden.');
    const schools = await withDatabase((db) =>
      db
        .selectFrom('school_assignments')
        .innerJoin('accounts', 'accounts.id', 'school_assignments.account_id')
        .innerJoin('schools', 'schools.id', 'school_assignments.school_id')
        .select(['schools.urn', 'school_assignments.role'])
        .where('accounts.username', '=', 'cli.one')
        .execute(),
    );
    expect(schools).toEqual([{ urn: 100002, role: 'governor' }]);
  });

  it('export writes the CSV of Admin > Users to standard output', async () => {
    const result = await run('users', 'export', '--la', '202');
    expect(result.code, result.stderr).toBe(0);
    const lines = result.stdout.trimEnd().split('\r\n');
    expect(lines[0]).toBe(
      'Username,First name,Last name,Email,Job title,Type of User,Status,Last sign-in,Two-factor authentication,Created',
    );
    expect(lines.slice(1).map((l) => l.split(',')[0])).toEqual(['cli.one', 'cli.two']);
    expect(lines[2]).toContain('José');
  });
});
