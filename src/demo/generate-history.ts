import { addMonthsUtc } from '../domain/calendar.ts';
import type { Activity } from './data/account-mix.ts';
import { DAY_MS, isoDate, toSeconds, type DemoTime } from './demo-dates.ts';
import type { DemoArchiveReason } from './demo-model.ts';
import type { Random } from './random.ts';

/** A generated account's history up to `now`, as the generator drew it for its activity. */
export interface DrawnHistory {
  createdAt: Date;
  lastSignInAt: Date | null;
  restoredAt: Date | null;
  archivedAt: Date | null;
  archiveReason: DemoArchiveReason | null;
  /** YYYY-MM-DD */
  accessEndDate: string | null;
}

/**
 * Turns an activity (data/account-mix.ts) into the dates of a generated account: created, last
 * signed in, restored, archived and why, access end date. Draws from the generator's PRNG in a
 * fixed order. A manual archive's archiver is drawn by the caller, right after.
 */
export function drawHistory(activity: Activity, rng: Random, time: DemoTime): DrawnHistory {
  const { at, monthsAgo, daysAgo, between } = time;
  let lastSignInAt: Date | null = null;
  let createdAt: Date;
  let restoredAt: Date | null = null;
  let archivedAt: Date | null = null;
  let archiveReason: DemoArchiveReason | null = null;
  let accessEndDate: string | null = null;

  const createdBefore = (date: Date): Date => between(monthsAgo(48), date);
  const createdForAge = (age: number): Date => monthsAgo(Math.max(age, 1) + rng.float() * (48 - Math.max(age, 1)));

  switch (activity) {
    case 'recent': {
      const age = 12 * rng.float() ** 2;
      lastSignInAt = monthsAgo(age);
      createdAt = createdForAge(age);
      break;
    }
    case 'dormant':
    case 'warned':
    case 'overdue': {
      const [lo, hi] = activity === 'dormant' ? [12, 15] : activity === 'warned' ? [15, 18] : [18, 40];
      const age = rng.between(lo, hi);
      const never = activity !== 'dormant' && rng.chance(0.12);
      if (never) {
        createdAt = monthsAgo(age);
      } else {
        lastSignInAt = monthsAgo(age);
        createdAt = createdForAge(age);
      }
      break;
    }
    case 'due-this-week':
    case 'archive-this-week': {
      const [months, days] = activity === 'due-this-week' ? [15, 3] : [18, 4];
      lastSignInAt = toSeconds(new Date(addMonthsUtc(at, -months).getTime() + days * DAY_MS));
      createdAt = createdBefore(lastSignInAt);
      break;
    }
    case 'access-ends-this-month': {
      lastSignInAt = daysAgo(rng.between(1, 30));
      createdAt = createdBefore(lastSignInAt);
      // Later this month; ten days ahead when the month is about to end.
      const lastOfMonth = new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth() + 1, 0));
      const daysLeft = Math.floor((lastOfMonth.getTime() - at.getTime()) / DAY_MS);
      accessEndDate = isoDate(
        daysLeft >= 3 ? new Date(at.getTime() + Math.min(10, daysLeft) * DAY_MS) : new Date(at.getTime() + 10 * DAY_MS),
      );
      break;
    }
    case 'never': {
      // A quarter are new (invitation pending); the rest were invited and never came.
      createdAt = rng.chance(0.25) ? daysAgo(rng.between(0.2, 30)) : monthsAgo(rng.between(1, 15));
      break;
    }
    case 'restored': {
      lastSignInAt = monthsAgo(rng.between(20, 26));
      createdAt = createdBefore(lastSignInAt);
      // Archived for inactivity 18 months after that sign-in (2–8 months ago), restored since.
      restoredAt = monthsAgo(rng.between(0.5, 1.8));
      break;
    }
    case 'archived-inactivity': {
      archivedAt = monthsAgo(rng.between(0.1, 18.4));
      const inactiveSince = toSeconds(new Date(addMonthsUtc(archivedAt, -18).getTime() - rng.between(14, 25) * DAY_MS));
      if (rng.chance(0.2)) {
        createdAt = inactiveSince;
      } else {
        lastSignInAt = inactiveSince;
        createdAt = createdBefore(inactiveSince);
      }
      archiveReason = 'inactivity';
      break;
    }
    case 'archived-manual': {
      archivedAt = daysAgo(rng.between(2, 36));
      lastSignInAt = toSeconds(new Date(archivedAt.getTime() - rng.between(0, 20 * 30) * DAY_MS));
      createdAt = createdBefore(lastSignInAt);
      archiveReason = 'manual';
      break;
    }
    case 'archived-access-ended': {
      const day = monthsAgo(rng.between(0.1, 17.9));
      archivedAt = new Date(Date.UTC(day.getUTCFullYear(), day.getUTCMonth(), day.getUTCDate(), 2, 0, 0));
      if (archivedAt > at) archivedAt = new Date(archivedAt.getTime() - DAY_MS);
      accessEndDate = isoDate(archivedAt);
      lastSignInAt = toSeconds(new Date(archivedAt.getTime() - rng.between(1, 200) * DAY_MS));
      createdAt = createdBefore(lastSignInAt);
      archiveReason = 'access-ended';
      break;
    }
    case 'archived-provisioning': {
      archivedAt = monthsAgo(rng.between(0.1, 17.9));
      lastSignInAt = toSeconds(new Date(archivedAt.getTime() - rng.between(1, 120) * DAY_MS));
      createdAt = createdBefore(lastSignInAt);
      archiveReason = 'provisioning';
      break;
    }
  }
  return { createdAt, lastSignInAt, restoredAt, archivedAt, archiveReason, accessEndDate };
}
