/**
 * `npm run bench:sign-in` — figures for issue 2's closing note. A benchmark, not a test: it
 * asserts nothing about time, it prints figures as RATIOS against a baseline measured in the same
 * run (the machine is small and shared), and writes them into bench/README.md.
 *
 *   1. Complete sign-ins per second (GET /sign-in, POST password, GET two-factor, POST TOTP) over
 *      real HTTP on loopback against one server process, ÷ the raw argon2id verify rate measured
 *      in this process at the same concurrency, in windows interleaved with the sign-in windows.
 *      Also CPU time per sign-in (server process, /proc) ÷ CPU time per raw verify: less sensitive
 *      to other load on the machine than wall-clock rates.
 *   1b. Complete OpenID Connect sign-ins per second, the way an application's user does it with a
 *      fresh browser (issue 16): GET /oidc/auth (code, PKCE S256, state, nonce) → the same four
 *      sign-in requests as 1, the code posted where the two-factor page's form says (below the
 *      provider's interaction, whose answer is the code at the application's return address) →
 *      POST /oidc/token (client_secret_basic, the code verifier),
 *      in windows of the same length interleaved with 1's, ÷ the plain sign-in rate of the same
 *      round (target: at least 0.8). Also CPU per OIDC sign-in and per provider request.
 *   2. Resident memory of the real server (`node bin/nexus-accounts.js serve`) after start, idle,
 *      ÷ that of a bare Fastify hello-world.
 *   3. Time from starting the server on an existing database to the first GET /sign-in 200,
 *      median of N, ÷ the same time for a bare `node:http` server.
 *
 * Both on PGlite (a temporary DATA_DIR) and on PostgreSQL (a fresh database on the server named by
 * BENCH_POSTGRES_URL, default postgres://postgres@127.0.0.1:5432/postgres, dropped after).
 *
 * Settings (environment): BENCH_CONCURRENCY (4 clients / 4 verifications at a time), BENCH_ROUNDS (4
 * sign-in windows per database, interleaved with ROUNDS + 1 raw-verify windows), BENCH_SECONDS (3, each
 * sign-in window), BENCH_VERIFY_SECONDS (2, each raw-verify window), BENCH_STARTS (3),
 * BENCH_WRITE_README (1; 0 prints only).
 */
import os from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { hashPassword, verifyPassword } from '../src/services/sign-in/password-hasher.ts';
import { TEST_PASSWORD } from '../test/support/fixtures.ts';
import { cpuMsOf, memoryOf, stopChild, waitForStatus, type Memory } from './support/processes.ts';
import { beginRun, endRun, publish, runLine, type RunMeta } from './support/report.ts';
import { log, runBench, scratchDir, setting } from './support/run.ts';
import {
  databaseCpu,
  databaseCpuSince,
  openTargets,
  startBaseline,
  startNexus,
  type Kind,
  type Started,
  type Target,
} from './support/service.ts';
import {
  createBenchAccounts,
  OIDC_STEPS,
  oidcSignInOnce,
  registerApplication,
  signInOnce,
  STEPS,
  type BenchAccount,
  type OidcStep,
  type SignInTiming,
  type Step,
} from './support/sign-in-client.ts';
import { fmt, mean, median, mib, range } from './support/stats.ts';

const CONCURRENCY = Math.round(setting('BENCH_CONCURRENCY', 4));
const ROUNDS = Math.round(setting('BENCH_ROUNDS', 4));
const SIGN_IN_SECONDS = setting('BENCH_SECONDS', 3);
const VERIFY_SECONDS = setting('BENCH_VERIFY_SECONDS', 2);
const STARTS = Math.round(setting('BENCH_STARTS', 3));
const IDLE_MS = 2000;
const WARMUP_SIGN_INS = CONCURRENCY * 2;
const BREAKDOWN_SIGN_INS = 12;
const MAX_ACCOUNTS = 3000;
/** Every sign-in comes from 127.0.0.1 and counts twice against the per-address throttle. */
const THROTTLE_ADDRESS_LIMIT = '1000000';
const SEED_DEMO_FOR_MEMORY = 'false';

// --------------------------------------------------------------------------------------------
// Child processes: the real server and the baselines

