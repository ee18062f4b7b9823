import { sql, type Kysely } from 'kysely';

/**
 * Applications that authenticate with a signed JWT instead of a secret (`private_key_jwt`, issue
 * 16 item 5): their public keys, as a key set address (`jwks_uri`, fetched by the provider) or as
 * the key set itself (`jwks`). An application has exactly one of the three credentials.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE oidc_clients ALTER COLUMN secret_hash DROP NOT NULL`.execute(db);
  await sql`ALTER TABLE oidc_clients ADD COLUMN jwks_uri text CHECK (length(jwks_uri) BETWEEN 1 AND 500)`.execute(db);
  await sql`ALTER TABLE oidc_clients ADD COLUMN jwks jsonb`.execute(db);
  await sql`
    ALTER TABLE oidc_clients ADD CONSTRAINT oidc_clients_one_credential
    CHECK (num_nonnulls(secret_hash, jwks_uri, jwks) = 1)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DELETE FROM oidc_clients WHERE secret_hash IS NULL`.execute(db);
  await sql`ALTER TABLE oidc_clients DROP CONSTRAINT oidc_clients_one_credential`.execute(db);
  await sql`ALTER TABLE oidc_clients DROP COLUMN jwks`.execute(db);
  await sql`ALTER TABLE oidc_clients DROP COLUMN jwks_uri`.execute(db);
  await sql`ALTER TABLE oidc_clients ALTER COLUMN secret_hash SET NOT NULL`.execute(db);
}
