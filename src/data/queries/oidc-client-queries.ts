import type { Selectable } from 'kysely';
import type { Executor, OidcClientsTable } from '../database.ts';

/** Applications registered with the OpenID Connect provider (migration 0013). */

export type OidcClient = Selectable<OidcClientsTable>;

export async function insertOidcClient(
  db: Executor,
  row: {
    clientId: string;
    name: string;
    /** Exactly one of the three (migration 0015). */
    secretHash?: string;
    jwksUri?: string;
    jwks?: { readonly keys: readonly Record<string, unknown>[] };
    redirectUris: readonly string[];
    backchannelLogoutUri: string | undefined;
    createdAt: Date;
    createdBy: string | null;
  },
): Promise<void> {
  await db
    .insertInto('oidc_clients')
    .values({
      client_id: row.clientId,
      name: row.name,
      secret_hash: row.secretHash ?? null,
      jwks_uri: row.jwksUri ?? null,
      jwks: row.jwks ? JSON.stringify(row.jwks) : null,
      redirect_uris: [...row.redirectUris],
      backchannel_logout_uri: row.backchannelLogoutUri ?? null,
      created_at: row.createdAt,
      created_by: row.createdBy,
      secret_rotated_at: row.createdAt,
    })
    .execute();
}

export async function findOidcClient(db: Executor, clientId: string): Promise<OidcClient | undefined> {
  return db.selectFrom('oidc_clients').selectAll().where('client_id', '=', clientId).executeTakeFirst();
}

export async function listOidcClients(db: Executor): Promise<OidcClient[]> {
  return db.selectFrom('oidc_clients').selectAll().orderBy('name').orderBy('client_id').execute();
}

export async function setOidcClientSecret(db: Executor, clientId: string, secretHash: string, at: Date): Promise<void> {
  await db
    .updateTable('oidc_clients')
    .set({ secret_hash: secretHash, secret_rotated_at: at })
    .where('client_id', '=', clientId)
    .execute();
}

export async function setOidcClientDisabled(db: Executor, clientId: string, disabledAt: Date | null): Promise<void> {
  await db.updateTable('oidc_clients').set({ disabled_at: disabledAt }).where('client_id', '=', clientId).execute();
}
