/**
 * `npx tsx bench/probes/serve-settings.ts` — what the embedded server's V8 settings cost its pages:
 * start-up, idle memory and page latency of the real server (`node bin/nexus-accounts.js serve`)
 * on a 100,000-account PGlite database (bench/support/lifecycle-data.ts, as bench:lifecycle), with
 * the bin's settings for embedded `serve` (Liftoff only, old generation grown by 25%) and, as
 * baselines in the same run, V8's defaults (`--wasm-tier-up --heap-growing-percent=0`, the
 * settings before) and the heap setting alone (`--wasm-tier-up`). The three interleaved round by
 * round, the order rotating, so that a burst of load elsewhere lands on each. A probe for
 * bench/README.md, not a bench: it prints, it writes nothing.
 *
 * Each server: the time from spawn to its first `GET /sign-in` 200; its RSS after 3 s idle; an LA
 * administrator signs in over HTTP; each page 3 times to warm up, then PROBE_PAGES (60) times each,
 * in turn: median and p95 per page; peak RSS after the pages. PROBE_ROUNDS (4) rounds.
 */
import os from 'node:os';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { randomBytes } from 'node:crypto';
import { loadConfig } from '../../src/config.ts';
import { connect } from '../../src/data/connect.ts';
import { migrateToLatest } from '../../src/data/migrate.ts';
import { generateTotp } from '../../src/domain/totp.ts';
import { lifecycleSchedule } from '../../src/services/lifecycle/schedule.ts';
import { createAccount, TEST_PASSWORD } from '../../test/support/fixtures.ts';
import { HttpFormClient } from '../support/http-form-client.ts';
import { generate, laCode } from '../support/lifecycle-data.ts';
import { startChild, stopChild } from '../support/processes.ts';
import { log, ROOT, runBench, scratchDir, setting } from '../support/run.ts';
import { fmt, median } from '../support/stats.ts';
import { ensureBuilt } from '../../scripts/build-code.mjs';

const ROUNDS = Math.round(setting('PROBE_ROUNDS', 4));
const N = Math.round(setting('PROBE_PAGES', 60));
const PAGES = ['/admin/users?inactiveMonths=12&sort=lastSignIn', '/admin/users?q=smith', '/admin/users?page=20', '/'];
const SETTINGS: Record<string, string[]> = {
  "bin's": [],
  "V8's defaults": ['--wasm-tier-up', '--heap-growing-percent=0'],
  'heap setting alone': ['--wasm-tier-up'],
};

const p95 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.ceil(0.95 * xs.length) - 1]!;
const memory = (pid: number) => {
  const s = readFileSync(`/proc/${pid}/status`, 'utf8');
  const f = (n: string) => Number(new RegExp(`^${n}:\\s+(\\d+) kB`, 'm').exec(s)![1]) / 1024;
  return { rss: f('VmRSS'), hwm: f('VmHWM') };
};

interface Sample {
  startMs: number;
  idleMiB: number;
  peakMiB: number;
  pages: Record<string, number[]>;
  load: number;
}

