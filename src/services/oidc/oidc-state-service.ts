import { deleteFinishedLogouts, insertLogouts } from '../../data/queries/oidc-logout-queries.ts';
import { deleteExpiredOidcState } from '../../data/queries/oidc-state-queries.ts';
import type { ServiceDeps } from '../deps.ts';
import { finishRequest, inRequest, personReadWithToken, stateAdapter, type ClientLookup } from './state-adapter.ts';

/** The OpenID Connect provider's state (migration 0013): its storage adapter, and housekeeping. */
export function createOidcStateService({ db, clock }: Pick<ServiceDeps, 'db' | 'clock'>, clients: ClientLookup) {
  return {
    /** oidc-provider's `adapter` option. */
    adapter: stateAdapter(db, clock, clients),

    /** Makes the writes the adapter held back during one HTTP request (`request`: its raw request); false: refuse it (state-adapter.ts). */
    finishRequest: (request: object) => finishRequest(db, clock, request),

    /** The claims of an account read with the code or refresh token of this HTTP request (`request`: its raw request), if it was. */
    personReadWithToken,

    /** Runs a route's use of the provider's models as part of its HTTP request (the adapter's reads and writes kept together). */
    inRequest,

    /**
     * A back-channel logout the library sent itself (an application's RP-initiated logout) and the
     * application did not take: queued in the logout outbox, which tries again with its backoff and
     * audits a give-up, as for every other logout (R63). Once per session and application.
     */
    async queueLogoutRetry(logout: { sessionId: string; clientId: string; accountId: string; sid: string | null }) {
      await insertLogouts(db, [logout], clock.now());
    },

    /**
     * Deletes every row that has expired, in batches so that no statement holds many locks. Expired
     * rows are already invisible to the provider: this only keeps the table small. Several
     * processes may run it at once; a row is deleted once.
     */
    async purgeExpired(): Promise<number> {
      const now = clock.now();
      // Back-channel logouts sent or given up a month ago have nothing more to tell anyone.
      await deleteFinishedLogouts(db, new Date(now.getTime() - 30 * 86_400_000));
      let total = 0;
      for (;;) {
        const deleted = await deleteExpiredOidcState(db, now);
        total += deleted;
        if (deleted === 0) return total;
      }
    },
  };
}
