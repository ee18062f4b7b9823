import type { Adapter, AdapterPayload } from 'oidc-provider';
import type { Db } from '../../data/database.ts';
import {
  consumeOidcState,
  deleteOidcState,
  deleteOidcStateByGrant,
  findOidcState,
  upsertOidcState,
  type OidcStateRow,
} from '../../data/queries/oidc-state-queries.ts';
import type { Clock } from '../../domain/clock.ts';

/** Client metadata for oidc-provider, by client id; undefined for an unknown or disabled client. */
export type ClientLookup = (clientId: string) => Promise<AdapterPayload | undefined>;

function payloadOf(row: OidcStateRow | undefined): AdapterPayload | undefined {
  if (!row) return undefined;
  const payload = row.payload as AdapterPayload;
  // The library asks only that a consumed row come back with a truthy `consumed`.
  return row.consumed_at ? { ...payload, consumed: Math.floor(row.consumed_at.getTime() / 1000) } : payload;
}

/**
 * The account a row belongs to: a session's, grant's or token's own, or an interaction's (its
 * session, or the sign-in it completed), so that ending access finds every one (migration 0014).
 */
function accountOf(payload: AdapterPayload): string | undefined {
  const nested = payload as { session?: { accountId?: unknown }; result?: { login?: { accountId?: unknown } } };
  const found = payload.accountId ?? nested.session?.accountId ?? nested.result?.login?.accountId;
  return typeof found === 'string' ? found : undefined;
}

/**
 * oidc-provider's storage (its `adapter` option; the interface of its example/my_adapter.js) on the
 * service's own database, so that every process on one PostgreSQL shares sessions, codes and
 * tokens. Expiry is counted on the service's clock, as everything else is; a row past it is not
 * found, and the scheduler deletes it later (OidcStateService.purgeExpired).
 *
 * Clients are not stored here: the library asks the `Client` model's adapter for any client it
 * was not configured with, which is every one, and `clients` answers from the registered
 * applications.
 */
export function stateAdapter(db: Db, clock: Clock, clients: ClientLookup): new (name: string) => Adapter {
  return class StateAdapter implements Adapter {
    readonly #model: string;
    constructor(name: string) {
      this.#model = name;
    }

    async upsert(id: string, payload: AdapterPayload, expiresIn: number): Promise<void> {
      if (this.#model === 'Client') throw new Error('Applications are registered by central support only');
      await upsertOidcState(db, {
        model: this.#model,
        id,
        payload,
        grantId: payload.grantId,
        userCode: payload.userCode,
        uid: payload.uid,
        accountId: accountOf(payload),
        expiresAt: expiresIn ? new Date(clock.now().getTime() + expiresIn * 1000) : undefined,
      });
    }

    async find(id: string): Promise<AdapterPayload | undefined> {
      if (this.#model === 'Client') return clients(id);
      return payloadOf(await findOidcState(db, this.#model, { id }, clock.now()));
    }

    async findByUid(uid: string): Promise<AdapterPayload | undefined> {
      return payloadOf(await findOidcState(db, this.#model, { uid }, clock.now()));
    }

    async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
      return payloadOf(await findOidcState(db, this.#model, { userCode }, clock.now()));
    }

    async consume(id: string): Promise<void> {
      await consumeOidcState(db, this.#model, id, clock.now());
    }

    async destroy(id: string): Promise<void> {
      await deleteOidcState(db, this.#model, id);
    }

    async revokeByGrantId(grantId: string): Promise<void> {
      await deleteOidcStateByGrant(db, grantId);
    }
  };
}
