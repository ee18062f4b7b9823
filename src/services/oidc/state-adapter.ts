import { AsyncLocalStorage } from 'node:async_hooks';
import type { Adapter, AdapterPayload } from 'oidc-provider';
import type { Db } from '../../data/database.ts';
import type { ClaimsPerson } from '../../data/queries/oidc-claims-queries.ts';
import type { OidcClient } from '../../data/queries/oidc-client-queries.ts';
import {
  consumeOidcState,
  deleteOidcState,
  deleteOidcStateByGrant,
  findOidcClientWithToken,
  findOidcInteractionWithClient,
  findOidcState,
  findOidcTokenWithGrant,
  upsertOidcState,
  writeOidcStates,
  type OidcStateKey,
  type OidcStateRow,
  type OidcStateWrite,
} from '../../data/queries/oidc-state-queries.ts';
import type { Clock } from '../../domain/clock.ts';
import { clientMetadataOf } from './client-metadata.ts';

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
  /** Applications read in this request together with an interaction, by client id (as their rows were then). */
  readonly clients: Map<string, OidcClient>;
  /** The claims of the account of the code or refresh token the request brings, by account id: null if not active. */
  readonly persons: Map<string, ClaimsPerson | null>;
  /** By model and id, each key in at most one of the three: a row written twice is written once, as it was last. */
  readonly pending: Map<string, OidcStateWrite>;
  readonly deletes: Map<string, OidcStateKey>;
  /** With the grant of each, revoked if another request consumed the row first. */
  readonly consumes: Map<string, OidcStateKey & { grantId: unknown }>;
  /** Grants whose code or refresh token another request used first: this request's writes are not made. */
  readonly lost: Set<string>;
  /** Applications used as an earlier request read them (with where that was kept): the writes are made only if each is still enabled. */
  readonly unchecked: Map<string, KnownClients>;
  /** Whether one of those had been disabled since: nothing was written, and the request must be refused. */
  refused: boolean;
}
const requestRows = new WeakMap<object, RequestRows>();
const serviceRequest = new AsyncLocalStorage<object>();
/** The token a request brings (a code, a refresh token), if it says which: read with its application. */
export type BroughtToken = () => OidcStateKey | undefined;
const broughtTokens = new WeakMap<object, BroughtToken>();
/**
 * Whether the request may use an application as an earlier request of this process read it (the
 * authorization endpoint: it reads nothing else, and its writes check the application is still enabled).
 */
export type KnownClientsWillDo = () => boolean;
const knownClientsWillDo = new WeakMap<object, KnownClientsWillDo>();

function rowsOfThisRequest(): RequestRows | undefined {
  const request = serviceRequest.getStore();
  if (!request) return undefined;
  let found = requestRows.get(request);
  if (!found)
    requestRows.set(
      request,
      (found = {
        rows: new Map(),
        clients: new Map(),
        persons: new Map(),
        pending: new Map(),
        deletes: new Map(),
        consumes: new Map(),
        lost: new Set(),
        unchecked: new Map(),
        refused: false,
      }),
    );
  return found;
}

/**
 * Runs `work` as part of the HTTP request `request` (its raw request): the provider's every request
 * (its middleware, src/oidc/provider.ts), and a route of this service that uses the provider's models.
 * The library is not imported here: this module is loaded by every command, which must not load it.
 */
export function inRequest<T>(
  request: object,
  work: () => Promise<T>,
  brought?: BroughtToken,
  useKnownClients?: KnownClientsWillDo,
): Promise<T> {
  if (brought) broughtTokens.set(request, brought);
  if (useKnownClients) knownClientsWillDo.set(request, useKnownClients);
  return serviceRequest.run(request, work);
}

/**
 * The claims of an account as this HTTP request read them with the code or refresh token it brings
 * (null: the account is not active), so that issuing the tokens reads nothing more; undefined when
 * this request did not read that account.
 */
export function personReadWithToken(request: object, accountId: string): ClaimsPerson | null | undefined {
  return requestRows.get(request)?.persons.get(accountId);
}

