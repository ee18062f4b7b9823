import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Child processes for the benchmark: every one started here is tracked, so that the bench can
 * stop them all on success, on failure and on Ctrl-C. Only processes started here are ever
 * signalled, by pid.
 */

export interface Child {
  readonly name: string;
  readonly pid: number;
  readonly process: ChildProcess;
  /** The last few kilobytes of stdout + stderr, for error messages. */
  output(): string;
  /** Resolves with the exit code (or signal name) once the process has exited. */
  readonly exited: Promise<number | string | null>;
  hasExited(): boolean;
}

const live = new Set<Child>();

export function startChild(
  name: string,
  command: string,
  args: readonly string[],
  options: { cwd: string; env: NodeJS.ProcessEnv },
): Child {
  const child = spawn(command, args, { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
  if (child.pid === undefined) throw new Error(`could not start ${name}`);
  let tail = '';
  const keep = (chunk: Buffer) => {
    tail = (tail + chunk.toString('utf8')).slice(-6000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  let done = false;
  const exited = new Promise<number | string | null>((resolve) => {
    child.once('exit', (code, signal) => {
      done = true;
      resolve(code ?? signal);
    });
    child.once('error', () => {
      done = true;
      resolve('spawn-error');
    });
  });
  const handle: Child = { name, pid: child.pid, process: child, output: () => tail, exited, hasExited: () => done };
  live.add(handle);
  void exited.then(() => live.delete(handle));
  return handle;
}

/** SIGTERM (the server's graceful stop), then SIGKILL if it has not exited within `graceMs`. */
export async function stopChild(child: Child, graceMs = 5000): Promise<void> {
  if (child.hasExited()) return;
  child.process.kill('SIGTERM');
  const timer = sleep(graceMs).then(() => 'timeout' as const);
  if ((await Promise.race([child.exited, timer])) === 'timeout' && !child.hasExited()) {
    child.process.kill('SIGKILL');
    await child.exited;
  }
}

export async function stopAllChildren(): Promise<void> {
  await Promise.all([...live].map((child) => stopChild(child, 3000)));
}

/** Last resort on process exit: synchronous SIGKILL of anything still running. */
export function killAllChildrenNow(): void {
  for (const child of live) {
    if (!child.hasExited()) {
      try {
        child.process.kill('SIGKILL');
      } catch {
        // already gone
      }
    }
  }
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/**
 * Polls `url` until it answers with `status`. Returns performance.now() at the first good answer.
 * Fails when the child exits or `timeoutMs` passes. Bounded: at most timeoutMs / intervalMs polls.
 */
export async function waitForStatus(
  child: Child,
  url: string,
  status = 200,
  options: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<number> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  const intervalMs = options.intervalMs ?? 20;
  const deadline = performance.now() + timeoutMs;
  let last = 'no answer';
  while (performance.now() < deadline) {
    if (child.hasExited()) throw new Error(`${child.name} exited before ${url} answered ${status}:\n${child.output()}`);
    try {
      const response = await fetch(url, { redirect: 'manual', signal: AbortSignal.timeout(2000) });
      await response.arrayBuffer();
      if (response.status === status) return performance.now();
      last = `status ${response.status}`;
    } catch (error) {
      last =
        error instanceof Error ? (error.cause instanceof Error ? error.cause.message : error.message) : String(error);
    }
    await sleep(intervalMs);
  }
  throw new Error(
    `${child.name}: ${url} did not answer ${status} within ${timeoutMs} ms (last: ${last}):\n${child.output()}`,
  );
}

export interface Memory {
  /** Resident set size now, KiB. */
  rssKiB: number;
  /** Peak resident set size, KiB. */
  hwmKiB: number;
}

export function memoryOf(pid: number): Memory {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name: string) => {
    const match = new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status);
    if (!match) throw new Error(`no ${name} in /proc/${pid}/status`);
    return Number(match[1]);
  };
  return { rssKiB: field('VmRSS'), hwmKiB: field('VmHWM') };
}

/** User + system CPU time a process has used so far, in milliseconds (from /proc/<pid>/stat). */
export function cpuMsOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may contain spaces) start at field 3; utime is 14, stime 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  return ticks * (1000 / CLOCK_TICKS_PER_SECOND);
}

/** USER_HZ: 100 on every mainstream Linux build. */
const CLOCK_TICKS_PER_SECOND = 100;
