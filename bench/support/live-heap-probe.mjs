// Loaded into the measured server with `node --expose-gc --import <this file>` by bench:admin-list.
// For a request that carries `x-bench-live-heap: 1` only, it collects all garbage every 20 ms while
// the response is being written, and as chunks are written, and keeps the largest heap then in
// use: the memory the request really holds, which the resident size cannot show (V8 lets garbage
// pile up before it collects). When the response closes it appends one JSON line to
// BENCH_LIVE_HEAP_OUT. Other requests are untouched (one header lookup), so the timed pages and
// exports measure the server as it runs.
/* global setInterval, clearInterval, performance */
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
    let last = 0;
    const sample = () => {
      globalThis.gc();
      const now = process.memoryUsage();
      samples++;
      last = performance.now();
      heapPeak = Math.max(heapPeak, now.heapUsed);
      externalPeak = Math.max(externalPeak, now.external);
      rssPeak = Math.max(rssPeak, now.rss);
    };
    // Between writes (a batch being read), and as chunks are written: the first few always, so
    // that a download shorter than one interval is measured too, then at most once an interval.
    const timer = setInterval(sample, SAMPLE_MS);
    const write = response.write;
    let writes = 0;
    response.write = function (...args) {
      const written = write.apply(this, args);
      if (++writes <= 3 || performance.now() - last >= SAMPLE_MS) sample();
      return written;
    };
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
