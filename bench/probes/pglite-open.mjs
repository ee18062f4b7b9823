// node bench/probes/pglite-open.mjs <dir|memory://> '<json options>'
/* global performance, setTimeout */
// Times PGlite.create on an existing dir and one query; RSS after 2 s idle.
import { readFileSync } from 'node:fs';
const rss = () => Math.round(Number(/VmRSS:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))[1]) / 1024);
const t0 = performance.now();
const [{ PGlite }, { citext }] = await Promise.all([
  import('@electric-sql/pglite'),
  import('@electric-sql/pglite/contrib/citext'),
]);
const t1 = performance.now();
const options = JSON.parse(process.argv[3] ?? '{}');
const pg = await PGlite.create(process.argv[2], { extensions: { citext }, ...options });
const t2 = performance.now();
await pg.query('select count(*)::int n from pg_class');
await pg.query("select current_setting('shared_buffers') sb, current_setting('work_mem') wm");
const t3 = performance.now();
const r1 = rss();
await new Promise((r) => setTimeout(r, 2000));
const sb = (await pg.query("select current_setting('shared_buffers') sb, current_setting('wal_buffers') wb")).rows[0];
console.log(
  JSON.stringify({
    opts: process.argv[3] ?? '',
    flags: process.execArgv.join(' '),
    importMs: Math.round(t1 - t0),
    createMs: Math.round(t2 - t1),
    queryMs: Math.round(t3 - t2),
    rssAfterOpen: r1,
    rssIdle: rss(),
    ...sb,
  }),
);
await pg.close();
