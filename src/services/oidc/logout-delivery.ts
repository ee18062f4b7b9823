import type Provider from 'oidc-provider';
import type { Db } from '../../data/database.ts';
import { claimDueLogouts, finishLogout, retryLogout, type LogoutRow } from '../../data/queries/oidc-logout-queries.ts';
import type { Clock } from '../../domain/clock.ts';
import { retryDelaySeconds } from '../../mail/deliver.ts';
import { audit } from '../audit.ts';
import { SYSTEM_CONTEXT } from '../request-context.ts';

export interface LogoutDeliveryOptions {
  maxAttempts: number;
  leaseSeconds: number;
  batchSize: number;
}

/** Eight attempts over about an hour (the email outbox's backoff); the library waits 2.5 s for an answer. */
export const DEFAULT_LOGOUT_DELIVERY: LogoutDeliveryOptions = { maxAttempts: 8, leaseSeconds: 60, batchSize: 20 };

/** The part of oidc-provider's Client this uses: its own back-channel logout (lib/models/client.js), untyped in @types. */
interface LogoutClient {
  backchannelLogoutUri?: string;
  backchannelLogout(sub: string, sid: string | undefined): Promise<void>;
}

async function send(provider: Provider, row: LogoutRow): Promise<void> {
  const client = (await provider.Client.find(row.client_id)) as unknown as LogoutClient | undefined;
  // Disabled since, or its sign-out address removed: nobody is listening any more.
  if (!client?.backchannelLogoutUri) throw new GiveUp('The application is disabled or has no sign-out address');
  await client.backchannelLogout(row.account_id, row.sid ?? undefined);
}

class GiveUp extends Error {}

/**
 * Sends the back-channel logouts that are due (R63); returns how many were delivered.
 *
 * The logout token is made and signed by oidc-provider itself (Client#backchannelLogout, as its
 * RP-initiated logout does) when it is sent, not when the row is written: a retry an hour later
 * still carries a token within its lifetime, signed with the key the key set publishes then (a
 * rotated key leaves it), and the outbox holds no token anybody could replay. Rows are leased
 * (several workers on one PostgreSQL send each once); a network error or an answer other than 200
 * or 204 is retried with the email outbox's backoff; the last attempt marks the row failed and
 * audits it, so that central support sees which application missed a sign-out.
 */
export async function deliverDueLogouts(
  db: Db,
  clock: Clock,
  provider: () => Promise<Provider>,
  options: LogoutDeliveryOptions = DEFAULT_LOGOUT_DELIVERY,
): Promise<number> {
  let delivered = 0;
  for (;;) {
    const now = clock.now();
    const rows = await claimDueLogouts(
      db,
      now,
      new Date(now.getTime() + options.leaseSeconds * 1000),
      options.batchSize,
    );
    if (rows.length === 0) return delivered;
    const current = await provider();
    await Promise.all(
      rows.map(async (row) => {
        try {
          await send(current, row);
        } catch (error) {
          await failed(db, clock, row, error, options);
          return;
        }
        await finishLogout(db, row.id, { status: 'sent' }, clock.now());
        delivered += 1;
      }),
    );
    if (rows.length < options.batchSize) return delivered;
  }
}

async function failed(db: Db, clock: Clock, row: LogoutRow, error: unknown, options: LogoutDeliveryOptions) {
  const reason = (error instanceof Error ? error.message : String(error)).slice(0, 300);
  const now = clock.now();
  if (!(error instanceof GiveUp) && row.attempts < options.maxAttempts) {
    await retryLogout(db, row.id, new Date(now.getTime() + retryDelaySeconds(row.attempts) * 1000), reason);
    return;
  }
  await db.transaction().execute(async (trx) => {
    await finishLogout(trx, row.id, { status: 'failed', error: reason }, now);
    // No subject account: the account may have been deleted (the logout of a deletion).
    await audit(trx, { accountId: null, label: 'system' }, SYSTEM_CONTEXT, now, {
      action: 'application.backchannel-logout-failed',
      organisationId: null,
      subjectAccountId: null,
      details: { clientId: row.client_id, attempts: row.attempts, reason },
    });
  });
}
