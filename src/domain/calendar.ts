/**
 * Calendar-month arithmetic in UTC (R42): adding months keeps the day of the month and clamps it
 * to the last day of a shorter month (31 May + 15 months = 31 Aug; 30 Nov 2022 + 15 = 29 Feb 2024).
 */
export function addMonthsUtc(date: Date, months: number): Date {
  const year = date.getUTCFullYear();
  const month = date.getUTCMonth() + months;
  const lastDay = new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
  return new Date(Date.UTC(year, month, Math.min(date.getUTCDate(), lastDay), date.getUTCHours(), date.getUTCMinutes(), date.getUTCSeconds(), date.getUTCMilliseconds()));
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
