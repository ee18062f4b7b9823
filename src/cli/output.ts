import type { ImportProgressEvent } from '../services/imports/import-progress.ts';

/** What the commands print: plain columns and counted nouns, and a long import's progress. */

/** Plain columns, padded to the widest cell. */
export function table(headers: readonly string[], rows: readonly (readonly string[])[], indent = ''): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    indent + cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ');
  return [line(headers), ...rows.map(line)].join('\n');
}

/** "1 account", "3 accounts". */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** Where progress is written: standard error, or a stand-in in tests. */
export interface ProgressStream {
  readonly isTTY?: boolean;
  write(text: string): unknown;
}

/** "1 row", "51,234 rows". */
const rows = (n: number) => `${n.toLocaleString('en-GB')} ${n === 1 ? 'row' : 'rows'}`;

/**
 * A long import's progress on standard error, only when that is a terminal (a person watching):
 * one status line rewritten in place — rows read, then rows written of how many — and the
 * seconds elapsed, every second while a step runs. Piped or redirected, nothing at all, so that
 * scripts and logs see exactly what they saw before; standard output is never touched.
 */
export function importProgress(
  label: string,
  options: { stream?: ProgressStream; now?: () => number; intervalMs?: number } = {},
) {
  const stream = options.stream ?? process.stderr;
  const enabled = stream.isTTY === true;
  const now = options.now ?? Date.now;
  const started = now();
  let status = `${label}: reading the file`;
  let timer: NodeJS.Timeout | undefined;
  const show = () => {
    if (enabled) stream.write(`\r\x1b[2K${status} (${Math.floor((now() - started) / 1000)} s)`);
  };
  if (enabled) {
    show();
    timer = setInterval(show, options.intervalMs ?? 1000);
    timer.unref();
  }
  let read: number | undefined;
  return {
    report: (event: ImportProgressEvent): void => {
      if (event.stage === 'read') {
        read = event.rows;
        status = `${label}: ${rows(event.rows)} read, writing`;
      } else {
        status =
          `${label}: ${read === undefined ? '' : `${rows(read)} read, `}` +
          `${event.rows.toLocaleString('en-GB')} of ${event.of.toLocaleString('en-GB')} written`;
      }
      show();
    },
    /** Once, whatever happened: stops the clock and ends the status line (kept, for the record). */
    done: (): void => {
      clearInterval(timer);
      if (!enabled) return;
      show();
      stream.write('\n');
    },
  };
}