/**
 * Makes the writes an HTTP request left (the provider's middleware, and `inRequest`'s route, call this
 * before answering). False when the request must be refused: a code or refresh token it used was used
 * first by another request (none of its writes were made, and the grant is revoked, as the library
 * does for a reused one), or an application it used as known has been disabled (nothing was written).
 */
export async function finishRequest(db: Db, clock: Clock, request: object): Promise<boolean> {
  const found = requestRows.get(request);
  requestRows.delete(request);
  await writePending(db, clock, found);
  if (found?.refused) return false;
  if (!found || found.lost.size === 0) return true;
  for (const grantId of found.lost) {
    await deleteOidcStateByGrant(db, grantId);
    await deleteOidcState(db, 'Grant', grantId);
  }
  return false;
}

async function writePending(db: Db, clock: Clock, request: RequestRows | undefined): Promise<void> {
  if (!request || request.pending.size + request.deletes.size + request.consumes.size + request.unchecked.size === 0)
    return;
  const consumes = [...request.consumes.values()];
  const unchecked = [...request.unchecked];
  const enabledClients = unchecked.map(([id]) => id);
  const changes = {
    upserts: request.lost.size || request.refused ? [] : [...request.pending.values()],
    deletes: request.refused ? [] : [...request.deletes.values()],
    consumes: { rows: consumes.map(({ model, id }) => ({ model, id })), at: clock.now() },
    enabledClients,
  };
  request.pending.clear();
  request.deletes.clear();
  request.consumes.clear();
  request.unchecked.clear();
  if (await writeOidcStates(db, changes)) return;
  if (unchecked.length) {
    request.refused = true;
    for (const [id, known] of unchecked) known.delete(id);
  }
  for (const { grantId } of consumes) if (typeof grantId === 'string') request.lost.add(grantId);
}

/**
 * Applications as a request of this process last read them (enabled ones only), by client id, for
 * the authorization endpoint: it uses them without reading them again, and its writes are made only
 * if the application is still enabled (writeOidcStates), so that one disabled in any process is
 * refused by the next authorization request all the same. Being enabled is all it needs to check:
 * what else that endpoint uses (the return addresses) cannot change after registration, and the
 * secret is not used there. Only registered applications are kept, and they are few: no bound.
 */
type KnownClients = Map<string, AdapterPayload>;

/**
 * oidc-provider's storage (its `adapter` option; the interface of its example/my_adapter.js) on the
 * service's own database, so that every process on one PostgreSQL shares sessions, codes and
 * tokens. Expiry is counted on the service's clock, as everything else is; a row past it is not
 * found, and the scheduler deletes it later (OidcStateService.purgeExpired).
 *
 * Within one HTTP request, its saves and deletes are written together, in one statement, when the
 * request ends (before the answer goes out, src/oidc/provider.ts and oidc-plugin.ts), or before any
 * other statement of the adapter, so that every read sees them; a row read or written is read again
 * from memory; a code or refresh token is read with its grant and session in one statement, and an
 * interaction with its application. Outside a request (tests, the command line) every call is its
 * own statement.
 *
 * Clients are not stored here: the library asks the `Client` model's adapter for any client it
 * was not configured with, which is every one, and `clients` answers from the registered
 * applications; the authorization endpoint uses them as last read (KnownClients).
 */
