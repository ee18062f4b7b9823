#!/usr/bin/env node
// Runs the command line as JavaScript compiled ahead of time into dist/js (scripts/build-code.mjs):
// the compile runs first only when a source file changed since the last one (checked by content,
// a few milliseconds), so a fresh clone, a pull or an edit needs nothing more than this command.
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import v8 from 'node:v8';
import { ensureBuilt } from '../scripts/build-code.mjs';

// Loading the modules and opening the database keep most of what they allocate, which makes V8
// grow its young generation to its 2 × 16 MB maximum during start-up and keep it: a quarter of
// the idle server's memory. It is held at its initial size while the server starts, and may grow
// again afterwards when the load calls for it (V8's default factor 2). Not when the operator
// chose young-generation settings of their own.
const ownYoungGeneration = [...process.execArgv, process.env.NODE_OPTIONS ?? ''].some((arg) =>
  arg.includes('semi-space'),
);
const longRunning = ['serve', 'worker'].includes(process.argv[2] ?? '');
if (longRunning && !ownYoungGeneration) v8.setFlagsFromString('--semi-space-growth-factor=1');
// Every command on the embedded database: V8 compiles PGlite's 9 MB WebAssembly module with its
// baseline compiler and then recompiles the busy functions with its optimising one on background
// threads. For `lifecycle`, a batch job, that compiler's memory stays resident — about 60 MiB of
// its peak RSS for about 10% more CPU (bench/README.md, lifecycle job) — and `serve` runs the same
// job nightly. For the short commands (`clients list`, `create-admin`, an import) the optimised code
// is never used long enough to pay for itself: `clients list` took 1.3 CPU-s with it, 0.8 without.
// No effect on PostgreSQL (no WebAssembly), nor when the operator chose WebAssembly tiering flags.
const ownFlags = (pattern) => [...process.execArgv, process.env.NODE_OPTIONS ?? ''].some((arg) => pattern.test(arg));
const embedded = !process.env.DATABASE_URL;
const embeddedServe = process.argv[2] === 'serve' && embedded;
if (embedded && !ownFlags(/liftoff|wasm-tier/)) v8.setFlagsFromString('--liftoff-only');
// The embedded server's nightly job allocates fast for seconds on end (10,000 emails rendered):
// V8 then lets the old generation grow to up to 4× what survived its last full collection before
// collecting again, about 150 MiB of garbage on top of the idle server. Grown by a quarter
// instead, the night's peak stays under 300 MB (bench/README.md, lifecycle job in `serve`).
if (embeddedServe && !ownFlags(/heap-growing|optimize-for-size/)) v8.setFlagsFromString('--heap-growing-percent=25');

let outDir;
try {
  outDir = await ensureBuilt();
} catch (error) {
  console.error(
    `nexus-accounts: the TypeScript sources could not be compiled: ${error instanceof Error ? error.message : error}`,
  );
  process.exit(1);
}
const { main } = await import(pathToFileURL(path.join(outDir, 'src', 'cli.js')).href);
await main(process.argv);
if (longRunning && !ownYoungGeneration) v8.setFlagsFromString('--semi-space-growth-factor=2');
