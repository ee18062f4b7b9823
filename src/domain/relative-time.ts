import { wholeMonthsBetween } from './calendar.ts';

/** "4 months ago", "less than a month ago", "never" (R20), in calendar months (R42). */
export function monthsAgo(date: Date | null, now: Date): string {
  if (!date) return 'never';
  if (date > now) return 'in the future';
  const months = wholeMonthsBetween(date, now);
  if (months === 0) return 'less than a month ago';
  return months === 1 ? '1 month ago' : `${months} months ago`;
}
