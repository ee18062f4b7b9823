import { AsyncLocalStorage } from 'node:async_hooks';
import type { Adapter, AdapterPayload } from 'oidc-provider';
import type { Db } from '../../data/database.ts';
import {
  consumeOidcState,
  deleteOidcState,
  deleteOidcStateByGrant,
  findOidcState,
  findOidcTokenWithGrant,
  upsertOidcState,
  upsertOidcStates,
  type OidcStateRow,
  type OidcStateWrite,
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

/** The tokens whose use reads their grant and provider session too (prefetched with them). */
const GRANT_TOKENS = new Set(['AuthorizationCode', 'RefreshToken']);

const byId = (model: string, id: string) => `${model} id ${id}`;
const byUid = (model: string, uid: string) => `${model} uid ${uid}`;

/**
 * What the adapter keeps for one HTTP request (its raw request: the provider's Koa context's, or
 * that of a route of this service that uses the provider's models, see `inRequest`): the rows it
 * read or wrote in that request, and its writes not made yet. Nothing is kept between requests.
 */
interface RequestRows {
  readonly rows: Map<string, AdapterPayload>;
  /** By model and id: a row written twice in a request is written once, as it was last. */
  readonly pending: Map<string, OidcStateWrite>;
}
const requestRows = new WeakMap<object, RequestRows>();
const serviceRequest = new AsyncLocalStorage<object>();

function rowsOfThisRequest(): RequestRows | undefined {
  const request = serviceRequest.getStore();
  if (!request) return undefined;
  let found = requestRows.get(request);
  if (!found) requestRows.set(request, (found = { rows: new Map(), pending: new Map() }));
  return found;
}

/**
 * Runs `work` as part of the HTTP request `request` (its raw request): the provider's every request
 * (its middleware, src/oidc/provider.ts), and a route of this service that uses the provider's models.
 * The library is not imported here: this module is loaded by every command, which must not load it.
 */
export function inRequest<T>(request: object, work: () => Promise<T>): Promise<T> {
  return serviceRequest.run(request, work);
}

/** Makes the writes an HTTP request left (the provider's middleware, and `inRequest`'s route, call this before answering). */
export async function finishRequest(db: Db, request: object): Promise<void> {
  const found = requestRows.get(request);
  requestRows.delete(request);
  await writePending(db, found);
}

async function writePending(db: Db, request: RequestRows | undefined): Promise<void> {
  if (!request || request.pending.size === 0) return;
  const writes = [...request.pending.values()];
  request.pending.clear();
  await upsertOidcStates(db, writes);
}

/**
 * oidc-provider's storage (its `adapter` option; the interface of its example/my_adapter.js) on the
 * service's own database, so that every process on one PostgreSQL shares sessions, codes and
 * tokens. Expiry is counted on the service's clock, as everything else is; a row past it is not
 * found, and the scheduler deletes it later (OidcStateService.purgeExpired).
 *
 * Within one HTTP request, its saves are written together when the request ends (before the answer
 * goes out, src/oidc/provider.ts and oidc-plugin.ts), or before any other statement of the adapter,
 * so that every read sees them; a row read or written is read again from memory; and a code or
 * refresh token is read with its grant and session in one statement. Outside a request (tests, the
 * command line) every call is its own statement.
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
      const kept = structuredClone(payload);
      const write: OidcStateWrite = {
        model: this.#model,
        id,
        payload: kept,
        grantId: kept.grantId,
        userCode: kept.userCode,
        uid: kept.uid,
        accountId: accountOf(kept),
        expiresAt: expiresIn ? new Date(clock.now().getTime() + expiresIn * 1000) : undefined,
      };
      const request = rowsOfThisRequest();
      if (!request) return upsertOidcState(db, write);
      request.pending.delete(byId(this.#model, id));
      request.pending.set(byId(this.#model, id), write);
      request.rows.set(byId(this.#model, id), kept);
      if (kept.uid) request.rows.set(byUid(this.#model, kept.uid), kept);
    }

    async find(id: string): Promise<AdapterPayload | undefined> {
      if (this.#model === 'Client') return clients(id);
      const request = rowsOfThisRequest();
      const known = request?.rows.get(byId(this.#model, id));
      if (known) return structuredClone(known);
      await writePending(db, request);
      if (!request || !GRANT_TOKENS.has(this.#model))
        return remember(request, this.#model, id, payloadOf(await findOidcState(db, this.#model, { id }, clock.now())));
      let own: AdapterPayload | undefined;
      for (const row of await findOidcTokenWithGrant(db, this.#model, id, clock.now())) {
        const payload = remember(request, row.model, row.id, payloadOf(row));
        if (row.model === this.#model && row.id === id) own = payload;
      }
      return own;
    }

    async findByUid(uid: string): Promise<AdapterPayload | undefined> {
      const request = rowsOfThisRequest();
      const known = request?.rows.get(byUid(this.#model, uid));
      if (known) return structuredClone(known);
      await writePending(db, request);
      const payload = payloadOf(await findOidcState(db, this.#model, { uid }, clock.now()));
      return remember(request, this.#model, typeof payload?.jti === 'string' ? payload.jti : undefined, payload);
    }

    async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
      await writePending(db, rowsOfThisRequest());
      return payloadOf(await findOidcState(db, this.#model, { userCode }, clock.now()));
    }

    async consume(id: string): Promise<void> {
      const request = rowsOfThisRequest();
      await writePending(db, request);
      request?.rows.clear();
      await consumeOidcState(db, this.#model, id, clock.now());
    }

    async destroy(id: string): Promise<void> {
      const request = rowsOfThisRequest();
      // A save of this row not made yet is not made at all: the row goes either way.
      request?.pending.delete(byId(this.#model, id));
      await writePending(db, request);
      request?.rows.clear();
      await deleteOidcState(db, this.#model, id);
    }

    async revokeByGrantId(grantId: string): Promise<void> {
      const request = rowsOfThisRequest();
      await writePending(db, request);
      request?.rows.clear();
      await deleteOidcStateByGrant(db, grantId);
    }
  };
}

/** A row read in a request, kept for the rest of it (a copy: the library changes what it is given). */
function remember(
  request: RequestRows | undefined,
  model: string,
  id: string | undefined,
  payload: AdapterPayload | undefined,
) {
  if (!request || !payload) return payload;
  const kept = structuredClone(payload);
  if (id) request.rows.set(byId(model, id), kept);
  if (typeof payload.uid === 'string') request.rows.set(byUid(model, payload.uid), kept);
  return payload;
}
