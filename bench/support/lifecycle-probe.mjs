/**
 * Preloaded into the real command measured by `npm run bench:lifecycle`
 * (`node --import bench/support/lifecycle-probe.mjs bin/nexus-accounts.js lifecycle run --now …`):
 * when the process exits it writes its peak RSS (VmHWM), its RSS, its JavaScript heap, the memory
 * outside the heap (Buffers, PGlite's WebAssembly memory) and its CPU to the file named by
 * BENCH_PROBE_RESULT, as JSON. It loads nothing else and changes nothing the command does.
 *
 * Plain JavaScript: it runs before anything is compiled, like bin/nexus-accounts.js.
 */
import { readFileSync, writeFileSync } from 'node:fs';

const file = process.env.BENCH_PROBE_RESULT;
if (file) {
  process.once('exit', () => {
    const status = readFileSync('/proc/self/status', 'utf8');
    const field = (name) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
    const usage = process.memoryUsage();
    const cpu = process.cpuUsage();
    writeFileSync(
      file,
      JSON.stringify({
        hwmKiB: field('VmHWM'),
        rssAfterKiB: field('VmRSS'),
        heapUsedKiB: usage.heapUsed / 1024,
        externalKiB: usage.external / 1024,
        cpuMs: (cpu.user + cpu.system) / 1000,
      }),
    );
  });
}
