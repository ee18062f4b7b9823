/**
 * `npm run bench:api` — figures for issue 5's closing note. A benchmark, not a test: it asserts
 * nothing about time; it prints requests per second of the JSON API as RATIOS against a bare
 * Fastify route measured on the same machine in the same run (the machine is small and shared),
 * and writes them into bench/README.md.
 *
 *   - `GET /api/v1/users?limit=50`: a page of 50 accounts of the token's LA (the LA holds 500+).
 *   - `POST /api/v1/users`: create an account (each request a new unique username); 201 expected.
 *     Creating an account also writes its invitation email to the outbox, and the server's mail
 *     loop writes it out as a file every 2 s: that is part of the cost.
 *
 * Against ONE server process (`node bin/nexus-accounts.js serve`, API_RATE_LIMIT_PER_MINUTE set very
 * high so that the rate limit is not what is measured), over HTTP on loopback with keep-alive,
 * C clients in a closed loop. Baseline: a child process running a bare Fastify 5 app whose GET
 * route returns `{ items: [50 objects shaped like the API's], next: null }` and whose POST route
 * parses a JSON body of the same shape and answers 201 with a JSON object.
 *
 * Method: one warm-up window per operation and process, then ROUNDS rounds; in each round, per
 * operation, one baseline window and one server window (the order alternates between rounds), so
 * that a burst of load from elsewhere on the machine lands on both sides of the ratio. Only 200
 * (GET) and 201 (POST) are counted; any other status or network error is counted apart, printed
 * loudly, written into the table, and makes the bench exit non-zero. Also CPU time per request
 * from /proc (server process; plus the PostgreSQL backends of the bench database; baseline
 * process), which other load on the machine disturbs far less than wall-clock rates.
 *
 * Both on PGlite (a temporary DATA_DIR, seeded before the server starts: PGlite's data dir is locked
 * by one process) and on PostgreSQL (a fresh database on BENCH_POSTGRES_URL, dropped after).
 *
 * Settings (environment): BENCH_CONCURRENCY (8), BENCH_SECONDS (3, each window), BENCH_ROUNDS (3),
 * BENCH_WARMUP_SECONDS (1), BENCH_ACCOUNTS (500, accounts in the LA before the run),
 * BENCH_WRITE_README (1; 0 prints only).
 */
import { randomBytes } from 'node:crypto';
import type http from 'node:http';
import { createApiToken } from '../test/support/api-client.ts';
import { createAccount } from '../test/support/fixtures.ts';
import { keepAliveAgent, loadWindow, send, type LoadRequest, type LoadResult } from './support/http-load.ts';
import { cpuMsOf, stopChild, waitForStatus } from './support/processes.ts';
import { beginRun, endRun, publish, runLine, type RunMeta } from './support/report.ts';
import { log, runBench, scratchDir, setting } from './support/run.ts';
import {
  benchOrganisation,
  databaseCpu,
  databaseCpuSince,
  openTargets,
  startBaseline,
  startNexus,
  withRuntime,
  type Kind,
  type Started,
  type Target,
} from './support/service.ts';
import { fmt, median, range } from './support/stats.ts';

const CONCURRENCY = Math.round(setting('BENCH_CONCURRENCY', 8));
const SECONDS = setting('BENCH_SECONDS', 3);
const ROUNDS = Math.round(setting('BENCH_ROUNDS', 3));
const WARMUP_SECONDS = setting('BENCH_WARMUP_SECONDS', 1);
const ACCOUNTS = Math.round(setting('BENCH_ACCOUNTS', 500));
const PAGE = 50;
if (ACCOUNTS < PAGE) throw new Error(`BENCH_ACCOUNTS must be at least ${PAGE} (a full page)`);
const LA_CODE = '202';
/** Every request carries the same token from 127.0.0.1: the default limit (600 a minute) would answer 429. */
const API_RATE_LIMIT_PER_MINUTE = '100000000';
const LOG_LEVEL = 'warn';
/** Anchors for the closing note, requests per second. */
const OKTA_USERS_PER_SECOND = 600 / 60;
const GRAPH_WRITES_PER_SECOND = 20;

type Op = 'GET' | 'POST';
const OPS: readonly Op[] = ['GET', 'POST'];

// --------------------------------------------------------------------------------------------
// Child processes: the real server and the bare Fastify baseline

