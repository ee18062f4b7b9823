import type { Services } from '../services/index.ts';
import { repeatEvery } from './repeat.ts';
import type { JobLog } from './scheduler.ts';

/**
 * Deletes the OpenID Connect provider's expired state (and signing keys past their overlap) every few minutes, in every server and
 * worker process: the delete is harmless to repeat, so it needs no lock. Returns stop().
 */
export function startOidcCleanup(
  services: Pick<Services, 'oidcState' | 'oidcKeys'>,
  log: Pick<JobLog, 'error'>,
  intervalMs = 10 * 60_000,
): () => Promise<void> {
  return repeatEvery(
    intervalMs,
    () => Promise.all([services.oidcState.purgeExpired(), services.oidcKeys.purgeRetired()]),
    (message) => log.error(`OpenID Connect clean-up failed: ${message}`),
  );
}
