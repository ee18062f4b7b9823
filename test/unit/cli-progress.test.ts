import { afterEach, describe, expect, it, vi } from 'vitest';
import { importProgress } from '../../src/cli/output.ts';

/** A long import's progress on the command line (issue 13, item 10): on a terminal's standard error only. */

function recorder(isTTY: boolean) {
  const written: string[] = [];
  return { stream: { isTTY, write: (text: string) => written.push(text) }, written };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('import progress', () => {
  it('says nothing when standard error is not a terminal (scripts, pipes, tests)', () => {
    vi.useFakeTimers();
    const { stream, written } = recorder(false);
    const progress = importProgress('Importing schools', { stream });
    progress.report({ stage: 'read', rows: 51_234 });
    vi.advanceTimersByTime(5_000);
    progress.report({ stage: 'written', rows: 5_000, of: 50_000 });
    progress.done();
    expect(written).toEqual([]);
  });

  it('rewrites one status line with rows read, then rows written of how many, and the seconds taken', () => {
    let now = 1_000_000;
    const { stream, written } = recorder(true);
    const progress = importProgress('Importing schools', { stream, now: () => now });
    now += 1_500;
    progress.report({ stage: 'read', rows: 51_234 });
    now += 1_000;
    progress.report({ stage: 'written', rows: 5_000, of: 50_123 });
    now += 2_000;
    progress.report({ stage: 'written', rows: 50_123, of: 50_123 });
    progress.done();
    expect(written).toEqual([
      '\r\x1b[2KImporting schools: reading the file (0 s)',
      '\r\x1b[2KImporting schools: 51,234 rows read, writing (1 s)',
      '\r\x1b[2KImporting schools: 51,234 rows read, 5,000 of 50,123 written (2 s)',
      '\r\x1b[2KImporting schools: 51,234 rows read, 50,123 of 50,123 written (4 s)',
      '\r\x1b[2KImporting schools: 51,234 rows read, 50,123 of 50,123 written (4 s)',
      '\n',
    ]);
  });

  it('shows the time going by every second while a step runs, and stops when done', () => {
    vi.useFakeTimers();
    let now = 0;
    const { stream, written } = recorder(true);
    const progress = importProgress('Importing accounts', { stream, now: () => now });
    progress.report({ stage: 'read', rows: 1 });
    for (let s = 1; s <= 3; s++) {
      now = s * 1000;
      vi.advanceTimersByTime(1000);
    }
    expect(written.slice(-3)).toEqual([
      '\r\x1b[2KImporting accounts: 1 row read, writing (1 s)',
      '\r\x1b[2KImporting accounts: 1 row read, writing (2 s)',
      '\r\x1b[2KImporting accounts: 1 row read, writing (3 s)',
    ]);
    progress.done();
    const after = written.length;
    vi.advanceTimersByTime(5000);
    expect(written).toHaveLength(after);
    expect(written.at(-1)).toBe('\n');
  });
});
