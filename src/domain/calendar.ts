/**
 * Calendar-month arithmetic in UTC (R42): adding months keeps the day of the month and clamps it
 * to the last day of a shorter month (31 May + 15 months = 31 Aug; 30 Nov 2022 + 15 = 29 Feb 2024).
 */
export function addMonthsUtc(date: Date, months: number): Date {
  const year = date.getUTCFullYear();
  const month = date.getUTCMonth() + months;
  const lastDay = new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
  return new Date(
    Date.UTC(
      year,
      month,
      Math.min(date.getUTCDate(), lastDay),
      date.getUTCHours(),
      date.getUTCMinutes(),
      date.getUTCSeconds(),
      date.getUTCMilliseconds(),
    ),
  );
}

/** Whole calendar months from `from` to `to` (the largest k with from + k months <= to). */
export function wholeMonthsBetween(from: Date, to: Date): number {
  let k = (to.getUTCFullYear() - from.getUTCFullYear()) * 12 + (to.getUTCMonth() - from.getUTCMonth()) + 1;
  while (k > 0 && addMonthsUtc(from, k) > to) k--;
  while (addMonthsUtc(from, k + 1) <= to) k++;
  return k;
}

export function addDays(date: Date, days: number): Date {
  return new Date(date.getTime() + days * 86_400_000);
}

/** A real calendar date written YYYY-MM-DD (2027-02-30 is refused), else undefined. */
export function parseDateOnly(value: string): string | undefined {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) return undefined;
  const date = new Date(`${value}T00:00:00Z`);
  return Number.isNaN(date.getTime()) || date.toISOString().slice(0, 10) !== value ? undefined : value;
}

/** The offset of `timeZone` from UTC at `instant`, in milliseconds (Europe/London in July: +3,600,000). */
function zoneOffsetMs(instant: Date, timeZone: string): number {
  const parts = zonedParts(instant, timeZone);
  const asUtc = Date.UTC(parts.year, parts.month - 1, parts.day, parts.hour, parts.minute, parts.second);
  return asUtc - Math.floor(instant.getTime() / 1000) * 1000;
}

const PART_FORMATS = new Map<string, Intl.DateTimeFormat>();

function zonedParts(instant: Date, timeZone: string) {
  let format = PART_FORMATS.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-GB', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    PART_FORMATS.set(timeZone, format);
  }
  const parts = format.formatToParts(instant);
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value ?? '0');
  return {
    year: get('year'),
    month: get('month'),
    day: get('day'),
    hour: get('hour'),
    minute: get('minute'),
    second: get('second'),
  };
}

/** The calendar date (YYYY-MM-DD) of an instant in `timeZone`. */
export function dateIn(instant: Date, timeZone: string): string {
  const p = zonedParts(instant, timeZone);
  return `${String(p.year).padStart(4, '0')}-${String(p.month).padStart(2, '0')}-${String(p.day).padStart(2, '0')}`;
}

/** The instant a calendar date (YYYY-MM-DD) begins in `timeZone`: 2026-07-01 in Europe/London is 2026-06-30T23:00Z. */
export function startOfDayIn(date: string, timeZone: string): Date {
  const midnightUtc = Date.parse(`${date}T00:00:00Z`);
  // Two passes: the offset at the guess can differ from the offset at the answer across a clock change.
  let guess = midnightUtc - zoneOffsetMs(new Date(midnightUtc), timeZone);
  guess = midnightUtc - zoneOffsetMs(new Date(guess), timeZone);
  return new Date(guess);
}

/**
 * Noon (UTC) on the Monday of the week of `instant` where the job runs: the week a lifecycle event
 * is listed under, on the preview and in the charts alike (noon reads as that Monday in any zone).
 */
export function weekStart(instant: Date, timeZone: string): Date {
  const d = new Date(`${dateIn(instant, timeZone)}T12:00:00Z`);
  d.setUTCDate(d.getUTCDate() - ((d.getUTCDay() + 6) % 7));
  return d;
}