/** What the server (and the seeding and counting beside it) runs with, on top of the target's settings. */
const SERVER_SETTINGS = { SEED_DEMO: 'false', LOG_LEVEL, API_RATE_LIMIT_PER_MINUTE };

/**
 * The baseline: Fastify 5 with its defaults (JSON body parser, no logger), no auth, no database.
 * GET answers a page shaped like the API's (50 objects with the same fields); POST parses the JSON
 * body and answers 201 with an object like it, plus an id and timestamps.
 */
const BASELINE = `
const app = require('fastify')();
const { randomUUID } = require('node:crypto');
const items = Array.from({ length: ${PAGE} }, (_, i) => ({
  id: randomUUID(), username: 'bench.user.' + String(i).padStart(4, '0'), firstName: 'Test', lastName: 'User ' + i,
  email: 'bench.user.' + i + '@example.gov.uk', jobTitle: null, userType: 'la_officer', status: 'active',
  lastSignInAt: null, createdAt: '2025-01-01T00:00:00.000Z', twoFactor: true,
}));
app.get('/api/v1/users', async () => ({ items, next: null }));
app.post('/api/v1/users', async (request, reply) => {
  const body = request.body;
  reply.code(201).header('location', '/api/v1/users/' + randomUUID());
  return { id: randomUUID(), ...body, jobTitle: null, status: 'active', lastSignInAt: null, createdAt: new Date().toISOString(), twoFactor: false };
});
app.listen({ port: Number(process.env.PORT), host: '127.0.0.1' });
`;

// --------------------------------------------------------------------------------------------
// Seeding: LA 202, its administrator, ACCOUNTS accounts, an API token — before the server starts

async function seed(target: Target): Promise<string> {
  return withRuntime(target, SERVER_SETTINGS, (runtime, config) =>
    runtime.handle.db.transaction().execute(async (trx) => {
      const organisationId = await benchOrganisation(trx, LA_CODE);
      const admin = await createAccount(trx, config.secretKey, {
        organisationId,
        username: 'bench.admin',
        userType: 'la_admin',
      });
      for (let i = 0; i < ACCOUNTS; i++) {
        const n = String(i).padStart(4, '0');
        await createAccount(trx, config.secretKey, {
          organisationId,
          username: `bench.user.${n}`,
          firstName: 'Test',
          lastName: `User ${n}`,
          userType: i % 10 === 0 ? 'read_only' : 'la_officer',
        });
      }
      return createApiToken(trx, { organisationId, accountId: admin.id, name: 'bench' });
    }),
  );
}

// --------------------------------------------------------------------------------------------
// Requests

const RUN = randomBytes(3).toString('hex');

function requestsFor(token: string, kind: Kind): Record<Op, (i: number) => LoadRequest> {
  const headers = { authorization: `Bearer ${token}`, accept: 'application/json' };
  let created = 0;
  return {
    GET: () => ({ method: 'GET', path: `/api/v1/users?limit=${PAGE}`, headers }),
    POST: () => {
      const username = `api.${RUN}.${kind}.${created++}`;
      return {
        method: 'POST',
        path: '/api/v1/users',
        headers,
        body: JSON.stringify({
          username,
          firstName: 'Bench',
          lastName: `Created ${created}`,
          email: `${username}@example.gov.uk`,
          userType: 'read_only',
        }),
      };
    },
  };
}

const EXPECT: Record<Op, number> = { GET: 200, POST: 201 };

/** One request of each kind, checked properly, before any timing: a wrong answer stops the bench. */
async function check(
  agent: http.Agent,
  started: Started,
  requests: Record<Op, (i: number) => LoadRequest>,
  what: string,
): Promise<void> {
  const list = await send(agent, started.url, requests.GET(0));
  const page = list.status === 200 ? (JSON.parse(list.body) as { items?: unknown[] }) : undefined;
  if (!page || page.items?.length !== PAGE)
    throw new Error(
      `${what}: GET /api/v1/users?limit=${PAGE} answered ${list.status}, not a page of ${PAGE}:\n${list.body.slice(0, 600)}`,
    );
  const request = requests.POST(0);
  const create = await send(agent, started.url, request);
  const sent = JSON.parse(request.body!) as { username: string };
  const made = create.status === 201 ? (JSON.parse(create.body) as { username?: string }) : undefined;
  if (made?.username !== sent.username)
    throw new Error(
      `${what}: POST /api/v1/users answered ${create.status}, not 201 with the new account:\n${create.body.slice(0, 600)}`,
    );
}

