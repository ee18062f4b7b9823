import { addDays, addMonthsUtc, weekStart } from './calendar.ts';
import type { LifecycleEvent } from './lifecycle.ts';

/**
 * An LA's account health at a glance (Home, the digest): its accounts by months since they were
 * last active, and what the nightly job will do week by week. Pure: the counts come from the
 * database and the lifecycle preview, the buckets and weeks from here.
 */

/**
 * Bands of months since "inactive since" (R34) for active accounts not warned. A band's lower
 * edge is Admin > Users' "not signed in for at least N months" (inactive since on or before
 * `now` minus N calendar months), so a band's count is what that filter finds minus the next.
 * The last band is open: an account past the first warning's month that is not warned yet (the
 * job warns it on its next run) is counted there rather than dropped, so the six numbers add up
 * to every account of the LA.
 */
export const INACTIVITY_BANDS = [
  { key: 'under-3', fromMonths: 0, label: 'Less than 3 months', short: ['0–3', 'months'] },
  { key: '3-to-6', fromMonths: 3, label: '3 to 6 months', short: ['3–6', 'months'] },
  { key: '6-to-12', fromMonths: 6, label: '6 to 12 months', short: ['6–12', 'months'] },
  { key: '12-or-more', fromMonths: 12, label: '12 months or more, not warned yet', short: ['12+', 'months'] },
] as const;

export type HealthBucketKey = (typeof INACTIVITY_BANDS)[number]['key'] | 'warned' | 'archived';

/** The six buckets in the order the chart and the tables show them. */
export const HEALTH_BUCKETS: readonly { key: HealthBucketKey; label: string; short: readonly string[] }[] = [
  ...INACTIVITY_BANDS,
  // The Warned state of Admin > Users: active, with a warning sent in the current inactivity period.
  { key: 'warned', label: 'Warned (will be archived unless they sign in)', short: ['Warned'] },
  { key: 'archived', label: 'Archived', short: ['Archived'] },
];

/**
 * The instants between the bands, newest first: an active, unwarned account whose inactive-since
 * is after `boundaries[0]` is in the first band, after `boundaries[1]` in the second, and so on.
 */
export function bandBoundaries(now: Date): Date[] {
  return INACTIVITY_BANDS.slice(1).map((b) => addMonthsUtc(now, -b.fromMonths));
}

/** The bucket of one account: archived, else warned, else its inactivity band. */
export function healthBucket(
  account: { status: 'active' | 'archived'; warned: boolean; inactiveSince: Date },
  now: Date,
): HealthBucketKey {
  if (account.status === 'archived') return 'archived';
  if (account.warned) return 'warned';
  const band = bandBoundaries(now).findIndex((b) => account.inactiveSince > b);
  return INACTIVITY_BANDS[band === -1 ? INACTIVITY_BANDS.length - 1 : band]!.key;
}

export interface HealthBucketCount {
  readonly key: HealthBucketKey;
  readonly label: string;
  readonly short: readonly string[];
  readonly count: number;
}

/** Counts by key → the six buckets in order (a bucket nobody is in counts 0). */
export function bucketCounts(counts: Partial<Record<HealthBucketKey, number>>): HealthBucketCount[] {
  return HEALTH_BUCKETS.map((b) => ({ ...b, count: counts[b.key] ?? 0 }));
}

/** The days ahead the weekly chart covers. */
export const HEALTH_DAYS_AHEAD = 90;

export interface LifecycleWeek {
  /** Noon UTC on the Monday (`weekStart`), as the lifecycle preview heads its weeks. */
  readonly start: Date;
  readonly warnings: number;
  readonly archives: number;
  readonly deletions: number;
}

/**
 * The lifecycle preview's events counted by the week they fall in, every week from this one to
 * the one `days` ahead, weeks with nothing included (a chart with gaps would hide them).
 */
export function lifecycleWeeks(
  events: readonly { date: Date; event: Pick<LifecycleEvent, 'kind'> }[],
  now: Date,
  days: number,
  timeZone: string,
): LifecycleWeek[] {
  const weeks = new Map<number, { start: Date; warnings: number; archives: number; deletions: number }>();
  const last = weekStart(addDays(now, days), timeZone).getTime();
  for (let start = weekStart(now, timeZone); start.getTime() <= last; start = nextWeek(start, timeZone))
    weeks.set(start.getTime(), { start, warnings: 0, archives: 0, deletions: 0 });
  for (const e of events) {
    const week = weeks.get(weekStart(e.date, timeZone).getTime());
    // The preview covers exactly these days; an event outside them is not this chart's.
    if (!week) continue;
    if (e.event.kind === 'warn') week.warnings++;
    else if (e.event.kind === 'archive') week.archives++;
    else week.deletions++;
  }
  return [...weeks.values()];
}

/** The Monday after: a week later, by the calendar date where the job runs (clock changes included). */
function nextWeek(start: Date, timeZone: string): Date {
  return weekStart(addDays(start, 7), timeZone);
}

export interface AccountHealth {
  readonly now: Date;
  readonly days: number;
  readonly buckets: readonly HealthBucketCount[];
  readonly weeks: readonly LifecycleWeek[];
}

export function totalAccounts(health: Pick<AccountHealth, 'buckets'>): number {
  return health.buckets.reduce((sum, b) => sum + b.count, 0);
}

export function weekTotal(week: LifecycleWeek): number {
  return week.warnings + week.archives + week.deletions;
}
