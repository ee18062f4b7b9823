import { Cron } from 'croner';
import type { Config } from '../config.ts';

export type JobName = 'lifecycle' | 'digest';

/** A paused croner job for the configured schedule: nextRun() etc. without scheduling anything. The
 * patterns and the time zone were validated by loadConfig (src/config.ts). */
export function scheduleOf(config: Config, job: JobName): Cron {
  const pattern = job === 'lifecycle' ? config.lifecycle.schedule : config.digest.schedule;
  return new Cron(pattern, { timezone: config.lifecycle.timezone, paused: true });
}
