import type { Executor, OidcSigningKeysTable } from '../database.ts';
import type { Selectable } from 'kysely';

/** The OpenID Connect provider's signing keys (migration 0013). */

export type OidcSigningKey = Selectable<OidcSigningKeysTable>;

/** The current key and every retired key still inside its overlap at `now`, newest first. */
export async function listLiveSigningKeys(db: Executor, now: Date): Promise<OidcSigningKey[]> {
  return db
    .selectFrom('oidc_signing_keys')
    .selectAll()
    .where((eb) => eb.or([eb('retire_after', 'is', null), eb('retire_after', '>', now)]))
    .orderBy('created_at', 'desc')
    .orderBy('kid')
    .execute();
}

/** Adds a key as the current one; false when there already is a current key (another process made it). */
export async function insertCurrentSigningKey(
  db: Executor,
  key: { kid: string; privateJwkSealed: string; publicJwk: Record<string, unknown>; createdAt: Date },
): Promise<boolean> {
  const result = await db
    .insertInto('oidc_signing_keys')
    .values({
      kid: key.kid,
      alg: 'ES256',
      private_jwk_sealed: key.privateJwkSealed,
      public_jwk: JSON.stringify(key.publicJwk),
      created_at: key.createdAt,
    })
    .onConflict((oc) => oc.doNothing())
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0) > 0;
}

/** Retires the current key (locked first, so two rotations at once make one new key each in turn). */
export async function retireCurrentSigningKey(
  db: Executor,
  at: { retiredAt: Date; retireAfter: Date },
): Promise<OidcSigningKey | undefined> {
  const current = await db
    .selectFrom('oidc_signing_keys')
    .selectAll()
    .where('retired_at', 'is', null)
    .forUpdate()
    .executeTakeFirst();
  if (!current) return undefined;
  await db
    .updateTable('oidc_signing_keys')
    .set({ retired_at: at.retiredAt, retire_after: at.retireAfter })
    .where('kid', '=', current.kid)
    .execute();
  return current;
}

/** Keys whose overlap ended by `now`: no token they signed is still valid. */
export async function deleteRetiredSigningKeys(db: Executor, now: Date): Promise<number> {
  const result = await db.deleteFrom('oidc_signing_keys').where('retire_after', '<=', now).executeTakeFirst();
  return Number(result.numDeletedRows);
}
