import { sql } from 'kysely';
import type { Executor } from '../database.ts';

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
  await upsertOidcStates(db, [row]);
}

/** Several rows in one statement; at most one row per model and id. */
export async function upsertOidcStates(db: Executor, rows: readonly OidcStateWrite[]): Promise<void> {
  if (rows.length === 0) return;
  await db
    .insertInto('oidc_state')
    .values(rows.map((row) => ({ model: row.model, id: row.id, ...columnsOf(row) })))
    .onConflict((oc) =>
      oc.columns(['model', 'id']).doUpdateSet((eb) => ({
        payload: eb.ref('excluded.payload'),
        grant_id: eb.ref('excluded.grant_id'),
        user_code: eb.ref('excluded.user_code'),
        uid: eb.ref('excluded.uid'),
        account_id: eb.ref('excluded.account_id'),
        expires_at: eb.ref('excluded.expires_at'),
      })),
    )
    .execute();
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
  const result = await sql<OidcStateKeyedRow>`
    WITH token AS (
      SELECT payload FROM oidc_state
      WHERE model = ${model} AND id = ${id} AND (expires_at IS NULL OR expires_at > ${now})
    )
    SELECT model, id, uid, payload, consumed_at FROM oidc_state
    WHERE (expires_at IS NULL OR expires_at > ${now}) AND (
      (model = ${model} AND id = ${id})
      OR (model = 'Grant' AND id = (SELECT payload->>'grantId' FROM token))
      OR (model = 'Session' AND uid = (SELECT payload->>'sessionUid' FROM token))
    )`.execute(db);
  return result.rows;
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
