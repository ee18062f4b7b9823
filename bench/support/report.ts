import { execFileSync } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { log, ROOT } from './run.ts';
import { fmt } from './stats.ts';

const README = path.join(ROOT, 'bench', 'README.md');

/** Figures from a small shared machine mean little without saying which machine. */
export function machine(): string {
  const cpus = os.cpus();
  return (
    `${cpus.length} × ${cpus[0]?.model.trim() ?? 'unknown CPU'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB RAM, ` +
    `Linux ${os.release()}, Node ${process.version}`
  );
}

/** The code measured: the commit, and whether src/ had uncommitted changes at the time. */
export function codeVersion(): string {
  try {
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
    const changed = execFileSync('git', ['status', '--porcelain', '--', 'src', 'bin', 'scripts'], {
      cwd: ROOT,
      encoding: 'utf8',
    })
      .split('\n')
      .filter(Boolean).length;
    return changed ? `commit ${head} + ${changed} uncommitted change(s) in src/, bin/, scripts/` : `commit ${head}`;
  } catch {
    return 'unknown commit (no git)';
  }
}

interface RunStart {
  begun: number;
  date: string;
  loadBefore: number[];
  code: string;
}

export interface RunMeta {
  date: string;
  machine: string;
  code: string;
  loadBefore: number[];
  loadAfter: number[];
  totalSeconds: number;
  /** Notes for the reader on what could not be measured (no PostgreSQL server, say). */
  skipped: string[];
}

/** Taken before the bench adds load of its own: the load average then says how busy the shared machine already was. */
export function beginRun(): RunStart {
  const begun = performance.now();
  const date = new Date().toISOString().slice(0, 16).replace('T', ' ') + ' UTC';
  const loadBefore = os.loadavg();
  const code = codeVersion();
  log(`${machine()}; load average ${loadBefore.map((l) => l.toFixed(2)).join(' ')}`);
  return { begun, date, loadBefore, code };
}

export function endRun(start: RunStart, skipped: string[]): RunMeta {
  return {
    date: start.date,
    machine: machine(),
    code: start.code,
    loadBefore: start.loadBefore,
    loadAfter: os.loadavg(),
    totalSeconds: (performance.now() - start.begun) / 1000,
    skipped,
  };
}

/** The first line of every results section: enough to judge how far the figures can be trusted. */
export function runLine(meta: RunMeta): string {
  return (
    `Run ${meta.date} on ${meta.machine}; ${meta.code}; load average ${meta.loadBefore.map((l) => l.toFixed(2)).join(' ')} before, ` +
    `${meta.loadAfter.map((l) => l.toFixed(2)).join(' ')} after; whole bench ${fmt(meta.totalSeconds, 0)} s.`
  );
}

/**
 * Prints the results and, unless BENCH_WRITE_README=0, puts them into bench/README.md between the
 * markers of `npm run <script>`: the prose around each section is written by hand and must survive a
 * re-run. A README without the markers gets the section appended under `heading`.
 */
export async function publish(script: string, heading: string, block: string): Promise<void> {
  console.log(`\n${block}\n`);
  if (process.env.BENCH_WRITE_README === '0') return;
  const startMark = `<!-- ${script} results (written by \`npm run ${script}\`) -->`;
  const endMark = `<!-- /${script} results -->`;
  let text: string;
  try {
    text = await readFile(README, 'utf8');
  } catch {
    text = '# Benchmarks\n';
  }
  const start = text.indexOf(startMark);
  const end = text.indexOf(endMark);
  const replacement = `${startMark}\n${block}\n${endMark}`;
  text =
    start >= 0 && end > start
      ? text.slice(0, start) + replacement + text.slice(end + endMark.length)
      : `${text.trimEnd()}\n\n## ${heading}\n\n${replacement}\n`;
  await writeFile(README, text);
  log(`written into ${path.relative(process.cwd(), README) || README}`);
}
