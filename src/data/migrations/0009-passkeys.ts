import { sql, type Kysely } from 'kysely';

/**
 * Passkeys (R65, issue 15 item 5): WebAuthn credentials of an account, usable as the second factor
 * instead of TOTP. The public key is kept as base64url text, as @simplewebauthn gives it, so both
 * database drivers read it the same way. The signature counter is an unsigned 32-bit number.
 *
 * The challenge of a ceremony lives on the session that asked for it: one at a time, short-lived,
 * taken (and so spent) by the step that checks the answer.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE passkeys (
      id uuid PRIMARY KEY,
      account_id uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
      credential_id text NOT NULL UNIQUE,
      public_key text NOT NULL,
      counter bigint NOT NULL CHECK (counter >= 0 AND counter <= 4294967295),
      transports text[] NOT NULL DEFAULT '{}',
      name text NOT NULL CHECK (length(name) BETWEEN 1 AND 60),
      created_at timestamptz NOT NULL,
      last_used_at timestamptz
    )`.execute(db);
  await sql`CREATE INDEX passkeys_by_account ON passkeys (account_id)`.execute(db);

  await sql`ALTER TABLE sessions ADD COLUMN webauthn_challenge text`.execute(db);
  await sql`ALTER TABLE sessions ADD COLUMN webauthn_purpose text CHECK (webauthn_purpose IN ('register', 'authenticate'))`.execute(
    db,
  );
  await sql`ALTER TABLE sessions ADD COLUMN webauthn_expires_at timestamptz`.execute(db);
  await sql`ALTER TABLE sessions ADD CONSTRAINT sessions_webauthn_whole CHECK (
    (webauthn_challenge IS NULL) = (webauthn_purpose IS NULL) AND (webauthn_challenge IS NULL) = (webauthn_expires_at IS NULL))`.execute(
    db,
  );
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE sessions DROP CONSTRAINT IF EXISTS sessions_webauthn_whole`.execute(db);
  await sql`ALTER TABLE sessions DROP COLUMN IF EXISTS webauthn_expires_at`.execute(db);
  await sql`ALTER TABLE sessions DROP COLUMN IF EXISTS webauthn_purpose`.execute(db);
  await sql`ALTER TABLE sessions DROP COLUMN IF EXISTS webauthn_challenge`.execute(db);
  await sql`DROP TABLE IF EXISTS passkeys`.execute(db);
}
