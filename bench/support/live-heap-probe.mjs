// Loaded into the measured server with `node --expose-gc --import <this file>` by bench:admin-list.
// For a request that carries `x-bench-live-heap: 1` only, it collects all garbage every 20 ms while
// the response is being written and keeps the largest heap then in use: the memory the request
// really holds, which the resident size cannot show (V8 lets garbage pile up before it collects).
// When the response closes it appends one JSON line to BENCH_LIVE_HEAP_OUT. Other requests are
// untouched (one header lookup), so the timed pages and exports measure the server as it runs.
/* global setInterval, clearInterval */
import http from 'node:http';
import fs from 'node:fs';
import process from 'node:process';

const out = process.env.BENCH_LIVE_HEAP_OUT;
const SAMPLE_MS = 20;
const emit = http.Server.prototype.emit;

http.Server.prototype.emit = function (event, request, response) {
  if (
    event === 'request' &&
    out &&
    typeof globalThis.gc === 'function' &&
    request.headers['x-bench-live-heap'] === '1'
  ) {
    globalThis.gc();
    const before = process.memoryUsage();
    let heapPeak = before.heapUsed;
    let externalPeak = before.external;
    let rssPeak = before.rss;
    let samples = 0;
    const timer = setInterval(() => {
      globalThis.gc();
      const now = process.memoryUsage();
      samples++;
      heapPeak = Math.max(heapPeak, now.heapUsed);
      externalPeak = Math.max(externalPeak, now.external);
      rssPeak = Math.max(rssPeak, now.rss);
    }, SAMPLE_MS);
    response.on('close', () => {
      clearInterval(timer);
      globalThis.gc();
      const after = process.memoryUsage();
      const line = {
        url: request.url,
        samples,
        heapBefore: before.heapUsed,
        heapPeak,
        heapAfter: after.heapUsed,
        externalBefore: before.external,
        externalPeak,
        rssBefore: before.rss,
        rssPeak,
      };
      fs.appendFileSync(out, `${JSON.stringify(line)}\n`);
    });
  }
  return emit.apply(this, arguments);
};