const BARE_HTTP = `require('node:http').createServer((q, s) => s.end('hello')).listen(Number(process.env.PORT), '127.0.0.1');`;
const FASTIFY_HELLO = `const app = require('fastify')(); app.get('/', async () => 'hello'); app.listen({ port: Number(process.env.PORT), host: '127.0.0.1' });`;

/** Starts, times the first 200 on `probe`, optionally reads memory after IDLE_MS idle, stops. */
async function timedStart(started: Started, probe: string, options: { memory?: boolean } = {}) {
  try {
    const ready = await waitForStatus(started.child, started.url + probe, 200, { timeoutMs: 120_000 });
    const ms = ready - started.t0;
    // CPU the process used up to its first answer: less at the mercy of other load than the wall clock.
    const cpuMs = cpuMsOf(started.child.pid);
    let memory: Memory | undefined;
    if (options.memory) {
      await sleep(IDLE_MS);
      memory = memoryOf(started.child.pid);
    }
    return { ms, cpuMs, memory, output: started.child.output() };
  } finally {
    await stopChild(started.child);
  }
}

// --------------------------------------------------------------------------------------------
// 2 + 3: memory and start-up

interface StartupResult {
  firstStartMs: number;
  nexusMs: number[];
  /** CPU of the server process from its start to its first GET /sign-in 200. */
  nexusCpuMs: number[];
  nexusNoSeedMs: number[];
  bareMs: number[];
  fastifyMs: number[];
  nexusMemory: Memory;
  nexusDefaultMemory: Memory | undefined;
  fastifyMemory: Memory;
  bareMemory: Memory;
}

async function measureStartup(target: Target): Promise<StartupResult> {
  // Once first: creates and migrates the database and seeds the demo (SEED_DEMO default: true).
  log(`${target.kind}: first start on an empty database (creates, migrates, seeds the demo)`);
  const first = await timedStart(await startNexus(`nexus ${target.kind} first start`, target), '/sign-in');
  if (!first.output.includes('Demo accounts (just created)'))
    throw new Error(`the first start did not seed the demo:\n${first.output}`);

  const result: StartupResult = {
    firstStartMs: first.ms,
    nexusMs: [],
    nexusCpuMs: [],
    nexusNoSeedMs: [],
    bareMs: [],
    fastifyMs: [],
    nexusMemory: { rssKiB: 0, hwmKiB: 0 },
    nexusDefaultMemory: undefined,
    fastifyMemory: { rssKiB: 0, hwmKiB: 0 },
    bareMemory: { rssKiB: 0, hwmKiB: 0 },
  };
  // Interleaved, so that a burst of noise hits baseline and server alike.
  for (let round = 0; round < STARTS; round++) {
    log(`${target.kind}: start-up round ${round + 1}/${STARTS}`);
    const bare = await timedStart(await startBaseline('bare node:http', BARE_HTTP), '/', { memory: round === 0 });
    result.bareMs.push(bare.ms);
    if (bare.memory) result.bareMemory = bare.memory;
    const fastify = await timedStart(await startBaseline('fastify hello-world', FASTIFY_HELLO), '/', {
      memory: round === 0,
    });
    result.fastifyMs.push(fastify.ms);
    if (fastify.memory) result.fastifyMemory = fastify.memory;
    // `npm start` as a newcomer runs it: SEED_DEMO unset (true), database already seeded.
    const nexus = await timedStart(await startNexus(`nexus ${target.kind} start`, target), '/sign-in', {
      memory: round === 0,
    });
    result.nexusMs.push(nexus.ms);
    result.nexusCpuMs.push(nexus.cpuMs);
    if (nexus.memory) result.nexusDefaultMemory = nexus.memory;
    const noSeed = await timedStart(
      await startNexus(`nexus ${target.kind} start (no seed)`, target, { SEED_DEMO: 'false' }),
      '/sign-in',
    );
    result.nexusNoSeedMs.push(noSeed.ms);
  }

  // Memory as the brief defines it: wait for /health, then idle, then VmRSS.
  log(`${target.kind}: resident memory after start, idle (SEED_DEMO=${SEED_DEMO_FOR_MEMORY})`);
  const started = await startNexus(`nexus ${target.kind} memory`, target, { SEED_DEMO: SEED_DEMO_FOR_MEMORY });
  const idle = await timedStart({ ...started }, '/health', { memory: true });
  result.nexusMemory = idle.memory!;
  return result;
}

