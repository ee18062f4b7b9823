import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { addMonthsUtc, wholeMonthsBetween } from '../../src/domain/calendar.ts';

const iso = (d: Date) => d.toISOString().slice(0, 10);

describe('calendar months in UTC (R42)', () => {
  it.each([
    ['2024-05-31', 15, '2025-08-31'],
    ['2022-11-30', 15, '2024-02-29'],
    ['2023-11-30', 15, '2025-02-28'],
    ['2024-02-29', 12, '2025-02-28'],
    ['2024-01-31', 1, '2024-02-29'],
    ['2024-03-31', -1, '2024-02-29'],
    ['2024-12-15', 18, '2026-06-15'],
  ])('%s + %i months = %s', (from, months, expected) => {
    expect(iso(addMonthsUtc(new Date(`${from}T00:00:00Z`), months))).toBe(expected);
  });

  it('keeps the time of day', () => {
    expect(addMonthsUtc(new Date('2024-05-31T23:59:59.500Z'), 1).toISOString()).toBe('2024-06-30T23:59:59.500Z');
  });

  it('counts whole months: the day before the anniversary is one month short', () => {
    const from = new Date('2024-05-31T10:00:00Z');
    expect(wholeMonthsBetween(from, new Date('2025-08-31T10:00:00Z'))).toBe(15);
    expect(wholeMonthsBetween(from, new Date('2025-08-31T09:59:59Z'))).toBe(14);
    expect(wholeMonthsBetween(from, from)).toBe(0);
  });

  it('wholeMonthsBetween is the largest k with from + k months <= to', () => {
    const date = fc.date({
      min: new Date('2000-01-01T00:00:00Z'),
      max: new Date('2040-01-01T00:00:00Z'),
      noInvalidDate: true,
    });
    fc.assert(
      fc.property(date, date, (a, b) => {
        const [from, to] = a <= b ? [a, b] : [b, a];
        const k = wholeMonthsBetween(from, to);
        expect(addMonthsUtc(from, k).getTime()).toBeLessThanOrEqual(to.getTime());
        expect(addMonthsUtc(from, k + 1).getTime()).toBeGreaterThan(to.getTime());
      }),
    );
  });
});
