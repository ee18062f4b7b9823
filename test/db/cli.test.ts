import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { simpleParser, type AddressObject } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acquireEmbeddedLock, connect, DatabaseBusyError, embeddedLockOwner } from '../../src/data/connect.ts';
import type { Db } from '../../src/data/database.ts';
import { typeDefaults } from '../../src/domain/privileges.ts';
import { codeForStep, totpStep } from '../../src/domain/totp.ts';
import { PROJECT_ROOT } from '../../src/paths.ts';

/**
 * The real command line (`node bin/nexus-accounts.js …`) as child processes, on the embedded
 * PGlite database in a temporary DATA_DIR — always PGlite, also when TEST_DATABASE_URL is set:
 * what this file proves (one process owns the embedded database, a busy database is refused
 * plainly and not corrupted, stale locks) only exists in embedded mode. The tests run in order
 * and share one data folder, as an operator's commands would.
 */

const BIN = path.join(PROJECT_ROOT, 'bin/nexus-accounts.js');
const BASE_URL = 'http://nexus.test';
const STEP_TIMEOUT = 240_000; // child processes are slow on a busy 2-core machine
const STACK_TRACE = /^\s+at .+[(:]\d+|Error:|node:internal/m;

let dataDir: string;
const children = new Set<ChildProcess>();

function env(): NodeJS.ProcessEnv {
  const { DATABASE_URL: _url, TEST_DATABASE_URL: _test, NODE_OPTIONS: _options, ...rest } = process.env;
  return {
    ...rest,
    DATA_DIR: dataDir,
    SECRET_KEY: 'cli-test-secret-key-that-is-at-least-32-characters',
    PORT: '0',
    HOST: '127.0.0.1',
    BASE_URL,
    LOG_LEVEL: 'silent',
    NO_COLOR: '1',
  };
}

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function start(args: string[]): {
  child: ChildProcess;
  output: () => { stdout: string; stderr: string };
  exited: Promise<number | null>;
} {
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: PROJECT_ROOT,
    env: env(),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => {
      children.delete(child);
      resolve(code);
    });
  });
  return { child, output: () => ({ stdout, stderr }), exited };
}

/** Runs a command to its end. */
async function run(...args: string[]): Promise<Run> {
  const started = start(args);
  const code = await started.exited;
  return { code, ...started.output() };
}

interface RunningServer {
  url: string;
  stop(): Promise<number | null>;
}