// --------------------------------------------------------------------------------------------
// 1: sign-ins per second against raw argon2id verifications

interface VerifyWindow {
  rate: number;
  /** CPU time of this process per verification (argon2id runs on libuv's thread pool here). */
  cpuMsPerVerify: number;
}

async function verifyWindow(passwordHash: string, concurrency: number, seconds: number): Promise<VerifyWindow> {
  for (let i = 0; i < concurrency; i++) await verifyPassword(passwordHash, TEST_PASSWORD); // warm-up
  let count = 0;
  const cpu = process.cpuUsage();
  const start = performance.now();
  const deadline = start + seconds * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < deadline) {
        if (!(await verifyPassword(passwordHash, TEST_PASSWORD))) throw new Error('the raw verification failed');
        count++;
      }
    }),
  );
  const used = process.cpuUsage(cpu);
  return {
    rate: count / ((performance.now() - start) / 1000),
    cpuMsPerVerify: (used.user + used.system) / 1000 / count,
  };
}

interface SignInRound {
  signIns: number;
  seconds: number;
  rate: number;
  /** Raw verify rate: mean of the windows just before and just after this round. */
  raw: number;
  ratio: number;
  /** Server process CPU (user + system) per sign-in. */
  serverCpuMs: number;
  /** PostgreSQL backends' CPU per sign-in (0 on PGlite, whose work is in serverCpuMs). */
  databaseCpuMs: number;
  /** This (client) process's CPU per sign-in: the load generator shares the 2 cores. */
  clientCpuMs: number;
  /** The OIDC window of the same round (1b). */
  oidc: OidcWindow;
}

interface OidcWindow {
  signIns: number;
  seconds: number;
  rate: number;
  serverCpuMs: number;
  databaseCpuMs: number;
}

interface SignInResult {
  rounds: SignInRound[];
  verifies: VerifyWindow[];
  signIns: number;
  seconds: number;
  rate: number;
  ranOut: boolean;
  /** Median over rounds of (sign-ins/s ÷ raw verifies/s). */
  ratio: number;
  rawMean: number;
  cpuMsPerVerify: number;
  serverCpuMsPerSignIn: number;
  databaseCpuMsPerSignIn: number;
  clientCpuMsPerSignIn: number;
  passwordMs: number;
  totpMs: number;
  totalMs: number;
  /** Server CPU per request, measured one request at a time. */
  stepCpuMs: Record<Step, number>;
  afterLoad: Memory;
  /** 1b: OIDC sign-ins over all rounds, and the median of each round's OIDC ÷ plain rate. */
  oidcSignIns: number;
  oidcSeconds: number;
  oidcRate: number;
  oidcRatio: number;
  oidcServerCpuMs: number;
  oidcDatabaseCpuMs: number;
  oidcTotalMs: number;
  oidcStepCpuMs: Record<OidcStep, number>;
}

/**
 * Interleaved: raw-verify window, sign-in window, raw-verify window, sign-in window, … raw-verify
 * window. Each sign-in window is compared with the raw windows on either side of it, so a burst of
 * load from elsewhere on the machine lands on both sides of the ratio.
 */
