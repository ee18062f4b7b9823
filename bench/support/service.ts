import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { loadConfig, type Config } from '../../src/config.ts';
import type { Db } from '../../src/data/database.ts';
import { openRuntime, type Runtime } from '../../src/runtime.ts';
import { createOrganisation } from '../../test/support/fixtures.ts';
import { backendPids, createDatabase, dropDatabase, postgresAvailable } from './postgres.ts';
import { cpuMsOf, freePort, startChild, type Child } from './processes.ts';
import { atCleanUp, log, ROOT } from './run.ts';

export type Kind = 'pglite' | 'postgres';

/** One database the service is measured on; each gets its own data dir and secret key. */
export interface Target {
  kind: Kind;
  dataDir: string;
  databaseUrl?: string;
  databaseName?: string;
  secretKey: string;
}

/** Settings for the service on top of the target's; `undefined` removes a variable. */
export type Settings = Record<string, string | undefined>;

/**
 * Environment variables of the service that must not leak in from the caller's shell: a stray
 * LOG_LEVEL=debug or a low throttle limit would change what is measured.
 */
const SERVICE_VARS = [
  'PORT',
  'HOST',
  'BASE_URL',
  'DATA_DIR',
  'DATABASE_URL',
  'SECRET_KEY',
  'TRUST_PROXY',
  'SECURE_COOKIES',
  'SMTP_URL',
  'SEED_DEMO',
  'LOG_LEVEL',
  'API_RATE_LIMIT_PER_MINUTE',
  'SCIM_DELETE',
  'THROTTLE_ACCOUNT_LIMIT',
  'THROTTLE_ADDRESS_LIMIT',
  'THROTTLE_WINDOW_MINUTES',
  'THROTTLE_LOCK_MINUTES',
  'SESSION_IDLE_MINUTES',
  'SESSION_ABSOLUTE_HOURS',
];

function serviceEnv(target: Target, port: number, settings: Settings = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of SERVICE_VARS) delete env[name];
  // The server runs as plain node: a caller's NODE_OPTIONS (a loader, --inspect, a heap limit) would change what is measured.
  delete env.NODE_OPTIONS;
  // BENCH_SERVER_NODE_OPTIONS: options for the server alone (e.g. `--require` of a probe that times each request's statements).
  if (process.env.BENCH_SERVER_NODE_OPTIONS) env.NODE_OPTIONS = process.env.BENCH_SERVER_NODE_OPTIONS;
  Object.assign(env, {
    PORT: String(port),
    HOST: '127.0.0.1',
    DATA_DIR: target.dataDir,
    SECRET_KEY: target.secretKey,
    ...(target.databaseUrl ? { DATABASE_URL: target.databaseUrl } : {}),
  });
  for (const [key, value] of Object.entries(settings)) {
    if (value === undefined) delete env[key];
    else env[key] = value;
  }
  return env;
}

export interface Started {
  child: Child;
  /** performance.now() just before the spawn, for timing the start-up. */
  t0: number;
  url: string;
}

/** The real server, as `npm start` runs it, in a process of its own so that its CPU and memory can be read apart. */
export async function startNexus(name: string, target: Target, settings: Settings = {}): Promise<Started> {
  const port = await freePort();
  const t0 = performance.now();
  // BENCH_CPU_PROF=<folder>: the server writes a V8 CPU profile there when it stops (for finding where a page's time goes).
  const profile = process.env.BENCH_CPU_PROF
    ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(process.env.BENCH_CPU_PROF)}`]
    : [];
  const child = startChild(name, process.execPath, [...profile, path.join(ROOT, 'bin', 'nexus-accounts.js'), 'serve'], {
    cwd: ROOT,
    env: serviceEnv(target, port, settings),
  });
  return { child, t0, url: `http://127.0.0.1:${port}` };
}

/** A baseline server given as CommonJS source, run from ROOT so that it resolves the project's own fastify. */
export async function startBaseline(name: string, code: string): Promise<Started> {
  const port = await freePort();
  const env: NodeJS.ProcessEnv = { ...process.env, PORT: String(port) };
  delete env.NODE_OPTIONS;
  const t0 = performance.now();
  const child = startChild(name, process.execPath, ['-e', code], { cwd: ROOT, env });
  return { child, t0, url: `http://127.0.0.1:${port}` };
}

/**
 * PGlite always; PostgreSQL too when a server answers at BENCH_POSTGRES_URL, in a fresh database
 * (named `<prefix>_<pid>_<time>`, so that parallel runs do not meet) dropped at the end.
 */
export async function openTargets(scratch: string, databasePrefix: string): Promise<Target[]> {
  const targets: Target[] = [
    { kind: 'pglite', dataDir: path.join(scratch, 'pglite'), secretKey: randomBytes(32).toString('base64url') },
  ];
  if (await postgresAvailable()) {
    const name = `${databasePrefix}_${process.pid}_${Date.now().toString(36)}`;
    const databaseUrl = await createDatabase(name);
    atCleanUp(() => dropDatabase(name));
    targets.push({
      kind: 'postgres',
      dataDir: path.join(scratch, 'postgres'),
      databaseUrl,
      databaseName: name,
      secretKey: randomBytes(32).toString('base64url'),
    });
    log(`postgres: created database ${name} (dropped at the end)`);
  }
  return targets;
}

/** The service's own database code, in this process, with the settings the server gets: seeding and counting see what it sees. */
export async function withRuntime<T>(
  target: Target,
  settings: Settings,
  use: (runtime: Runtime, config: Config) => Promise<T>,
): Promise<T> {
  const config = loadConfig(serviceEnv(target, 0, settings));
  const runtime = await openRuntime(config);
  try {
    return await use(runtime, config);
  } finally {
    await runtime.close();
  }
}

/** The bench's LA: re-used when a database already has it (a second seeding in the same run). */
export async function benchOrganisation(db: Db, laCode: string): Promise<number> {
  const existing = await db.selectFrom('organisations').select('id').where('la_code', '=', laCode).executeTakeFirst();
  return existing?.id ?? (await createOrganisation(db, laCode, 'Benchmark LA'));
}

/** CPU used so far by each PostgreSQL backend serving the bench database (PGlite: none, it is in-process). */
export async function databaseCpu(target: Target): Promise<Map<number, number>> {
  const cpu = new Map<number, number>();
  if (!target.databaseName) return cpu;
  for (const pid of await backendPids(target.databaseName)) {
    try {
      cpu.set(pid, cpuMsOf(pid));
    } catch {
      // ended in between
    }
  }
  return cpu;
}

/** CPU the backends used since `before`; a backend that ended inside the window is lost (rare: the pool keeps them). */
export function databaseCpuSince(before: Map<number, number>, after: Map<number, number>): number {
  let total = 0;
  for (const [pid, ms] of after) total += ms - (before.get(pid) ?? 0);
  return total;
}
