import { addMonthsUtc } from '../domain/calendar.ts';
import type { DemoArchiveReason, DemoRetention } from './demo-model.ts';
import type { Random } from './random.ts';

/**
 * The demo's dates: every one relative to `now`, whole seconds, calendar months in UTC clamped
 * to the month's last day (R42).
 */

export const DAY_MS = 86_400_000;

export const DEFAULT_RETENTION: DemoRetention = { manualDays: 30, automaticMonths: 18 };

/** Retention end of an archive (R33). */
export function deletionDueFor(
  reason: DemoArchiveReason,
  archivedAt: Date,
  retention: DemoRetention = DEFAULT_RETENTION,
): Date {
  return reason === 'manual'
    ? new Date(archivedAt.getTime() + retention.manualDays * DAY_MS)
    : addMonthsUtc(archivedAt, retention.automaticMonths);
}

export function toSeconds(date: Date): Date {
  return new Date(Math.floor(date.getTime() / 1000) * 1000);
}

/** YYYY-MM-DD (UTC). */
export function isoDate(date: Date): string {
  return date.toISOString().slice(0, 10);
}

/** The latest of the dates given (nulls ignored). */
export function latest(...dates: (Date | null)[]): Date {
  return new Date(Math.max(...dates.filter((d): d is Date => d !== null).map((d) => d.getTime())));
}

/** Dates relative to the demo's `now` (`at`, whole seconds); `between` draws from the generator's PRNG. */
export interface DemoTime {
  readonly at: Date;
  /** `months` calendar months before `at`; a fraction goes that far into the month before. */
  readonly monthsAgo: (months: number) => Date;
  readonly daysAgo: (days: number) => Date;
  /** A time drawn between the two (`from` when `to` is not after it). */
  readonly between: (from: Date, to: Date) => Date;
}

export function demoTime(at: Date, rng: Random): DemoTime {
  return {
    at,
    monthsAgo: (months) => {
      const whole = Math.floor(months);
      const hi = addMonthsUtc(at, -whole).getTime();
      const lo = addMonthsUtc(at, -(whole + 1)).getTime();
      return toSeconds(new Date(hi - (months - whole) * (hi - lo)));
    },
    daysAgo: (days) => toSeconds(new Date(at.getTime() - days * DAY_MS)),
    between: (from, to) =>
      toSeconds(new Date(from.getTime() + rng.float() * Math.max(0, to.getTime() - from.getTime()))),
  };
}
