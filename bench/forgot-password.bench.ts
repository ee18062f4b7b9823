/**
 * `npm run bench:forgot-password` — issue 11, R53: does "Forgotten password" answer a known
 * username in the same time as an unknown one? A benchmark, not a test: it asserts nothing about
 * time and prints figures only (bench/README.md records them by hand).
 *
 * Against the real application in process (`buildServer` and `createServices`, the same routes,
 * services and migrations as `serve`; requests through Fastify's `inject`, so no socket noise),
 * on an in-memory PGlite (as the tests), on a PGlite in a temporary folder (as `serve`), and on a fresh database on the PostgreSQL server at
 * BENCH_POSTGRES_URL (default postgres://postgres@127.0.0.1:5432/postgres; dropped after; skipped
 * with a note when no server answers). Each request is
 * what a browser without JavaScript does: `GET /forgot-password` (cookie and CSRF token, not
 * timed), then `POST /forgot-password` (timed, from just before the request to the full response).
 *
 * Known and unknown requests strictly alternate, and which of the pair goes first alternates too,
 * so that load from elsewhere on the machine (it is shared) lands on both sides. Known names cycle
 * through BENCH_KNOWN active accounts; every unknown name is new. The throttle limits are raised
 * so that the throttle is not what is measured (it is the same for both: counted before the lookup).
 *
 * Settings (environment): BENCH_PAIRS (200), BENCH_WARMUP_PAIRS (30), BENCH_KNOWN (10).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { loadConfig } from '../src/config.ts';
import { connect, type DatabaseHandle } from '../src/data/connect.ts';
import { migrateToLatest } from '../src/data/migrate.ts';
import { ManualClock } from '../src/domain/clock.ts';
import { createServices } from '../src/services/index.ts';
import { buildServer } from '../src/http/server.ts';
import { FormClient } from '../test/support/browser.ts';
import { createAccount, createOrganisation } from '../test/support/fixtures.ts';
import { ADMIN_URL, createDatabase, dropDatabase, postgresAvailable } from './support/postgres.ts';

function setting(name: string, fallback: number): number {
  const raw = process.env[name];
  const value = raw === undefined || raw === '' ? fallback : Number(raw);
  if (!Number.isFinite(value) || value < 1) throw new Error(`${name} must be a positive number`);
  return Math.round(value);
}

const PAIRS = setting('BENCH_PAIRS', 200);
const WARMUP = setting('BENCH_WARMUP_PAIRS', 30);
const KNOWN = setting('BENCH_KNOWN', 10);

function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i]!;
}

const fmt = (n: number) => n.toFixed(2);

/** The application as `serve` builds it, on the given database, migrated; the clock stands still. */
async function openApp(handle: DatabaseHandle) {
  await migrateToLatest(handle.db);
  const dataDir = mkdtempSync(path.join(tmpdir(), 'nexus-bench-forgot-'));
  const config = loadConfig({
    SECRET_KEY: 'bench-secret-key-that-is-at-least-32-characters',
    DATA_DIR: dataDir,
    BASE_URL: 'http://localhost:3000',
    LOG_LEVEL: 'silent',
    THROTTLE_ACCOUNT_LIMIT: '100000000',
    THROTTLE_ADDRESS_LIMIT: '100000000',
  });
  const services = createServices({
    db: handle.db,
    clock: new ManualClock('2026-11-02T10:00:00Z'),
    config,
    databaseKind: handle.kind,
  });
  const app = await buildServer(services);
  await app.ready();
  return {
    app,
    config,
    handle,
    async close() {
      await app.close();
      await handle.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

async function measure(database: string, handle: DatabaseHandle): Promise<void> {
  const started = performance.now();
  const t = await openApp(handle);
  try {
    const la = await createOrganisation(t.handle.db, '202', 'Camden');
    const known: string[] = [];
    for (let i = 0; i < KNOWN; i++) {
      const username = `bench.known.${i}`;
      await createAccount(t.handle.db, t.config.secretKey, {
        organisationId: la,
        username,
        email: `${username}@camden.gov.uk`,
      });
      known.push(username);
    }
    let unknownN = 0;
    let ipN = 0;

    async function once(username: string): Promise<number> {
      const n = ipN++;
      const client = new FormClient(t.app, { ip: `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}` });
      const form = await client.get('/forgot-password');
      if (form.statusCode !== 200) throw new Error(`GET /forgot-password answered ${form.statusCode}`);
      const t0 = performance.now();
      const response = await client.post('/forgot-password', { username });
      const ms = performance.now() - t0;
      if (response.statusCode !== 200)
        throw new Error(`POST /forgot-password for ${username} answered ${response.statusCode}`);
      return ms;
    }

    const times = { known: [] as number[], unknown: [] as number[] };
    const diffs: number[] = [];
    for (let i = 0; i < WARMUP + PAIRS; i++) {
      const k = known[i % known.length]!;
      const u = `bench.nobody.${unknownN++}`;
      let km: number;
      let um: number;
      if (i % 2 === 0) {
        km = await once(k);
        um = await once(u);
      } else {
        um = await once(u);
        km = await once(k);
      }
      if (i >= WARMUP) {
        times.known.push(km);
        times.unknown.push(um);
        diffs.push(km - um);
      }
    }

    const known_ = [...times.known].sort((a, b) => a - b);
    const unknown_ = [...times.unknown].sort((a, b) => a - b);
    const diff_ = [...diffs].sort((a, b) => a - b);
    const emails = await t.handle.db.selectFrom('email_outbox').select('id').execute();
    console.log(
      `\nforgot-password bench on ${database}, Node ${process.version}; ${PAIRS} pairs after ${WARMUP} warm-up pairs; ${KNOWN} known accounts; ${emails.length} reset emails written`,
    );
    console.log('| POST /forgot-password | median ms | p95 ms |');
    console.log('|---|---:|---:|');
    console.log(`| known username | ${fmt(quantile(known_, 0.5))} | ${fmt(quantile(known_, 0.95))} |`);
    console.log(`| unknown username | ${fmt(quantile(unknown_, 0.5))} | ${fmt(quantile(unknown_, 0.95))} |`);
    console.log(
      `| **ratio known ÷ unknown** | **${fmt(quantile(known_, 0.5) / quantile(unknown_, 0.5))}** | ${fmt(quantile(known_, 0.95) / quantile(unknown_, 0.95))} |`,
    );
    console.log(
      `| paired difference known − unknown (median, p5–p95) | ${fmt(quantile(diff_, 0.5))} | ${fmt(quantile(diff_, 0.05))} – ${fmt(quantile(diff_, 0.95))} |`,
    );
    console.log(
      `${database}: ${((performance.now() - started) / 1000).toFixed(1)} s; load average after ${loadavg()
        .map((x) => x.toFixed(2))
        .join(' ')}`,
    );
  } finally {
    await t.close();
  }
}

async function main(): Promise<void> {
  console.log(
    `load average before ${loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}`,
  );
  await measure('PGlite (in process, in memory, as the tests)', await connect({ pgliteDir: 'memory://' }));
  // On disk, as `serve` keeps it in DATA_DIR: every commit is written out.
  const pgliteDir = mkdtempSync(path.join(tmpdir(), 'nexus-bench-forgot-pglite-'));
  try {
    await measure('PGlite (in process, on disk, as serve)', await connect({ pgliteDir }));
  } finally {
    rmSync(pgliteDir, { recursive: true, force: true });
  }
  if (!(await postgresAvailable())) {
    console.log(`\nNo PostgreSQL server answers at ${ADMIN_URL}: PGlite only.`);
    return;
  }
  const name = `nexus_bench_forgot_${Date.now()}`;
  const url = await createDatabase(name);
  try {
    await measure('PostgreSQL', await connect({ databaseUrl: url, poolSize: 10 }));
  } finally {
    await dropDatabase(name);
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