async function measureSignIns(target: Target, passwordHash: string): Promise<SignInResult> {
  log(`${target.kind}: raw argon2id verify rate, ${CONCURRENCY} at a time, ${VERIFY_SECONDS} s`);
  const verifies: VerifyWindow[] = [await verifyWindow(passwordHash, CONCURRENCY, VERIFY_SECONDS)];
  const needed = Math.min(
    MAX_ACCOUNTS,
    Math.max(100, Math.ceil(verifies[0]!.rate * ROUNDS * SIGN_IN_SECONDS * 1.5)) + WARMUP_SIGN_INS + BREAKDOWN_SIGN_INS,
  );
  log(`${target.kind}: creating ${needed} enrolled accounts`);
  // As many again for the OIDC windows (1b), and an application for them.
  const accounts = await createBenchAccounts(target, needed * 2);
  const application = await registerApplication(target);

  const server = await startNexus(`nexus ${target.kind} sign-in server`, target, {
    SEED_DEMO: 'false',
    THROTTLE_ADDRESS_LIMIT,
  });
  const rounds: SignInRound[] = [];
  const timings: SignInTiming[] = [];
  const stepCpuMs = Object.fromEntries(STEPS.map((step) => [step, 0])) as Record<Step, number>;
  const oidcStepCpuMs = Object.fromEntries(OIDC_STEPS.map((step) => [step, 0])) as Record<OidcStep, number>;
  const oidcTimes: number[] = [];
  let ranOut = false;
  let afterLoad: Memory;
  try {
    await waitForStatus(server.child, `${server.url}/health`, 200, { timeoutMs: 120_000 });
    let next = 0;
    const take = () => (next < accounts.length ? accounts[next++] : undefined);
    log(`${target.kind}: ${WARMUP_SIGN_INS} warm-up sign-ins`);
    await signInOnce(server.url, take()!, { checkHome: true });
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        for (let i = 0; i < Math.ceil((WARMUP_SIGN_INS - 1) / CONCURRENCY); i++) {
          await signInOnce(server.url, take()!);
          await oidcSignInOnce(server.url, application, take()!);
        }
      }),
    );

    // Where the server's CPU goes: one client, one request at a time, CPU read after each step.
    log(`${target.kind}: ${BREAKDOWN_SIGN_INS} sequential sign-ins for the CPU per request`);
    for (let i = 0; i < BREAKDOWN_SIGN_INS; i++) {
      let before = cpuMsOf(server.child.pid);
      await signInOnce(server.url, take()!, {
        afterStep: async (step) => {
          await sleep(5); // let the response's log line and any trailing work finish
          const now = cpuMsOf(server.child.pid);
          stepCpuMs[step] += (now - before) / BREAKDOWN_SIGN_INS;
          before = now;
        },
      });
    }

    log(`${target.kind}: ${BREAKDOWN_SIGN_INS} sequential OIDC sign-ins for the CPU per request`);
    for (let i = 0; i < BREAKDOWN_SIGN_INS; i++) {
      let before = cpuMsOf(server.child.pid);
      await oidcSignInOnce(server.url, application, take()!, {
        afterStep: async (step) => {
          await sleep(5);
          const now = cpuMsOf(server.child.pid);
          oidcStepCpuMs[step] += (now - before) / BREAKDOWN_SIGN_INS;
          before = now;
        },
      });
    }

    /** A window of sign-ins, CONCURRENCY at a time for SIGN_IN_SECONDS: how many, how long, the CPU they took. */
    const window = async (once: (account: BenchAccount) => Promise<unknown>) => {
      let count = 0;
      const databaseBefore = await databaseCpu(target);
      const serverCpu = cpuMsOf(server.child.pid);
      const clientCpu = process.cpuUsage();
      const start = performance.now();
      const deadline = start + SIGN_IN_SECONDS * 1000;
      await Promise.all(
        Array.from({ length: CONCURRENCY }, async () => {
          while (performance.now() < deadline) {
            const account = take();
            if (!account) {
              ranOut = true;
              return;
            }
            await once(account);
            count++;
          }
        }),
      );
      const seconds = (performance.now() - start) / 1000;
      const client = process.cpuUsage(clientCpu);
      return {
        count,
        seconds,
        serverCpuMs: cpuMsOf(server.child.pid) - serverCpu,
        databaseCpuMs: databaseCpuSince(databaseBefore, await databaseCpu(target)),
        clientCpuMs: (client.user + client.system) / 1000,
      };
    };

    for (let round = 0; round < ROUNDS && !ranOut; round++) {
      log(
        `${target.kind}: round ${round + 1}/${ROUNDS}: sign-ins, then OIDC sign-ins, ${CONCURRENCY} clients, ${SIGN_IN_SECONDS} s each; then raw verifies, ${VERIFY_SECONDS} s`,
      );
      const plain = await window(async (account) => timings.push(await signInOnce(server.url, account)));
      const oidc = await window(async (account) =>
        oidcTimes.push(await oidcSignInOnce(server.url, application, account)),
      );
      verifies.push(await verifyWindow(passwordHash, CONCURRENCY, VERIFY_SECONDS));
      const raw = mean([verifies[round]!.rate, verifies[round + 1]!.rate]);
      const rate = plain.count / plain.seconds;
      rounds.push({
        signIns: plain.count,
        seconds: plain.seconds,
        rate,
        raw,
        ratio: rate / raw,
        serverCpuMs: plain.serverCpuMs / plain.count,
        databaseCpuMs: plain.databaseCpuMs / plain.count,
        clientCpuMs: plain.clientCpuMs / plain.count,
        oidc: {
          signIns: oidc.count,
          seconds: oidc.seconds,
          rate: oidc.count / oidc.seconds,
          serverCpuMs: oidc.serverCpuMs / oidc.count,
          databaseCpuMs: oidc.databaseCpuMs / oidc.count,
        },
      });
    }
    afterLoad = memoryOf(server.child.pid);
  } finally {
    await stopChild(server.child);
  }
  const signIns = rounds.reduce((sum, r) => sum + r.signIns, 0);
  const seconds = rounds.reduce((sum, r) => sum + r.seconds, 0);
  const weighted = (pick: (r: SignInRound) => number) =>
    rounds.reduce((sum, r) => sum + pick(r) * r.signIns, 0) / signIns;
  const oidcSignIns = rounds.reduce((sum, r) => sum + r.oidc.signIns, 0);
  const oidcSeconds = rounds.reduce((sum, r) => sum + r.oidc.seconds, 0);
  const oidcWeighted = (pick: (w: OidcWindow) => number) =>
    rounds.reduce((sum, r) => sum + pick(r.oidc) * r.oidc.signIns, 0) / oidcSignIns;
  return {
    rounds,
    verifies,
    signIns,
    seconds,
    rate: signIns / seconds,
    ranOut,
    ratio: median(rounds.map((r) => r.ratio)),
    rawMean: mean(verifies.map((v) => v.rate)),
    cpuMsPerVerify: median(verifies.map((v) => v.cpuMsPerVerify)),
    serverCpuMsPerSignIn: weighted((r) => r.serverCpuMs),
    databaseCpuMsPerSignIn: weighted((r) => r.databaseCpuMs),
    clientCpuMsPerSignIn: weighted((r) => r.clientCpuMs),
    passwordMs: median(timings.map((t) => t.passwordMs)),
    totpMs: median(timings.map((t) => t.totpMs)),
    totalMs: median(timings.map((t) => t.totalMs)),
    stepCpuMs,
    afterLoad,
    oidcSignIns,
    oidcSeconds,
    oidcRate: oidcSignIns / oidcSeconds,
    oidcRatio: median(rounds.map((r) => r.oidc.rate / r.rate)),
    oidcServerCpuMs: oidcWeighted((w) => w.serverCpuMs),
    oidcDatabaseCpuMs: oidcWeighted((w) => w.databaseCpuMs),
    oidcTotalMs: median(oidcTimes),
    oidcStepCpuMs,
  };
}