// --------------------------------------------------------------------------------------------
// Measuring

interface Window {
  load: LoadResult;
  rate: number;
  /** CPU of the process serving the window (server or baseline), ms in total. */
  cpuMs: number;
  /** CPU of the PostgreSQL backends, ms in total (0 on PGlite and for the baseline). */
  databaseCpuMs: number;
  /** CPU of this (client) process, ms in total. */
  clientCpuMs: number;
}

async function measureWindow(
  target: Target | undefined,
  agent: http.Agent,
  started: Started,
  op: Op,
  next: (i: number) => LoadRequest,
  seconds: number,
): Promise<Window> {
  const databaseBefore = target ? await databaseCpu(target) : new Map<number, number>();
  const cpuBefore = cpuMsOf(started.child.pid);
  const client = process.cpuUsage();
  const load = await loadWindow(agent, started.url, { concurrency: CONCURRENCY, seconds, expect: [EXPECT[op]], next });
  const clientUsed = process.cpuUsage(client);
  const cpuMs = cpuMsOf(started.child.pid) - cpuBefore;
  const databaseCpuMs = target ? databaseCpuSince(databaseBefore, await databaseCpu(target)) : 0;
  if (started.child.hasExited())
    throw new Error(`${started.child.name} exited during the window:\n${started.child.output()}`);
  return {
    load,
    rate: load.ok / load.seconds,
    cpuMs,
    databaseCpuMs,
    clientCpuMs: (clientUsed.user + clientUsed.system) / 1000,
  };
}

interface OpResult {
  op: Op;
  server: Window[];
  baseline: Window[];
  /** Server ÷ baseline requests per second, one per round. */
  ratios: number[];
}

interface KindResult {
  kind: Kind;
  ops: OpResult[];
  /** Unexpected answers over the whole run (warm-up included), server and baseline. */
  errors: Map<string, number>;
  firstErrors: string[];
  accountsAfter: number;
}

function addErrors(into: KindResult, who: string, load: LoadResult): void {
  for (const [key, count] of load.errors)
    into.errors.set(`${who}: ${key}`, (into.errors.get(`${who}: ${key}`) ?? 0) + count);
  if (load.firstError && into.firstErrors.length < 5) into.firstErrors.push(`${who}: ${load.firstError}`);
  if (load.errors.size > 0) {
    const total = [...load.errors.values()].reduce((a, b) => a + b, 0);
    console.error(
      `\n!!! ${who}: ${total} UNEXPECTED ANSWER(S), not counted: ${[...load.errors].map(([k, n]) => `${k} ×${n}`).join(', ')}\n!!! first: ${load.firstError}\n`,
    );
  }
}

