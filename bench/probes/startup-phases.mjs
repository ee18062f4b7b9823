// node bench/probes/startup-phases.mjs [src|dist]  — the serve path step by step, with time and RSS.
/* global performance, setTimeout, fetch, URL */
// Env: DATA_DIR, SECRET_KEY, DATABASE_URL as for serve.
import { readFileSync } from 'node:fs';
const mode = process.argv[2] ?? 'src';
const rss = () => Math.round(Number(/VmRSS:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))[1]) / 1024);
const t00 = performance.now();
let last = t00;
let lastCpu = process.cpuUsage();
const rows = [];
const mark = (what) => {
  const now = performance.now();
  const c = process.cpuUsage(lastCpu);
  lastCpu = process.cpuUsage();
  rows.push(
    `${what.padEnd(34)} ${String(Math.round(now - last)).padStart(6)} ms  cpu ${String(Math.round((c.user + c.system) / 1000)).padStart(5)} ms  RSS ${rss()} MiB`,
  );
  last = now;
};
let base;
if (mode === 'src') {
  const { register } = await import('tsx/esm/api');
  register();
  base = '../../src/';
  mark('tsx register');
} else {
  base = `../../${mode}/src/`;
}
const ext = mode === 'src' ? '.ts' : '.js';
const m = (p) => import(new URL(base + p + ext, import.meta.url).href);
const { loadConfig } = await m('config');
mark('import config');
const config = loadConfig();
mark('loadConfig');
const ba =
  mode === 'src'
    ? await import('../../scripts/build-assets.ts')
    : await import(new URL(`../../${mode}/scripts/build-assets.js`, import.meta.url).href);
mark('import build-assets');
await ba.buildAssets();
mark('buildAssets (no-op)');
const { connect } = await m('data/connect');
mark('import connect');
const handle = await connect({ databaseUrl: config.databaseUrl, pgliteDir: config.dataDir });
mark('connect (PGlite.create / pool)');
const { migrateToLatest } = await m('data/migrate');
mark('import migrate');
await migrateToLatest(handle.db, config.topicNames);
mark('migrateToLatest (nothing to do)');
const { createServices } = await m('services/index');
mark('import services');
const services = createServices({ db: handle.db, clock: { now: () => new Date() }, config, databaseKind: handle.kind });
mark('createServices');
await handle.db.selectFrom('organisations').select('id').limit(1).executeTakeFirst();
mark('seedIfEmpty check');
const { buildServer } = await m('http/server');
mark('import http/server');
const app = await buildServer(services, { logger: false, demo: true });
mark('buildServer');
await app.listen({ port: 0, host: '127.0.0.1' });
mark('listen');
const url = `http://127.0.0.1:${app.server.address().port}`;
let r = await fetch(url + '/sign-in');
await r.text();
mark(`first GET /sign-in (${r.status})`);
r = await fetch(url + '/sign-in');
await r.text();
mark(`second GET /sign-in (${r.status})`);
{
  const c = process.cpuUsage();
  rows.push(
    `TOTAL ${Math.round(performance.now() - t00)} ms, cpu ${Math.round((c.user + c.system) / 1000)} ms (incl. node boot)`,
  );
}
await new Promise((res) => setTimeout(res, 2000));
mark('idle 2 s');
console.log(rows.join('\n'));
await app.close();
await handle.close();
const mu = process.memoryUsage();
const M = (x) => Math.round(x / 1048576);
console.log(
  `memoryUsage: rss ${M(mu.rss)} heapTotal ${M(mu.heapTotal)} heapUsed ${M(mu.heapUsed)} external ${M(mu.external)} arrayBuffers ${M(mu.arrayBuffers)}`,
);
const v8 = await import('node:v8');
console.log(
  v8
    .getHeapSpaceStatistics()
    .map((s) => `${s.space_name} ${M(s.space_size)}/${M(s.space_used_size)}`)
    .join(', '),
);
const cs = v8.getHeapCodeStatistics();
console.log(
  `code ${M(cs.code_and_metadata_size)} bytecode ${M(cs.bytecode_and_metadata_size)} external script src ${M(cs.external_script_source_size)}`,
);
