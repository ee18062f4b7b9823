import { sql } from 'kysely';
import type { Executor } from '../database.ts';
import type { OidcClient } from './oidc-client-queries.ts';
import { claimsPersonJson, type ClaimsPerson } from './oidc-claims-queries.ts';

/** oidc-provider's state (migration 0013), for its adapter (src/oidc/state-adapter.ts). */

export interface OidcStateRow {
  payload: Record<string, unknown>;
  consumed_at: Date | null;
}

export interface OidcStateWrite {
  model: string;
  id: string;
  payload: Record<string, unknown>;
  grantId: string | undefined;
  userCode: string | undefined;
  uid: string | undefined;
  accountId: string | undefined;
  expiresAt: Date | undefined;
}

const columnsOf = (row: OidcStateWrite) => ({
  payload: JSON.stringify(row.payload),
  grant_id: row.grantId ?? null,
  user_code: row.userCode ?? null,
  uid: row.uid ?? null,
  account_id: row.accountId ?? null,
  expires_at: row.expiresAt ?? null,
});

export async function upsertOidcState(db: Executor, row: OidcStateWrite): Promise<void> {
  await writeOidcStates(db, { upserts: [row], deletes: [] });
}

/** A row of the provider's state by its key. */
export interface OidcStateKey {
  model: string;
  id: string;
}

/** What one HTTP request changed: no key in more than one of the three lists, nor twice in one. */
export interface OidcStateChanges {
  upserts: readonly OidcStateWrite[];
  deletes: readonly OidcStateKey[];
  /** Marked consumed at `at` (a code, a refresh token), each only if it was not yet. */
  consumes?: { rows: readonly OidcStateKey[]; at: Date };
  /** Applications the request used as an earlier request read them: nothing is written unless each is still registered and enabled. */
  enabledClients?: readonly string[];
}

const keyIn = (keys: readonly OidcStateKey[]) =>
  sql<boolean>`(model, id) IN (${sql.join(keys.map((key) => sql`(${key.model}, ${key.id})`))})`;

const valuesOf = (row: OidcStateWrite) => {
  const c = columnsOf(row);
  return sql`(${row.model}::text, ${row.id}::text, ${c.payload}::jsonb, ${c.grant_id}::text, ${c.user_code}::text,
    ${c.uid}::text, ${c.account_id}::text, ${c.expires_at}::timestamptz)`;
};

/**
 * Rows saved, deleted and consumed, in one statement (each change a data-modifying WITH part, which
 * PostgreSQL runs once whether or not the rest reads it). The lists touch different rows: a row
 * changed twice in one statement would keep only one of the changes. False, and nothing written,
 * when a row to consume was consumed first by another request (or is gone): one-time codes and
 * refresh tokens used at the same moment by two requests, the second gets nothing; and when one of
 * `enabledClients` has been disabled (or removed) since it was read. With no change to make, only
 * that check is made.
 */
export async function writeOidcStates(db: Executor, changes: OidcStateChanges): Promise<boolean> {
  const { upserts, deletes } = changes;
  const consumes = changes.consumes?.rows ?? [];
  const clients = changes.enabledClients ?? [];
  if (upserts.length + deletes.length + consumes.length + clients.length === 0) return true;
  const parts = [];
  const enabled = clients.length
    ? sql`(SELECT count(*) FROM oidc_clients WHERE client_id IN (${sql.join(clients)}) AND disabled_at IS NULL) = ${clients.length}`
    : sql`true`;
  parts.push(sql`guard AS (SELECT ${enabled} AS enabled)`);
  const guarded = sql`(SELECT enabled FROM guard)`;
  if (deletes.length) parts.push(sql`deleted AS (DELETE FROM oidc_state WHERE ${keyIn(deletes)} AND ${guarded})`);
  if (consumes.length)
    parts.push(sql`consumed AS (
      UPDATE oidc_state SET consumed_at = ${changes.consumes?.at}
      WHERE ${keyIn(consumes)} AND consumed_at IS NULL AND ${guarded} RETURNING 1)`);
  if (upserts.length)
    parts.push(sql`saved AS (
      INSERT INTO oidc_state (model, id, payload, grant_id, user_code, uid, account_id, expires_at)
      SELECT * FROM (VALUES ${sql.join(upserts.map(valuesOf))}) AS v
      WHERE ${guarded} ${consumes.length ? sql`AND (SELECT count(*) FROM consumed) = ${consumes.length}` : sql``}
      ON CONFLICT (model, id) DO UPDATE SET payload = excluded.payload, grant_id = excluded.grant_id,
        user_code = excluded.user_code, uid = excluded.uid, account_id = excluded.account_id,
        expires_at = excluded.expires_at)`);
  const consumed = consumes.length ? sql`(SELECT count(*) FROM consumed)::int` : sql`0`;
  const { rows } = await sql<{ consumed: number; enabled: boolean }>`
    WITH ${sql.join(parts)} SELECT ${consumed} AS consumed, ${guarded} AS enabled`.execute(db);
  return rows[0]?.enabled === true && rows[0].consumed === consumes.length;
}

export interface OidcStateKeyedRow extends OidcStateRow {
  model: string;
  id: string;
  uid: string | null;
}

/**
 * A token (a code, a refresh token) with the grant and the provider session it names, in one
 * statement: the library reads all three to use the token. Rows that expired by `now` are left out.
 */