async function measure(target: Target): Promise<KindResult> {
  log(`${target.kind}: seeding LA ${LA_CODE}, its administrator, ${ACCOUNTS} accounts and an API token`);
  const token = await seed(target);
  const result: KindResult = { kind: target.kind, ops: [], errors: new Map(), firstErrors: [], accountsAfter: 0 };
  const server = await startNexus(`nexus ${target.kind} server`, target, SERVER_SETTINGS);
  const baseline = await startBaseline('bare Fastify baseline', BASELINE);
  const serverAgent = keepAliveAgent(CONCURRENCY);
  const baselineAgent = keepAliveAgent(CONCURRENCY);
  try {
    await waitForStatus(baseline.child, `${baseline.url}/api/v1/users`, 200, { timeoutMs: 60_000 });
    await waitForStatus(server.child, `${server.url}/health`, 200, { timeoutMs: 180_000 });
    const serverRequests = requestsFor(token, target.kind);
    const baselineRequests = requestsFor(token, target.kind);
    await check(serverAgent, server, serverRequests, `nexus ${target.kind}`);
    await check(baselineAgent, baseline, baselineRequests, 'baseline');

    for (const op of OPS) {
      log(`${target.kind}: warm-up ${op}, ${WARMUP_SECONDS} s each on the server and the baseline`);
      addErrors(
        result,
        `nexus ${op} warm-up`,
        (await measureWindow(target, serverAgent, server, op, serverRequests[op], WARMUP_SECONDS)).load,
      );
      addErrors(
        result,
        `baseline ${op} warm-up`,
        (await measureWindow(undefined, baselineAgent, baseline, op, baselineRequests[op], WARMUP_SECONDS)).load,
      );
    }

    const ops: OpResult[] = OPS.map((op) => ({ op, server: [], baseline: [], ratios: [] }));
    for (let round = 0; round < ROUNDS; round++) {
      const serverFirst = round % 2 === 1;
      for (const entry of ops) {
        log(
          `${target.kind}: round ${round + 1}/${ROUNDS}: ${entry.op}, ${CONCURRENCY} clients, ${SECONDS} s on the ${serverFirst ? 'server, then the baseline' : 'baseline, then the server'}`,
        );
        const runServer = async () => {
          const w = await measureWindow(target, serverAgent, server, entry.op, serverRequests[entry.op], SECONDS);
          addErrors(result, `nexus ${entry.op}`, w.load);
          entry.server.push(w);
        };
        const runBaseline = async () => {
          const w = await measureWindow(
            undefined,
            baselineAgent,
            baseline,
            entry.op,
            baselineRequests[entry.op],
            SECONDS,
          );
          addErrors(result, `baseline ${entry.op}`, w.load);
          entry.baseline.push(w);
        };
        if (serverFirst) {
          await runServer();
          await runBaseline();
        } else {
          await runBaseline();
          await runServer();
        }
        entry.ratios.push(entry.server.at(-1)!.rate / entry.baseline.at(-1)!.rate);
      }
    }
    result.ops = ops;
  } finally {
    serverAgent.destroy();
    baselineAgent.destroy();
    await stopChild(server.child);
    await stopChild(baseline.child);
  }
  return result;
}

// --------------------------------------------------------------------------------------------
// Report

const label = (kind: Kind) => (kind === 'pglite' ? 'PGlite' : 'PostgreSQL');
const opLabel = (op: Op) => (op === 'GET' ? `GET /api/v1/users?limit=${PAGE}` : 'POST /api/v1/users');

function totals(windows: readonly Window[]) {
  const requests = windows.reduce((sum, w) => sum + w.load.ok, 0);
  const seconds = windows.reduce((sum, w) => sum + w.load.seconds, 0);
  const per = (pick: (w: Window) => number) => windows.reduce((sum, w) => sum + pick(w), 0) / requests;
  return {
    requests,
    seconds,
    rates: windows.map((w) => w.rate),
    cpuMs: per((w) => w.cpuMs),
    databaseCpuMs: per((w) => w.databaseCpuMs),
    clientCpuMs: per((w) => w.clientCpuMs),
    latency: median(windows.flatMap((w) => w.load.latencies)),
  };
}

