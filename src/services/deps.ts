import type { Config } from '../config.ts';
import type { Db } from '../data/database.ts';
import type { Clock } from '../domain/clock.ts';
import type { SecretBox } from './secrets.ts';

/** What every service is built from; assembled once in services/index.ts. */
export interface ServiceDeps {
  readonly db: Db;
  readonly clock: Clock;
  readonly config: Config;
  readonly secretBox: SecretBox;
}

export function mailDomain(config: Config): string {
  try {
    return new URL(config.baseUrl).hostname || 'nexus.invalid';
  } catch {
    return 'nexus.invalid';
  }
}

const DATE = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'Europe/London' });
const DATE_TIME = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'long', year: 'numeric', hour: 'numeric', minute: '2-digit', hour12: true, timeZone: 'Europe/London' });

/** "12 March 2027", as DESIGN.md asks. */
export function formatDate(date: Date): string {
  return DATE.format(date);
}

/** "12 March 2027 at 4:05pm" (UK time). */
export function formatDateTime(date: Date): string {
  const parts = DATE_TIME.formatToParts(date);
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  return `${get('day')} ${get('month')} ${get('year')} at ${get('hour')}:${get('minute')}${get('dayPeriod').toLowerCase().replace(/\s/g, '')}`;
}
