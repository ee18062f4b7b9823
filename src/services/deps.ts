import type { Config } from '../config.ts';
import type { Db } from '../data/database.ts';
import type { Clock } from '../domain/clock.ts';
import type { LifecycleSchedule } from './lifecycle/schedule.ts';
import type { SecretBox } from './sign-in/secrets.ts';

/** What every service is built from; assembled once in services/index.ts. */
export interface ServiceDeps {
  readonly db: Db;
  readonly clock: Clock;
  readonly config: Config;
  readonly secretBox: SecretBox;
  /** The lifecycle's one schedule: every lifecycle date and every stored next-event time comes from it. */
  readonly schedule: LifecycleSchedule;
}

export function mailDomain(config: Config): string {
  try {
    return new URL(config.baseUrl).hostname || 'nexus.invalid';
  } catch {
    return 'nexus.invalid';
  }
}

/** Dates are shown where the nightly job runs (LIFECYCLE_TIMEZONE), so a run's date reads as that run's day. */
export const DEFAULT_TIME_ZONE = 'Europe/London';

const FORMATS = new Map<string, { date: Intl.DateTimeFormat; dateTime: Intl.DateTimeFormat }>();

function formats(timeZone: string) {
  let f = FORMATS.get(timeZone);
  if (!f) {
    f = {
      date: new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'long', year: 'numeric', timeZone }),
      dateTime: new Intl.DateTimeFormat('en-GB', {
        day: 'numeric',
        month: 'long',
        year: 'numeric',
        hour: 'numeric',
        minute: '2-digit',
        // en-GB's 12-hour clock counts 0–11 (h11: "0:15am"); GOV.UK style says "12:15am".
        hourCycle: 'h12',
        timeZone,
      }),
    };
    FORMATS.set(timeZone, f);
  }
  return f;
}

/** "12 March 2027", as DESIGN.md asks. */
export function formatDate(date: Date, timeZone = DEFAULT_TIME_ZONE): string {
  return formats(timeZone).date.format(date);
}

/** "12 March 2027 at 4:05pm". */
export function formatDateTime(date: Date, timeZone = DEFAULT_TIME_ZONE): string {
  const parts = formats(timeZone).dateTime.formatToParts(date);
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  return `${get('day')} ${get('month')} ${get('year')} at ${get('hour')}:${get('minute')}${get('dayPeriod').toLowerCase().replace(/\s/g, '')}`;
}