async function main(): Promise<void> {
  const scratch = await scratchDir('nexus-probe-serve-');
  const dataDir = path.join(scratch, 'pglite');
  const env = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    DATA_DIR: dataDir,
    SECRET_KEY: randomBytes(32).toString('base64url'),
    SEED_DEMO: 'false',
    LOG_LEVEL: 'warn',
  };
  const config = loadConfig(env);
  log('generating 100,000 accounts on PGlite');
  const handle = await connect({ pgliteDir: dataDir });
  await migrateToLatest(handle.db);
  await generate(handle.db, { total: 100_000, due: 10_000, las: 150 }, new Date(), lifecycleSchedule(config));
  const organisation = await handle.db
    .selectFrom('organisations')
    .select('id')
    .where('la_code', '=', laCode(0))
    .executeTakeFirstOrThrow();
  const admin = await createAccount(handle.db, config.secretKey, {
    organisationId: organisation.id,
    username: 'probe.admin',
    userType: 'la_admin',
    lastSignInAt: new Date(),
  });
  await handle.close();
  await ensureBuilt();

  const samples = new Map<string, Sample[]>(Object.keys(SETTINGS).map((k) => [k, []]));
  const names = Object.keys(SETTINGS);
  for (let round = 0; round < ROUNDS; round++) {
    for (const name of [...names.slice(round % 3), ...names.slice(0, round % 3)]) {
      log(`round ${round + 1}: ${name}`);
      const port = 40_000 + Math.floor(Math.random() * 10_000);
      const t0 = performance.now();
      const server = startChild(name, process.execPath, [...SETTINGS[name]!, 'bin/nexus-accounts.js', 'serve'], {
        cwd: ROOT,
        env: { ...env, PORT: String(port) },
      });
      const base = `http://127.0.0.1:${port}`;
      let startMs = NaN;
      while (Number.isNaN(startMs)) {
        if (server.hasExited()) throw new Error(server.output());
        const response = await fetch(`${base}/sign-in`).catch(() => undefined);
        if (response?.status === 200) startMs = performance.now() - t0;
        await response?.text();
        if (Number.isNaN(startMs)) await sleep(20);
      }
      await sleep(3000);
      const idle = memory(server.pid);
      const client = new HttpFormClient(base);
      await client.get('/sign-in');
      await client.post('/sign-in', { username: 'probe.admin', password: TEST_PASSWORD });
      await client.get('/sign-in/two-factor');
      let signedIn = await client.post('/sign-in/two-factor', { code: generateTotp(admin.totpSecret!, new Date()) });
      // A code is good once: the same 30-second step as the previous server's sign-in waits for the next.
      if (signedIn.status === 401) {
        await sleep(31_000 - (Date.now() % 30_000));
        signedIn = await client.post('/sign-in/two-factor', { code: generateTotp(admin.totpSecret!, new Date()) });
      }
      if (signedIn.status !== 303) throw new Error(`sign-in answered ${signedIn.status}`);
      const pages: Record<string, number[]> = Object.fromEntries(PAGES.map((p) => [p, []]));
      for (const page of PAGES) {
        for (let i = 0; i < 3; i++) {
          const answer = await client.get(page);
          if (answer.status !== 200) throw new Error(`GET ${page} answered ${answer.status}`);
        }
      }
      for (let i = 0; i < N; i++) {
        for (const page of PAGES) {
          const t = performance.now();
          await client.get(page);
          pages[page]!.push(performance.now() - t);
        }
      }
      const after = memory(server.pid);
      await stopChild(server, 10_000);
      samples.get(name)!.push({ startMs, idleMiB: idle.rss, peakMiB: after.hwm, pages, load: os.loadavg()[0]! });
    }
  }

  const loads = [...samples.values()].flat().map((s) => s.load);
  console.log(
    `\n${ROUNDS} rounds, ${N} requests a page a server; load average (1 min) ${fmt(Math.min(...loads), 1)}–${fmt(Math.max(...loads), 1)}\n`,
  );
  console.log(
    `| V8 settings | start-up to first page ms | idle RSS MiB | peak RSS after the pages MiB | ${PAGES.map((p) => `\`${p}\` median · p95 ms`).join(' | ')} |`,
  );
  console.log(`|---|---:|---:|---:|${PAGES.map(() => '---:').join('|')}|`);
  for (const [name, runs] of samples) {
    const page = (p: string) => {
      const all = runs.flatMap((r) => r.pages[p]!);
      return `${fmt(median(all), 1)} · ${fmt(p95(all), 1)}`;
    };
    console.log(
      `| ${name} | ${fmt(median(runs.map((r) => r.startMs)), 0)} | ${fmt(median(runs.map((r) => r.idleMiB)), 0)} | ${fmt(median(runs.map((r) => r.peakMiB)), 0)} | ${PAGES.map(page).join(' | ')} |`,
    );
  }
  // Per round, against the defaults of the same round: the ratio of each page's median.
  const defaults = samples.get("V8's defaults")!;
  for (const name of names.filter((n) => n !== "V8's defaults")) {
    const ratios = PAGES.map((p) =>
      median(samples.get(name)!.map((r, i) => median(r.pages[p]!) / median(defaults[i]!.pages[p]!))),
    );
    const start = median(samples.get(name)!.map((r, i) => r.startMs / defaults[i]!.startMs));
    console.log(
      `\n${name} ÷ V8's defaults, same round (median of the rounds): start-up ${fmt(start, 2)}; page medians ${ratios.map((r) => fmt(r, 2)).join(' · ')}`,
    );
  }
}

void runBench(main);