export async function findOidcTokenWithGrant(
  db: Executor,
  model: string,
  id: string,
  now: Date,
): Promise<OidcStateKeyedRow[]> {
  const result = await sql<OidcStateKeyedRow>`${tokenWithGrantRows({ model, id }, now)}`.execute(db);
  return result.rows;
}

const tokenWithGrantRows = (token: OidcStateKey, now: Date) => sql`
  WITH token AS (
    SELECT payload FROM oidc_state
    WHERE model = ${token.model} AND id = ${token.id} AND (expires_at IS NULL OR expires_at > ${now})
  )
  SELECT model, id, uid, payload, consumed_at FROM oidc_state
  WHERE (expires_at IS NULL OR expires_at > ${now}) AND (
    (model = ${token.model} AND id = ${token.id})
    OR (model = 'Grant' AND id = (SELECT payload->>'grantId' FROM token))
    OR (model = 'Session' AND uid = (SELECT payload->>'sessionUid' FROM token))
  )`;

/**
 * An application with the token it brings to the token endpoint, that token's grant and session
 * (findOidcTokenWithGrant) and the claims of the token's account (null unless it is active), in one
 * statement: the library reads the application first, then the rest, and the account to issue the
 * tokens. Undefined for an unknown application.
 */
export async function findOidcClientWithToken(
  db: Executor,
  clientId: string,
  token: OidcStateKey,
  now: Date,
): Promise<{ client: OidcClient; rows: OidcStateKeyedRow[]; person: ClaimsPerson | null } | undefined> {
  type JsonRow = Omit<OidcStateKeyedRow, 'consumed_at'> & { consumed_at: string | null };
  const accountId = sql<string | null>`(SELECT payload->>'accountId' FROM oidc_state
    WHERE model = ${token.model} AND id = ${token.id} AND (expires_at IS NULL OR expires_at > ${now}))`;
  const result = await sql<OidcClient & { oidc_rows: JsonRow[] | null; claims_person: ClaimsPerson | null }>`
    SELECT c.*, (SELECT json_agg(t) FROM (${tokenWithGrantRows(token, now)}) t) AS oidc_rows,
      ${claimsPersonJson(accountId)} AS claims_person
    FROM oidc_clients c WHERE c.client_id = ${clientId}`.execute(db);
  const found = result.rows[0];
  if (!found) return undefined;
  const { oidc_rows, claims_person, ...client } = found;
  const rows = (oidc_rows ?? []).map((row) => ({
    ...row,
    consumed_at: row.consumed_at === null ? null : new Date(row.consumed_at),
  }));
  return { client, rows, person: claims_person };
}

/**
 * An interaction with the application it was started for (the library reads both to finish it), in
 * one statement; undefined if it has expired by `now`. The application is undefined when it is no
 * longer registered.
 */
export async function findOidcInteractionWithClient(
  db: Executor,
  id: string,
  now: Date,
): Promise<{ row: OidcStateRow; client: OidcClient | undefined } | undefined> {
  const found = await db
    .selectFrom('oidc_state as s')
    .leftJoin('oidc_clients as c', (join) => join.on(sql<boolean>`c.client_id = s.payload->'params'->>'client_id'`))
    .select(['s.payload', 's.consumed_at'])
    .selectAll('c')
    .where('s.model', '=', 'Interaction')
    .where('s.id', '=', id)
    .where((eb) => eb.or([eb('s.expires_at', 'is', null), eb('s.expires_at', '>', now)]))
    .executeTakeFirst();
  if (!found) return undefined;
  const { payload, consumed_at, ...client } = found;
  return { row: { payload, consumed_at }, client: client.client_id === null ? undefined : (client as OidcClient) };
}

/** A row by one of its keys, unless it has expired by `now`. */
export async function findOidcState(
  db: Executor,
  model: string,
  key: { id: string } | { uid: string } | { userCode: string },
  now: Date,
): Promise<OidcStateRow | undefined> {
  let query = db
    .selectFrom('oidc_state')
    .select(['payload', 'consumed_at'])
    .where('model', '=', model)
    .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]));
  if ('id' in key) query = query.where('id', '=', key.id);
  else if ('uid' in key) query = query.where('uid', '=', key.uid);
  else query = query.where('user_code', '=', key.userCode);
  return query.limit(1).executeTakeFirst();
}

export async function consumeOidcState(db: Executor, model: string, id: string, now: Date): Promise<void> {
  await db
    .updateTable('oidc_state')
    .set({ consumed_at: now })
    .where('model', '=', model)
    .where('id', '=', id)
    .where('consumed_at', 'is', null)
    .execute();
}

export async function deleteOidcState(db: Executor, model: string, id: string): Promise<void> {
  await db.deleteFrom('oidc_state').where('model', '=', model).where('id', '=', id).execute();
}

/** Every token of a grant, of whatever model (the library's revokeByGrantId). */
export async function deleteOidcStateByGrant(db: Executor, grantId: string): Promise<void> {
  await db.deleteFrom('oidc_state').where('grant_id', '=', grantId).execute();
}

/** Deletes rows that expired by `now`, at most `limit` at a time; returns how many went. */
export async function deleteExpiredOidcState(db: Executor, now: Date, limit = 5000): Promise<number> {
  const result = await sql`
    DELETE FROM oidc_state WHERE (model, id) IN (
      SELECT model, id FROM oidc_state WHERE expires_at <= ${now} LIMIT ${limit}
    )`.execute(db);
  return Number(result.numAffectedRows ?? 0);
}