/** Starts `serve` and waits until it listens and /health answers 200. */
async function serve(): Promise<RunningServer> {
  const server = start(['serve']);
  let url: string | undefined;
  while (url === undefined) {
    const match = /listening on (http:\/\/[^\s;)]+)/.exec(server.output().stdout);
    if (match) url = match[1]!;
    else if (server.child.exitCode !== null)
      throw new Error(`serve exited with ${server.child.exitCode}:\n${server.output().stderr}`);
    else await sleep(200);
  }
  const health = await fetch(`${url}/health`);
  expect(health.status).toBe(200);
  return {
    url,
    async stop() {
      server.child.kill('SIGTERM');
      return server.exited;
    },
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Opens the embedded database in this process (only while no child holds it). */
async function withDatabase<T>(read: (db: Db) => Promise<T>): Promise<T> {
  const handle = await connect({ pgliteDir: dataDir });
  try {
    return await read(handle.db);
  } finally {
    await handle.close();
  }
}

async function snapshot(db: Db) {
  const count = async (
    table: 'accounts' | 'account_privileges' | 'account_tokens' | 'email_outbox' | 'audit_events' | 'organisations',
  ) =>
    Number(
      (
        await db
          .selectFrom(table)
          .select((eb) => eb.fn.countAll<string>().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );
  return {
    accounts: await count('accounts'),
    privileges: await count('account_privileges'),
    tokens: await count('account_tokens'),
    outbox: await count('email_outbox'),
    audit: await count('audit_events'),
    organisations: await count('organisations'),
  };
}

/** A pid that belonged to a process which has exited. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '']);
  await new Promise((resolve) => child.once('close', resolve));
  return child.pid!;
}

interface DemoEntry {
  username: string;
  password: string;
  totpSecret: string;
  type: string;
  la: string;
}

let demo: DemoEntry[];
let server: RunningServer | undefined;

const ADMIN = [
  'create-admin',
  '--la',
  '202',
  '--username',
  'Priya.Shah',
  '--first-name',
  'Priya',
  '--last-name',
  'Shah',
  '--email',
  'priya.shah@camden.gov.uk',
];

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'nexus-cli-'));
});

afterAll(async () => {
  // Whatever failed, no child outlives the file.
  for (const child of children) child.kill('SIGKILL');
  await Promise.all(
    [...children].map(
      (child) =>
        new Promise((resolve) =>
          child.exitCode !== null || child.signalCode !== null ? resolve(null) : child.once('close', resolve),
        ),
    ),
  );
  await rm(dataDir, { recursive: true, force: true });
});

describe('nexus-accounts command line (embedded PGlite)', { timeout: STEP_TIMEOUT }, () => {
  it('migrate on an empty data folder exits 0, and leaves no lock behind', async () => {
    const result = await run('migrate');
    expect(result, result.stderr).toMatchObject({ code: 0 });
    expect(result.stdout).toContain('up to date');
    expect(existsSync(path.join(dataDir, 'pglite'))).toBe(true);
    expect(existsSync(path.join(dataDir, 'database.lock'))).toBe(false);
  });

  it('seed-demo writes data/demo-accounts.json with username, password, totpSecret, type and la (SPEC §14)', async () => {
    const result = await run('seed-demo');
    expect(result, result.stderr).toMatchObject({ code: 0 });
    demo = JSON.parse(await readFile(path.join(dataDir, 'demo-accounts.json'), 'utf8')) as DemoEntry[];
    expect(demo.length).toBeGreaterThan(3);
    for (const entry of demo) {
      expect(entry).toEqual(
        expect.objectContaining({
          username: expect.stringMatching(/^[a-z0-9._@-]{3,64}$/),
          password: expect.stringMatching(/^.{12,}$/),
          totpSecret: expect.stringMatching(/^[A-Z2-7]{16,}$/),
          type: expect.any(String),
          la: expect.any(String),
        }),
      );
      expect(result.stdout).toContain(entry.username);
      expect(result.stdout).toContain(entry.totpSecret);
    }
    expect(demo.map((d) => d.type)).toEqual(expect.arrayContaining(['support', 'la_admin']));
    expect(demo.find((d) => d.username === 'camden.admin')).toMatchObject({ type: 'la_admin', la: 'Camden' });
    // The example application (examples/reporting-app) is registered: its secret is in a file only
    // the owner reads, never on the console.
    const clientFile = path.join(dataDir, 'reporting-app-client.json');
    expect(statSync(clientFile).mode & 0o777).toBe(0o600);
    const { clientSecret } = JSON.parse(await readFile(clientFile, 'utf8')) as { clientSecret: string };
    expect(clientSecret).toMatch(/^[\w-]{43}$/);
    expect(result.stdout).not.toContain(clientSecret);
  });

  it('create-admin with bad input exits 2 with a clear message and writes nothing', async () => {
    const before = await withDatabase(snapshot);
    const cases: [string[], RegExp][] = [
      [
        [
          'create-admin',
          '--la',
          '202',
          '--username',
          'no spaces please',
          '--first-name',
          'A',
          '--last-name',
          'B',
          '--email',
          'a.b@camden.gov.uk',
        ],
        /username/i,
      ],
      [
        [
          'create-admin',
          '--la',
          '999',
          '--username',
          'new.admin',
          '--first-name',
          'A',
          '--last-name',
          'B',
          '--email',
          'a.b@example.gov.uk',
        ],
        /No Local Authority has the code "999"/,
      ],
      // Taken, whatever the case (R7).
      [
        [
          'create-admin',
          '--la',
          '202',
          '--username',
          'CAMDEN.ADMIN',
          '--first-name',
          'A',
          '--last-name',
          'B',
          '--email',
          'a.b@camden.gov.uk',
        ],
        /already taken/,
      ],
    ];
    for (const [args, message] of cases) {
      const result = await run(...args);
      expect(result.code, `${args.join(' ')}\n${result.stdout}\n${result.stderr}`).toBe(2);
      expect(result.stderr).toMatch(message);
      expect(result.stderr).not.toMatch(STACK_TRACE);
      expect(result.stdout).not.toMatch(/Created/);
    }
    expect(await withDatabase(snapshot)).toEqual(before);
  });

  it('create-admin creates an LA administrator with the default privileges, no password, and an invitation in the outbox', async () => {
    const result = await run(...ADMIN);
    expect(result, result.stderr).toMatchObject({ code: 0 });
    expect(result.stdout).toContain('priya.shah');
    expect(result.stdout).toContain('Camden');
    const found = await withDatabase(async (db) => {
      const account = await db
        .selectFrom('accounts')
        .innerJoin('organisations', 'organisations.id', 'accounts.organisation_id')
        .select([
          'accounts.id',
          'accounts.username',
          'accounts.user_type',
          'accounts.status',
          'accounts.password_hash',
          'accounts.totp_secret',
          'accounts.email',
          'organisations.la_code',
        ])
        .where('accounts.username', '=', 'priya.shah')
        .executeTakeFirstOrThrow();
      const privileges = await db
        .selectFrom('account_privileges')
        .select('privilege')
        .where('account_id', '=', account.id)
        .execute();
      const tokens = await db
        .selectFrom('account_tokens')
        .select(['purpose', 'used_at'])
        .where('account_id', '=', account.id)
        .execute();
      const outbox = await db
        .selectFrom('email_outbox')
        .select(['template', 'to_address', 'status'])
        .where('account_id', '=', account.id)
        .execute();
      const audit = await db
        .selectFrom('audit_events')
        .select(['action', 'actor_label'])
        .where('subject_account_id', '=', account.id)
        .orderBy('id')
        .execute();
      return { account, privileges: privileges.map((p) => p.privilege).sort(), tokens, outbox, audit };
    });
    expect(found.account).toMatchObject({
      username: 'priya.shah',
      user_type: 'la_admin',
      status: 'active',
      password_hash: null,
      totp_secret: null,
      email: 'priya.shah@camden.gov.uk',
      la_code: '202',
    });
    expect(found.privileges).toEqual([...typeDefaults('la_admin')].sort());
    expect(found.tokens).toEqual([{ purpose: 'invitation', used_at: null }]);
    expect(found.outbox).toEqual([
      { template: 'invitation', to_address: 'priya.shah@camden.gov.uk', status: 'pending' },
    ]);
    expect(found.audit.map((a) => a.action)).toEqual(['account.created', 'invitation.sent']);
  });

  it('serve delivers the invitation as an .eml file under DATA_DIR/mail, with a working /invitation/ link', async () => {
    server = await serve();
    const mailDir = path.join(dataDir, 'mail');
    let files: string[] = [];
    for (let i = 0; i < 300 && files.length === 0; i++) {
      files = existsSync(mailDir) ? (await readdir(mailDir)).filter((f) => f.endsWith('.eml')) : [];
      if (files.length === 0) await sleep(200);
    }
    expect(files).toHaveLength(1);
    const mail = await simpleParser(await readFile(path.join(mailDir, files[0]!)));
    expect((mail.to as AddressObject).value).toEqual([{ address: 'priya.shah@camden.gov.uk', name: 'Priya Shah' }]);
    const link = new RegExp(`${BASE_URL}/invitation/[A-Za-z0-9_-]+`).exec(mail.text ?? '')?.[0];
    expect(link, mail.text).toBeDefined();
    expect(mail.html).toContain(link);
    const page = await fetch(server.url + new URL(link!).pathname);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('priya.shah');
  });

  it('demo-code prints the current code of a demo account while the server runs', async () => {
    const account = demo.find((d) => d.username === 'camden.admin')!;
    const before = totpStep(new Date());
    const result = await run('demo-code', 'Camden.Admin');
    const after = totpStep(new Date());
    expect(result, result.stderr).toMatchObject({ code: 0 });
    const code = result.stdout.trim();
    expect(code).toMatch(/^[0-9]{6}$/);
    // The code of the step the command ran in (a step boundary may fall while it runs).
    const acceptable = Array.from({ length: after - before + 1 }, (_, i) =>
      codeForStep(account.totpSecret, before + i),
    );
    expect(acceptable).toContain(code);
  });

  it('demo-code of an unknown account exits 2 with a plain message', async () => {
    const result = await run('demo-code', 'unknown');
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('"unknown" is not a demo account');
    expect(result.stderr).not.toMatch(STACK_TRACE);
    expect(result.stdout).toBe('');
  });

  it('while the server runs, migrate, seed-demo and create-admin exit 2 saying the database is in use', async () => {
    const results = await Promise.all([
      run('migrate'),
      run('seed-demo'),
      run(
        'create-admin',
        '--la',
        '202',
        '--username',
        'second.admin',
        '--first-name',
        'Sam',
        '--last-name',
        'Patel',
        '--email',
        'sam.patel@camden.gov.uk',
      ),
    ]);
    for (const result of results) {
      expect(result.code, `${result.stdout}\n${result.stderr}`).toBe(2);
      expect(result.stderr).toMatch(/database .* is in use by another Nexus Accounts process \(pid \d+\)/);
      expect(result.stderr).toMatch(/stop that process/);
      expect(result.stderr).not.toMatch(STACK_TRACE);
    }
    // The server is unaffected.
    const health = await fetch(`${server!.url}/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: 'ok', database: { status: 'up' } });
  });

  it('after the server stops, the database is intact: a stale lock of a dead process is taken over and serve starts again', async () => {
    expect(await server!.stop()).toBe(0);
    server = undefined;
    expect(existsSync(path.join(dataDir, 'database.lock'))).toBe(false);

    // As if a process had crashed holding the database.
    await writeFile(path.join(dataDir, 'database.lock'), String(await deadPid()));
    server = await serve();
    const health = await fetch(`${server.url}/health`);
    expect(await health.json()).toMatchObject({ status: 'ok', database: { status: 'up' } });
    expect(await server.stop()).toBe(0);
    server = undefined;

    // Nothing was lost, and the command refused while the server ran wrote nothing.
    const usernames = await withDatabase(async (db) =>
      (
        await db
          .selectFrom('accounts')
          .select('username')
          .where('username', 'in', ['camden.admin', 'priya.shah', 'second.admin'])
          .orderBy('username')
          .execute()
      ).map((r) => r.username),
    );
    expect(usernames).toEqual(['camden.admin', 'priya.shah']);
  });
});

describe('the embedded database lock', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'nexus-lock-'));
  });
  afterAll(async () => rm(dir, { recursive: true, force: true }));
  const lockFile = () => path.join(dir, 'database.lock');

  it('refuses a second open in the same process, and frees the lock on release', () => {
    const release = acquireEmbeddedLock(dir);
    expect(embeddedLockOwner(dir)).toBe(process.pid);
    expect(() => acquireEmbeddedLock(dir)).toThrow(DatabaseBusyError);
    release();
    expect(existsSync(lockFile())).toBe(false);
    expect(embeddedLockOwner(dir)).toBeUndefined();
    acquireEmbeddedLock(dir)();
  });

  it("refuses while a live process holds it, and leaves that process's lock alone", async () => {
    await writeFile(lockFile(), String(process.ppid));
    expect(() => acquireEmbeddedLock(dir)).toThrow(
      new RegExp(`in use by another Nexus Accounts process \\(pid ${process.ppid}\\)`),
    );
    expect(await readFile(lockFile(), 'utf8')).toBe(String(process.ppid));
    await rm(lockFile());
  });

  it('takes over a lock left by a dead process, or by an earlier process that had this pid, or an empty one', async () => {
    for (const left of [String(await deadPid()), String(process.pid), '']) {
      await writeFile(lockFile(), left);
      const release = acquireEmbeddedLock(dir);
      expect(await readFile(lockFile(), 'utf8')).toBe(String(process.pid));
      release();
      expect(existsSync(lockFile())).toBe(false);
    }
  });

  it('lets exactly one of several processes take over a stale lock at the same moment', async () => {
    await writeFile(lockFile(), String(await deadPid()));
    // Each child takes the lock (or is refused), reports, and holds it until told to stop.
    const script = `
      const { register } = await import('tsx/esm/api');
      register();
      const { acquireEmbeddedLock } = await import(${JSON.stringify(path.join(PROJECT_ROOT, 'src/data/connect.ts'))});
      const start = Number(process.argv[1]);
      // Asleep until just before the agreed instant, then a short spin: together to the millisecond,
      // without four processes spinning on the cores for seconds.
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, start - Date.now() - 25)));
      while (Date.now() < start) {}
      try {
        acquireEmbeddedLock(${JSON.stringify(dir)});
        console.log('locked');
      } catch (error) {
        console.log(error.constructor.name);
      }
      process.stdin.resume();
      process.stdin.on('end', () => process.exit(0));
    `;
    const startAt = String(Date.now() + 3000);
    const racers = [1, 2, 3, 4].map(() => {
      const child = spawn(process.execPath, ['--input-type=module', '-e', script, startAt], {
        cwd: PROJECT_ROOT,
        stdio: ['pipe', 'pipe', 'inherit'],
      });
      children.add(child);
      child.once('close', () => children.delete(child));
      let out = '';
      const answered = new Promise<string>((resolve) =>
        child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
          out += chunk;
          if (out.includes('\n')) resolve(out.trim());
        }),
      );
      return { child, answered };
    });
    const answers = await Promise.all(racers.map((r) => r.answered));
    expect(answers.filter((a) => a === 'locked')).toHaveLength(1);
    expect(answers.filter((a) => a === 'DatabaseBusyError')).toHaveLength(3);
    const winner = racers[answers.indexOf('locked')]!.child.pid;
    expect(Number(await readFile(lockFile(), 'utf8'))).toBe(winner);
    for (const r of racers) r.child.stdin.end();
    await Promise.all(
      racers.map(
        (r) => new Promise((resolve) => (r.child.exitCode !== null ? resolve(null) : r.child.once('close', resolve))),
      ),
    );
  });
});