function report(results: KindResult[], meta: RunMeta): string {
  const rows: string[] = [
    '| operation | database | **server req/s** (median; range) | baseline req/s (median; range) | **ratio server ÷ baseline** (median; range) | server CPU ms/req (+ PostgreSQL backends) | baseline CPU ms/req | **ratio CPU baseline ÷ server** | req per vCPU-second (1000 ÷ CPU ms) | median latency, server · baseline (ms) | server req/s ÷ anchor | unexpected answers |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|',
  ];
  for (const op of OPS) {
    for (const r of results) {
      const entry = r.ops.find((o) => o.op === op);
      if (!entry) continue;
      const s = totals(entry.server);
      const b = totals(entry.baseline);
      const cpu = s.cpuMs + s.databaseCpuMs;
      const rate = median(s.rates);
      const anchor = op === 'GET' ? OKTA_USERS_PER_SECOND : GRAPH_WRITES_PER_SECOND;
      const errors = [...r.errors].filter(([key]) => key.includes(` ${op}`)).reduce((sum, [, n]) => sum + n, 0);
      rows.push(
        `| ${opLabel(op)} | ${label(r.kind)} | **${fmt(rate)}** (${range(s.rates, 0)}; ${s.requests} in ${fmt(s.seconds)} s) | ${fmt(median(b.rates))} (${range(b.rates, 0)}) | ` +
          `**${fmt(median(entry.ratios), 3)}** (${range(entry.ratios, 3)}) | ${fmt(s.cpuMs, 2)}${s.databaseCpuMs > 0 ? ` (+ ${fmt(s.databaseCpuMs, 2)})` : ' (in-process)'} | ${fmt(b.cpuMs, 2)} | ` +
          `**${fmt(b.cpuMs / cpu, 3)}** | ${fmt(1000 / cpu, 0)} vs ${fmt(1000 / b.cpuMs, 0)} | ${fmt(s.latency, 1)} · ${fmt(b.latency, 1)} | ` +
          `${fmt(rate / anchor, 1)}× ${op === 'GET' ? 'Okta (10/s)' : 'Graph (20 writes/s)'} | ${errors === 0 ? 'none' : `**${errors}**`} |`,
      );
    }
  }
  const clientCpu =
    results.flatMap((r) => r.ops.flatMap((o) => o.server)).reduce((sum, w) => sum + w.clientCpuMs, 0) /
    results.flatMap((r) => r.ops.flatMap((o) => o.server)).reduce((sum, w) => sum + w.load.ok, 0);

  const lines = [
    runLine(meta),
    `Command: \`npm run bench:api\` (BENCH_CONCURRENCY=${CONCURRENCY}, BENCH_SECONDS=${SECONDS}, BENCH_ROUNDS=${ROUNDS}, BENCH_WARMUP_SECONDS=${WARMUP_SECONDS}, ` +
      `BENCH_ACCOUNTS=${ACCOUNTS}); one server process with API_RATE_LIMIT_PER_MINUTE=${API_RATE_LIMIT_PER_MINUTE}, SEED_DEMO=false, LOG_LEVEL=${LOG_LEVEL}; ` +
      `accounts in the LA at the end: ${results.map((r) => `${r.accountsAfter} (${label(r.kind)})`).join(', ')}.`,
    '',
    ...rows,
    '',
    `How to read it: the ratios are the figures to quote — "server ÷ baseline" is the share of a bare Fastify route's throughput the real API keeps on this machine ` +
      `at the same moment, and "CPU baseline ÷ server" says the same in CPU time per request, which other load on the shared machine disturbs far less; ` +
      `the absolute requests per second only show the scale (the bench client, ${fmt(clientCpu, 2)} ms CPU per server request, shares the same cores).`,
  ];
  const errorKinds = results.filter((r) => r.errors.size > 0);
  if (errorKinds.length > 0) {
    lines.push('', '**WARNING: unexpected answers (not counted in the rates above):**');
    for (const r of errorKinds) {
      lines.push(`- ${label(r.kind)}: ${[...r.errors].map(([key, n]) => `${key} ×${n}`).join('; ')}`);
      for (const first of r.firstErrors) lines.push(`  - e.g. ${first.replace(/\s+/g, ' ').slice(0, 300)}`);
    }
  }
  for (const note of meta.skipped) lines.push('', `Skipped: ${note}`);
  return lines.join('\n');
}

async function countAccounts(target: Target): Promise<number> {
  return withRuntime(target, SERVER_SETTINGS, async (runtime) => {
    const row = await runtime.handle.db
      .selectFrom('accounts')
      .innerJoin('organisations', 'organisations.id', 'accounts.organisation_id')
      .where('organisations.la_code', '=', LA_CODE)
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .executeTakeFirstOrThrow();
    return Number(row.n);
  });
}

// --------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const run = beginRun();
  const targets = await openTargets(await scratchDir('nexus-bench-api-'), 'nexus_bench_api');
  const skipped: string[] = [];
  if (!targets.some((target) => target.kind === 'postgres')) {
    skipped.push('PostgreSQL: no server answered at BENCH_POSTGRES_URL; PGlite only.');
    log('postgres: no server answered at BENCH_POSTGRES_URL; PGlite only');
  }

  const results: KindResult[] = [];
  for (const target of targets) {
    const result = await measure(target);
    result.accountsAfter = await countAccounts(target);
    results.push(result);
  }

  await publish(
    'bench:api',
    'JSON API requests per second — `npm run bench:api`',
    report(results, endRun(run, skipped)),
  );
  const errors = results.reduce((sum, r) => sum + [...r.errors.values()].reduce((a, b) => a + b, 0), 0);
  if (errors > 0) {
    console.error(
      `\n!!! ${errors} UNEXPECTED ANSWER(S) during the run: see the WARNING under the table. The rates count only 200/201. !!!\n`,
    );
    process.exitCode = 1;
  }
}

await runBench(main);
