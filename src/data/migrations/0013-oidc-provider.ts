import { sql, type Kysely } from 'kysely';

/**
 * Nexus Accounts as the OpenID Connect provider of the platform's applications (R61–R63, issue 16).
 *
 * `oidc_state` holds everything panva's oidc-provider keeps (sessions, interactions, grants, codes,
 * access and refresh tokens, replay records) as its adapter interface describes it: one row per
 * (model, id) with the payload as given, and the three references the library looks rows up by
 * (grant, user code, session uid) copied into columns. `expires_at` is when the library said the
 * row may go; expired rows are invisible at once and deleted by the scheduler.
 *
 * Signing keys are ES256 private keys sealed with the SecretBox; the public half is kept in the
 * clear for the key set. A rotated key is kept, for verification only, until `retire_after`, when
 * every token it signed has expired.
 *
 * Applications are registered by central support only; their secret is stored as its SHA-256 (it
 * is 32 random bytes, so a slow hash adds nothing) and shown once.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE oidc_state (
      model text NOT NULL CHECK (length(model) BETWEEN 1 AND 50),
      id text NOT NULL CHECK (length(id) BETWEEN 1 AND 500),
      payload jsonb NOT NULL,
      grant_id text,
      user_code text,
      uid text,
      expires_at timestamptz,
      consumed_at timestamptz,
      PRIMARY KEY (model, id)
    )`.execute(db);
  // revokeByGrantId deletes a grant's tokens of every model; findByUid and findByUserCode are per model.
  await sql`CREATE INDEX oidc_state_by_grant ON oidc_state (grant_id) WHERE grant_id IS NOT NULL`.execute(db);
  await sql`CREATE INDEX oidc_state_by_uid ON oidc_state (model, uid) WHERE uid IS NOT NULL`.execute(db);
  await sql`CREATE INDEX oidc_state_by_user_code ON oidc_state (model, user_code) WHERE user_code IS NOT NULL`.execute(
    db,
  );
  await sql`CREATE INDEX oidc_state_by_expiry ON oidc_state (expires_at) WHERE expires_at IS NOT NULL`.execute(db);

  await sql`
    CREATE TABLE oidc_signing_keys (
      kid text PRIMARY KEY CHECK (length(kid) BETWEEN 1 AND 100),
      alg text NOT NULL CHECK (alg = 'ES256'),
      private_jwk_sealed text NOT NULL,
      public_jwk jsonb NOT NULL,
      created_at timestamptz NOT NULL,
      retired_at timestamptz,
      retire_after timestamptz,
      CONSTRAINT oidc_signing_keys_retired_whole CHECK ((retired_at IS NULL) = (retire_after IS NULL))
    )`.execute(db);
  // One signing key at a time: two processes starting on an empty table cannot both make one.
  await sql`CREATE UNIQUE INDEX oidc_signing_keys_one_current ON oidc_signing_keys ((true)) WHERE retired_at IS NULL`.execute(
    db,
  );

  await sql`
    CREATE TABLE oidc_clients (
      client_id text PRIMARY KEY CHECK (length(client_id) BETWEEN 1 AND 100),
      name text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
      secret_hash text NOT NULL,
      redirect_uris text[] NOT NULL CHECK (cardinality(redirect_uris) BETWEEN 1 AND 10),
      post_logout_redirect_uris text[] NOT NULL DEFAULT '{}',
      backchannel_logout_uri text CHECK (length(backchannel_logout_uri) <= 500),
      disabled_at timestamptz,
      created_at timestamptz NOT NULL,
      created_by uuid REFERENCES accounts (id) ON DELETE SET NULL,
      secret_rotated_at timestamptz NOT NULL
    )`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE IF EXISTS oidc_clients`.execute(db);
  await sql`DROP TABLE IF EXISTS oidc_signing_keys`.execute(db);
  await sql`DROP TABLE IF EXISTS oidc_state`.execute(db);
}
