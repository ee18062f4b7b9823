import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { connect } from '../../src/data/connect.ts';
import type { Db } from '../../src/data/database.ts';
import { PROJECT_ROOT } from '../../src/paths.ts';

/** Running `nexus-accounts` as a child process on an embedded database folder, as an operator would. */

export const BIN = path.join(PROJECT_ROOT, 'bin/nexus-accounts.js');
/** A stack trace or Node's internals: never shown for an expected failure. */
export const STACK_TRACE = /^\s+at .+[(:]\d+|Error:|node:internal/m;

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The test's environment for the command: no database server, this DATA_DIR, quiet logs. */
export function cliEnv(dataDir: string, secretKey: string): NodeJS.ProcessEnv {
  const { DATABASE_URL: _url, TEST_DATABASE_URL: _test, NODE_OPTIONS: _options, ...rest } = process.env;
  return {
    ...rest,
    DATA_DIR: dataDir,
    SECRET_KEY: secretKey,
    BASE_URL: 'http://nexus.test',
    LOG_LEVEL: 'silent',
    NO_COLOR: '1',
  };
}

/** Runs the command to its end; `children` holds it meanwhile, so that afterAll can kill what is left. */
export function runCli(env: NodeJS.ProcessEnv, args: readonly string[], children: Set<ChildProcess>): Promise<CliRun> {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: PROJECT_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => {
      children.delete(child);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Opens the embedded database in this process (only while no child holds it). */
export async function withEmbeddedDatabase<T>(dataDir: string, read: (db: Db) => Promise<T>): Promise<T> {
  const handle = await connect({ pgliteDir: dataDir });
  try {
    return await read(handle.db);
  } finally {
    await handle.close();
  }
}
