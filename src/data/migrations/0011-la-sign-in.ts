import { sql, type Kysely } from 'kysely';

/**
 * Signing in through an LA's own OpenID Connect provider (R64, issue 15 items 2–4).
 *
 * - `la_identity_providers.mfa_acr`: the `acr` value by which the provider says the person used
 *   multi-factor authentication (besides `amr` containing `mfa`); then Nexus asks for no code.
 * - A sign-in on its way to the provider is a session at stage `la_account`: the browser holds its
 *   cookie, the row holds the transaction (state, nonce, the PKCE verifier sealed, where to land),
 *   so nothing of it travels in a URL but the state the provider must echo. It is spent by the
 *   callback, right or wrong, so a code or a callback URL used twice finds nothing.
 * - `sessions.la_confirmed_at`: set on sessions opened through the provider, when it last
 *   confirmed the person (the sign-in, then each re-check).
 * - `la_account_links`: who has signed in through their LA's provider (Admin > Users shows it),
 *   the provider's subject, and its refresh token (sealed), which the re-check and a refusal's
 *   confirmation use.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE la_identity_providers ADD COLUMN mfa_acr text CHECK (length(mfa_acr) BETWEEN 1 AND 255)`.execute(
    db,
  );

  await sql`ALTER TABLE sessions DROP CONSTRAINT sessions_stage_check`.execute(db);
  await sql`ALTER TABLE sessions ADD CONSTRAINT sessions_stage_check
    CHECK (stage IN ('two_factor', 'two_factor_setup', 'signed_in', 'la_account'))`.execute(db);
  await sql`ALTER TABLE sessions ADD COLUMN la_state text`.execute(db);
  await sql`ALTER TABLE sessions ADD COLUMN la_nonce text`.execute(db);
  await sql`ALTER TABLE sessions ADD COLUMN la_code_verifier text`.execute(db);
  await sql`ALTER TABLE sessions ADD COLUMN la_return_to text CHECK (length(la_return_to) <= 2000)`.execute(db);
  await sql`ALTER TABLE sessions ADD COLUMN la_confirmed_at timestamptz`.execute(db);
  await sql`ALTER TABLE sessions ADD CONSTRAINT sessions_la_transaction_whole CHECK (
    (la_state IS NULL) = (la_nonce IS NULL) AND (la_state IS NULL) = (la_code_verifier IS NULL))`.execute(db);

  await sql`
    CREATE TABLE la_account_links (
      account_id uuid PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
      organisation_id integer NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
      issuer text NOT NULL CHECK (length(issuer) BETWEEN 1 AND 500),
      subject text NOT NULL CHECK (length(subject) BETWEEN 1 AND 255),
      refresh_token_sealed text,
      linked_at timestamptz NOT NULL,
      confirmed_at timestamptz NOT NULL
    )`.execute(db);
  await sql`CREATE INDEX la_account_links_by_organisation ON la_account_links (organisation_id)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE IF EXISTS la_account_links`.execute(db);
  await sql`DELETE FROM sessions WHERE stage = 'la_account'`.execute(db);
  await sql`ALTER TABLE sessions DROP CONSTRAINT IF EXISTS sessions_la_transaction_whole`.execute(db);
  for (const column of ['la_confirmed_at', 'la_return_to', 'la_code_verifier', 'la_nonce', 'la_state'])
    await sql`ALTER TABLE sessions DROP COLUMN IF EXISTS ${sql.ref(column)}`.execute(db);
  await sql`ALTER TABLE sessions DROP CONSTRAINT sessions_stage_check`.execute(db);
  await sql`ALTER TABLE sessions ADD CONSTRAINT sessions_stage_check
    CHECK (stage IN ('two_factor', 'two_factor_setup', 'signed_in'))`.execute(db);
  await sql`ALTER TABLE la_identity_providers DROP COLUMN IF EXISTS mfa_acr`.execute(db);
}