export function stateAdapter(db: Db, clock: Clock, clients: ClientLookup): new (name: string) => Adapter {
  const knownClients: KnownClients = new Map();
  const rememberClient = (id: string, metadata: AdapterPayload | undefined) => {
    if (metadata) knownClients.set(id, structuredClone(metadata));
    else knownClients.delete(id);
    return metadata;
  };
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
      const key = byId(this.#model, id);
      // Deleted or consumed earlier in the request, then saved again: that change is made first.
      if (request.deletes.has(key) || request.consumes.has(key)) await writePending(db, clock, request);
      request.pending.delete(key);
      request.pending.set(key, write);
      request.rows.set(key, kept);
      if (kept.uid) request.rows.set(byUid(this.#model, kept.uid), kept);
    }

    async find(id: string): Promise<AdapterPayload | undefined> {
      const request = rowsOfThisRequest();
      if (this.#model === 'Client') return this.#client(id, request);
      const known = request?.rows.get(byId(this.#model, id));
      if (known) return structuredClone(known);
      await writePending(db, clock, request);
      if (request && this.#model === 'Interaction') {
        // The library reads the interaction's application next: read with it.
        const found = await findOidcInteractionWithClient(db, id, clock.now());
        if (found?.client) {
          request.clients.set(found.client.client_id, found.client);
          rememberClient(found.client.client_id, clientMetadataOf(found.client));
        }
        return remember(request, this.#model, id, payloadOf(found?.row));
      }
      if (!request || !GRANT_TOKENS.has(this.#model))
        return remember(request, this.#model, id, payloadOf(await findOidcState(db, this.#model, { id }, clock.now())));
      let own: AdapterPayload | undefined;
      for (const row of await findOidcTokenWithGrant(db, this.#model, id, clock.now())) {
        const payload = remember(request, row.model, row.id, payloadOf(row));
        if (row.model === this.#model && row.id === id) own = payload;
      }
      return own;
    }

    /**
     * An application: as its row was read a moment ago in this request (with the interaction), or
     * read now with the code or refresh token the request brings, or else looked up. Disabling it
     * or giving it a new secret counts from the next request either way.
     */
    async #client(id: string, request: RequestRows | undefined): Promise<AdapterPayload | undefined> {
      const known = request?.clients.get(id);
      if (known) return clientMetadataOf(known);
      const store = serviceRequest.getStore();
      const recent = knownClients.get(id);
      if (request && recent && store && knownClientsWillDo.get(store)?.()) {
        request.unchecked.set(id, knownClients);
        return structuredClone(recent);
      }
      const token = store && broughtTokens.get(store)?.();
      if (!request || !token || !GRANT_TOKENS.has(token.model) || id.length > 100)
        return rememberClient(id, await clients(id));
      await writePending(db, clock, request);
      const found = await findOidcClientWithToken(db, id, token, clock.now());
      if (!found) return rememberClient(id, undefined);
      for (const row of found.rows) {
        const payload = remember(request, row.model, row.id, payloadOf(row));
        if (row.model === token.model && row.id === token.id && typeof payload?.accountId === 'string')
          request.persons.set(payload.accountId, found.person);
      }
      request.clients.set(id, found.client);
      return rememberClient(id, clientMetadataOf(found.client));
    }

    async findByUid(uid: string): Promise<AdapterPayload | undefined> {
      const request = rowsOfThisRequest();
      const known = request?.rows.get(byUid(this.#model, uid));
      if (known) return structuredClone(known);
      await writePending(db, clock, request);
      const payload = payloadOf(await findOidcState(db, this.#model, { uid }, clock.now()));
      return remember(request, this.#model, typeof payload?.jti === 'string' ? payload.jti : undefined, payload);
    }

    async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
      await writePending(db, clock, rowsOfThisRequest());
      return payloadOf(await findOidcState(db, this.#model, { userCode }, clock.now()));
    }

    async consume(id: string): Promise<void> {
      const request = rowsOfThisRequest();
      if (!request) return consumeOidcState(db, this.#model, id, clock.now());
      // Made with the request's other writes, and only if no other request consumed it first (finishRequest).
      const key = byId(this.#model, id);
      if (request.pending.has(key) || request.deletes.has(key)) await writePending(db, clock, request);
      const known = request.rows.get(key);
      request.consumes.set(key, { model: this.#model, id, grantId: known?.grantId });
      if (known) known.consumed = Math.floor(clock.now().getTime() / 1000);
    }

    async destroy(id: string): Promise<void> {
      const request = rowsOfThisRequest();
      if (!request) return deleteOidcState(db, this.#model, id);
      // Made with the request's other writes. A save of this row not made yet is not made at all:
      // the row goes either way. Read again in this request, it is not found (the delete made first).
      const key = byId(this.#model, id);
      request.pending.delete(key);
      request.consumes.delete(key);
      request.deletes.set(key, { model: this.#model, id });
      const known = request.rows.get(key);
      request.rows.delete(key);
      if (typeof known?.uid === 'string') request.rows.delete(byUid(this.#model, known.uid));
    }

    async revokeByGrantId(grantId: string): Promise<void> {
      const request = rowsOfThisRequest();
      await writePending(db, clock, request);
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
