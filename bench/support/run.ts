import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { killAllChildrenNow, stopAllChildren } from './processes.ts';

/** The repository: children start here and git is asked here, whatever the caller's working directory. */
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** A bad value must stop the bench before it runs for minutes with a nonsense setting. */
export function setting(name: string, fallback: number): number {
  const raw = process.env[name];
  const value = raw === undefined || raw === '' ? fallback : Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number`);
  return value;
}

/** Timestamped, so that a slow phase on the shared machine shows in the output. */
export const log = (message: string) => console.log(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}`);

const cleanups: Array<() => Promise<void>> = [];
let cleaning: Promise<void> | undefined;

/** Runs in reverse order at the end, after the children have stopped (a database cannot be dropped while they use it). */
export function atCleanUp(task: () => Promise<void>): void {
  cleanups.push(task);
}

function cleanUp(): Promise<void> {
  // Once only: Ctrl-C can arrive while the normal end is already cleaning up.
  cleaning ??= (async () => {
    await stopAllChildren();
    for (const task of cleanups.reverse()) {
      await task().catch((error: unknown) =>
        console.error('clean-up:', error instanceof Error ? error.message : error),
      );
    }
  })();
  return cleaning;
}

/** A temporary directory, removed at the end however the bench ends. */
export async function scratchDir(prefix: string): Promise<string> {
  const scratch = await mkdtemp(path.join(os.tmpdir(), prefix));
  atCleanUp(() => rm(scratch, { recursive: true, force: true }));
  return scratch;
}

/**
 * Runs the bench so that no server child and no scratch database outlives it: on success, on
 * failure, on Ctrl-C and on SIGTERM; an abrupt exit still kills the children, synchronously.
 */
export async function runBench(main: () => Promise<void>): Promise<void> {
  process.on('exit', killAllChildrenNow);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      console.error(`\n${signal}: stopping the bench's child processes and cleaning up…`);
      void cleanUp().finally(() => process.exit(130));
    });
  }
  try {
    await main();
  } catch (error) {
    console.error(error);
    process.exitCode = 1;
  } finally {
    await cleanUp();
  }
}