// --------------------------------------------------------------------------------------------
// Report

interface KindResult {
  kind: Kind;
  startup: StartupResult;
  signIn: SignInResult;
}

const label = (kind: Kind) => (kind === 'pglite' ? 'PGlite' : 'PostgreSQL 15');

function report(results: KindResult[], meta: RunMeta): string {
  const vcpus = os.cpus().length;
  const rows: string[] = [];
  const row = (...cells: string[]) => rows.push(`| ${cells.join(' | ')} |`);
  rows.push('| figure | ' + results.map((r) => label(r.kind)).join(' | ') + ' | baseline (same run) |');
  rows.push('|---|' + results.map(() => '---:|').join('') + '---|');

  const signIn = results.map((r) => r.signIn);
  row(
    `**1. complete sign-ins / s** (${CONCURRENCY} clients, one server process)`,
    ...signIn.map((s) => `${fmt(s.rate)} (${s.signIns} in ${fmt(s.seconds)} s)`),
    `raw argon2id verifies / s, ${CONCURRENCY} at a time, in the bench process`,
  );
  row(
    `raw argon2id verifies / s (mean, range of ${ROUNDS + 1} windows)`,
    ...signIn.map(
      (s) =>
        `${fmt(s.rawMean)} (${range(
          s.verifies.map((v) => v.rate),
          1,
        )})`,
    ),
    '',
  );
  row(
    `**ratio sign-ins ÷ raw verifies** (median, range of ${ROUNDS} rounds)`,
    ...signIn.map((s) => `**${fmt(s.ratio, 2)}** (${range(s.rounds.map((r) => r.ratio))})`),
    '1.00 = argon2id is the only cost',
  );
  row(
    'CPU per sign-in, server process (ms)',
    ...signIn.map((s) => fmt(s.serverCpuMsPerSignIn)),
    `CPU per raw verify: ${signIn.map((s) => fmt(s.cpuMsPerVerify)).join(' / ')} ms`,
  );
  row(
    'CPU per sign-in, PostgreSQL backends (ms)',
    ...signIn.map((s) => (s.databaseCpuMsPerSignIn > 0 ? fmt(s.databaseCpuMsPerSignIn) : 'in-process')),
    '',
  );
  const totalCpu = (s: SignInResult) => s.serverCpuMsPerSignIn + s.databaseCpuMsPerSignIn;
  row(
    "**ratio CPU per verify ÷ CPU per sign-in** (server + database; argon2id's share)",
    ...signIn.map((s) => `**${fmt(s.cpuMsPerVerify / totalCpu(s), 2)}**`),
    '1.00 = argon2id is the only cost',
  );
  row(
    'sign-ins per vCPU-second (1000 ÷ server + database CPU ms per sign-in)',
    ...signIn.map((s) => fmt(1000 / totalCpu(s))),
    'Keycloak sizing guide: 15 per vCPU',
  );
  row(`wall-clock sign-ins / s ÷ ${vcpus} vCPU (machine shared)`, ...signIn.map((s) => fmt(s.rate / vcpus)), '');
  row(
    'CPU per sign-in, bench client process (ms)',
    ...signIn.map((s) => fmt(s.clientCpuMsPerSignIn)),
    'shares the same cores',
  );
  row(
    'server CPU per request, one at a time (ms): GET /sign-in · POST password · GET two-factor · POST TOTP',
    ...signIn.map((s) => STEPS.map((step) => fmt(s.stepCpuMs[step], 0)).join(' · ')),
    "PostgreSQL's own CPU is not included",
  );
  row(
    'median latency: password POST · TOTP POST · whole sign-in (ms)',
    ...signIn.map((s) => `${fmt(s.passwordMs, 0)} · ${fmt(s.totpMs, 0)} · ${fmt(s.totalMs, 0)}`),
    '',
  );

  row(
    `**1b. complete OIDC sign-ins / s** (authorize → sign-in → code → token, PKCE; ${CONCURRENCY} clients)`,
    ...signIn.map((s) => `${fmt(s.oidcRate)} (${s.oidcSignIns} in ${fmt(s.oidcSeconds)} s)`),
    'plain sign-ins / s (1), windows of the same length in the same rounds',
  );
  row(
    `**ratio OIDC ÷ plain sign-ins** (median, range of ${ROUNDS} rounds)`,
    ...signIn.map((s) => `**${fmt(s.oidcRatio, 2)}** (${range(s.rounds.map((r) => r.oidc.rate / r.rate))})`),
    '1.00 = the provider costs nothing; target ≥ 0.8',
  );
  row(
    'CPU per OIDC sign-in: server · PostgreSQL backends (ms)',
    ...signIn.map(
      (s) => `${fmt(s.oidcServerCpuMs)} · ${s.oidcDatabaseCpuMs > 0 ? fmt(s.oidcDatabaseCpuMs) : 'in-process'}`,
    ),
    'plain sign-in: the CPU rows of 1',
  );
  row(
    '**ratio CPU per plain ÷ per OIDC sign-in** (server + database)',
    ...signIn.map((s) => `**${fmt(totalCpu(s) / (s.oidcServerCpuMs + s.oidcDatabaseCpuMs), 2)}**`),
    '',
  );
  row(
    `server CPU per request of an OIDC sign-in, one at a time (ms): ${OIDC_STEPS.join(' · ')}`,
    ...signIn.map((s) => OIDC_STEPS.map((step) => fmt(s.oidcStepCpuMs[step], 0)).join(' · ')),
    "PostgreSQL's own CPU is not included",
  );
  row('median latency of a whole OIDC sign-in (ms)', ...signIn.map((s) => fmt(s.oidcTotalMs, 0)), '');

  const startup = results.map((r) => r.startup);
  row(
    `**2. RSS after start, idle** (SEED_DEMO=${SEED_DEMO_FOR_MEMORY}, MiB)`,
    ...startup.map((s) => fmt(mib(s.nexusMemory.rssKiB))),
    `Fastify hello-world: ${startup.map((s) => fmt(mib(s.fastifyMemory.rssKiB))).join(' / ')}`,
  );
  row(
    '**ratio RSS ÷ Fastify hello-world**',
    ...startup.map((s) => `**${fmt(s.nexusMemory.rssKiB / s.fastifyMemory.rssKiB, 2)}**`),
    `bare node:http: ${startup.map((s) => fmt(mib(s.bareMemory.rssKiB))).join(' / ')} MiB`,
  );
  row('RSS ÷ Keycloak base pod (1,250 MB)', ...startup.map((s) => fmt((s.nexusMemory.rssKiB * 1024) / 1.25e9, 3)), '');
  row(
    'RSS idle after `npm start` defaults (SEED_DEMO=true, MiB)',
    ...startup.map((s) => fmt(s.nexusDefaultMemory ? mib(s.nexusDefaultMemory.rssKiB) : undefined)),
    '',
  );
  row(
    `RSS · peak RSS after the sign-in run (MiB)`,
    ...signIn.map((s) => `${fmt(mib(s.afterLoad.rssKiB))} · ${fmt(mib(s.afterLoad.hwmKiB))}`),
    '',
  );
  row(
    `**3. start → first GET /sign-in 200, existing database** (median of ${STARTS}, ms)`,
    ...startup.map((s) => fmt(median(s.nexusMs), 0)),
    `bare node:http: ${startup.map((s) => fmt(median(s.bareMs), 0)).join(' / ')} ms`,
  );
  row(
    '**ratio start-up ÷ bare node:http**',
    ...startup.map((s) => `**${fmt(median(s.nexusMs) / median(s.bareMs), 1)}**`),
    `Fastify hello-world: ${startup.map((s) => fmt(median(s.fastifyMs), 0)).join(' / ')} ms`,
  );
  row(
    `server CPU from start to the first GET /sign-in 200 (median, range of ${STARTS}, ms)`,
    ...startup.map((s) => `${fmt(median(s.nexusCpuMs), 0)} (${range(s.nexusCpuMs, 0)})`),
    'user + system, all threads (/proc)',
  );
  row(
    `start → first GET /sign-in 200, all ${STARTS} (ms)`,
    ...startup.map((s) => s.nexusMs.map((ms) => fmt(ms, 0)).join(' · ')),
    `bare node:http: ${startup.map((s) => s.bareMs.map((ms) => fmt(ms, 0)).join(' · ')).join(' / ')}`,
  );
  row('start-up with SEED_DEMO=false (median, ms)', ...startup.map((s) => fmt(median(s.nexusNoSeedMs), 0)), '');
  row(
    'first start on an empty database: create, migrate, seed (ms)',
    ...startup.map((s) => fmt(s.firstStartMs, 0)),
    '',
  );

  const lines = [
    runLine(meta),
    `Command: \`npm run bench:sign-in\` (BENCH_CONCURRENCY=${CONCURRENCY}, BENCH_ROUNDS=${ROUNDS}, BENCH_SECONDS=${SIGN_IN_SECONDS}, ` +
      `BENCH_VERIFY_SECONDS=${VERIFY_SECONDS}, BENCH_STARTS=${STARTS}); sign-in server with THROTTLE_ADDRESS_LIMIT=${THROTTLE_ADDRESS_LIMIT}, SEED_DEMO=false.`,
    '',
    ...rows,
  ];
  if (signIn.some((s) => s.ranOut))
    lines.push(
      '',
      'Note: a sign-in run used up its pre-created accounts before its time was up; its rate is over the shorter time.',
    );
  for (const note of meta.skipped) lines.push('', `Skipped: ${note}`);
  return lines.join('\n');
}

// --------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const run = beginRun();
  const scratch = await scratchDir('nexus-bench-');
  const passwordHash = await hashPassword(TEST_PASSWORD);
  const targets = await openTargets(scratch, 'nexus_bench');
  const skipped: string[] = [];
  if (!targets.some((target) => target.kind === 'postgres'))
    skipped.push('PostgreSQL: no server answered at BENCH_POSTGRES_URL.');

  const results: KindResult[] = [];
  for (const target of targets) {
    const startup = await measureStartup(target);
    const signIn = await measureSignIns(target, passwordHash);
    results.push({ kind: target.kind, startup, signIn });
  }

  await publish('bench:sign-in', 'Sign-in, memory, start-up', report(results, endRun(run, skipped)));
}

await runBench(main);
