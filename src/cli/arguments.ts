import { systemClock } from '../domain/clock.ts';
import { ValidationError } from '../domain/errors.ts';

/** The command line's option values, checked before anything is opened: a bad value is one line, exit 2. */

const ISO_8601 =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}(?::?\d{2})?)?)?$/i;

/**
 * `--now`: an ISO 8601 date (midnight UTC) or date and time; a time without an offset is UTC,
 * like every date the lifecycle policy works in (R42). Impossible dates (31 February) are refused.
 */
export function parseNow(raw: string | undefined, fallback: () => Date = () => systemClock.now()): Date {
  if (raw === undefined) return fallback();
  const invalid = () =>
    new ValidationError({
      now: `--now must be a date or a date and time in ISO 8601, such as 2026-03-01 or 2026-03-01T02:00:00Z; got "${raw}"`,
    });
  const match = ISO_8601.exec(raw.trim());
  if (!match) throw invalid();
  const [, y, mo, d, h = '0', mi = '0', sec = '0', fraction = '0', zone = 'Z'] = match;
  const [year, month, day, hour, minute, second] = [y, mo, d, h, mi, sec].map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const lastDay = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (month < 1 || month > 12 || day < 1 || day > lastDay || hour > 23 || minute > 59 || second > 59) throw invalid();
  let offsetMinutes = 0;
  if (zone.toUpperCase() !== 'Z') {
    const digits = zone.slice(1).replace(':', '');
    const hours = Number(digits.slice(0, 2));
    const minutes = Number(digits.slice(2) || '0');
    if (hours > 14 || minutes > 59) throw invalid();
    offsetMinutes = (zone.startsWith('-') ? -1 : 1) * (hours * 60 + minutes);
  }
  const ms = Number(fraction.slice(0, 3).padEnd(3, '0'));
  return new Date(Date.UTC(year, month - 1, day, hour, minute, second, ms) - offsetMinutes * 60_000);
}

/** `--days`: a whole number of days from 1 to 366. */
export function parseDays(raw: string | undefined, fallback = 30): number {
  if (raw === undefined) return fallback;
  const days = /^\s*\d{1,4}\s*$/.test(raw) ? Number(raw) : NaN;
  if (!(days >= 1 && days <= 366))
    throw new ValidationError({ days: `--days must be a whole number of days from 1 to 366; got "${raw}"` });
  return days;
}

/** `--la`: a three-digit DfE Local Authority code. */
export function laCode(raw: string): string {
  if (!/^[0-9]{3}$/.test(raw.trim()))
    throw new ValidationError({
      la: `"${raw}" is not a Local Authority code: give the three-digit DfE code, e.g. 202.`,
    });
  return raw.trim();
}
