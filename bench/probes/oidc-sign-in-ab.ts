/**
 * `OIDC_AB_BEFORE=<tree> OIDC_AB_AFTER=<tree> npx tsx bench/probes/oidc-sign-in-ab.ts` — the CPU an
 * OpenID Connect sign-in and a plain sign-in cost on two versions of the service at once (issue 16,
 * bench:sign-in row 1b), for a machine too busy for the bench's rates to mean anything: both
 * versions' servers run side by side on PostgreSQL (a database each), and the sign-ins alternate
 * between them one at a time, so that whatever else the machine is doing falls on both alike. Each
 * tree is a checkout of one commit with its node_modules (e.g. `git clone --shared . /tmp/before`,
 * `git -C /tmp/before checkout <commit>`, a symlink to this node_modules).
 *
 * Per round and version: server + PostgreSQL backend CPU per plain sign-in (GET /sign-in, POST
 * password, GET two-factor, POST TOTP) and per OIDC sign-in (GET /oidc/auth, the same four with the
 * code posted where the page's form says and on to the code, then POST /oidc/token; this tree's
 * bench/support/sign-in-client.ts for both versions), PROBE_SIGN_INS (80) of each; PROBE_ROUNDS (4)
 * rounds; the ratio plain ÷ OIDC. A probe for bench/README.md, not a bench: it prints, it writes nothing.
 */
import os from 'node:os';
import path from 'node:path';
import { cpuMsOf, freePort, startChild, stopChild, waitForStatus } from '../support/processes.ts';
import { log, runBench, scratchDir, setting } from '../support/run.ts';
import { databaseCpu, databaseCpuSince, openTargets, type Target } from '../support/service.ts';
import {
  createBenchAccounts,
  oidcSignInOnce,
  registerApplication,
  signInOnce,
  type BenchAccount,
  type BenchApplication,
} from '../support/sign-in-client.ts';

const N = Math.round(setting('PROBE_SIGN_INS', 80));
const ROUNDS = Math.round(setting('PROBE_ROUNDS', 4));
const WARM_UP = 10;

/** A version's server on its own database, as bench:sign-in starts it (no demo seed, no address throttle). */
async function startVersion(tree: string, target: Target) {
  const port = await freePort();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PORT: String(port),
    HOST: '127.0.0.1',
    DATA_DIR: target.dataDir,
    SECRET_KEY: target.secretKey,
    DATABASE_URL: target.databaseUrl,
    SEED_DEMO: 'false',
    THROTTLE_ADDRESS_LIMIT: '1000000',
  };
  for (const name of ['LOG_LEVEL', 'NODE_OPTIONS', 'BASE_URL', 'SMTP_URL']) delete env[name];
  const child = startChild(tree, process.execPath, [path.join(tree, 'bin', 'nexus-accounts.js'), 'serve'], {
    cwd: tree,
    env,
  });
  const url = `http://127.0.0.1:${port}`;
  await waitForStatus(child, `${url}/health`, 200, { timeoutMs: 120_000 });
  return { child, url };
}

interface Version {
  name: string;
  target: Target;
  server: Awaited<ReturnType<typeof startVersion>>;
  accounts: BenchAccount[];
  application: BenchApplication;
  next: number;
  cpuMs: { plain: number[]; oidc: number[] };
}

async function main(): Promise<void> {
  const trees = { before: process.env.OIDC_AB_BEFORE, after: process.env.OIDC_AB_AFTER };
  if (!trees.before || !trees.after) throw new Error('set OIDC_AB_BEFORE and OIDC_AB_AFTER to the two checkouts');
  const scratch = await scratchDir('nexus-oidc-ab-');
  const versions: Version[] = [];
  try {
    for (const [name, tree] of Object.entries(trees)) {
      const target = (await openTargets(path.join(scratch, name), 'nexus_oidc_ab')).find((t) => t.kind === 'postgres');
      if (!target) throw new Error('no PostgreSQL server answered at BENCH_POSTGRES_URL');
      // The first start creates and migrates the database; the accounts are made with this tree's code.
      await stopChild((await startVersion(tree!, target)).child);
      const accounts = await createBenchAccounts(target, 2 * (N * ROUNDS + WARM_UP));
      const application = await registerApplication(target);
      const server = await startVersion(tree!, target);
      versions.push({ name, target, server, accounts, application, next: 0, cpuMs: { plain: [], oidc: [] } });
    }
    const take = (version: Version) => version.accounts[version.next++]!;
    for (const version of versions)
      for (let i = 0; i < WARM_UP; i++) {
        await signInOnce(version.server.url, take(version));
        await oidcSignInOnce(version.server.url, version.application, take(version));
      }
    for (let round = 1; round <= ROUNDS; round++) {
      for (const kind of ['plain', 'oidc'] as const) {
        const before = await Promise.all(
          versions.map(async (v) => ({ server: cpuMsOf(v.server.child.pid), database: await databaseCpu(v.target) })),
        );
        for (let i = 0; i < N; i++)
          for (const version of versions) {
            if (kind === 'plain') await signInOnce(version.server.url, take(version));
            else await oidcSignInOnce(version.server.url, version.application, take(version));
          }
        for (const [index, version] of versions.entries()) {
          const server = (cpuMsOf(version.server.child.pid) - before[index]!.server) / N;
          const database = databaseCpuSince(before[index]!.database, await databaseCpu(version.target)) / N;
          version.cpuMs[kind].push(server + database);
          log(
            `round ${round} ${kind} ${version.name}: server ${server.toFixed(1)} + PostgreSQL ${database.toFixed(1)} ms per sign-in (load ${os.loadavg()[0]!.toFixed(1)})`,
          );
        }
      }
      for (const v of versions)
        log(`round ${round} ${v.name}: CPU plain ÷ OIDC ${(v.cpuMs.plain.at(-1)! / v.cpuMs.oidc.at(-1)!).toFixed(3)}`);
    }
    const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);
    for (const v of versions)
      log(
        `all rounds ${v.name}: plain ${(sum(v.cpuMs.plain) / ROUNDS).toFixed(1)} ms, OIDC ${(sum(v.cpuMs.oidc) / ROUNDS).toFixed(1)} ms, plain ÷ OIDC ${(sum(v.cpuMs.plain) / sum(v.cpuMs.oidc)).toFixed(3)}`,
      );
  } finally {
    for (const version of versions) await stopChild(version.server.child);
  }
}

await runBench(main);
