import type Provider from 'oidc-provider';
import type { Db } from '../data/database.ts';
import type { Clock } from '../domain/clock.ts';
import { deliverDueLogouts } from '../services/oidc/logout-delivery.ts';
import { repeatEvery } from './repeat.ts';

/** Runs the delivery every few seconds in this process (repeatEvery); returns stop(). */
export function startLogoutDelivery(
  db: Db,
  clock: Clock,
  provider: () => Promise<Provider>,
  log: { error(message: string): void },
  intervalMs = 2000,
): () => Promise<void> {
  return repeatEvery(
    intervalMs,
    () => deliverDueLogouts(db, clock, provider),
    (message) => log.error(`Back-channel logout delivery failed: ${message}`),
  );
}
