import { sql, type Kysely } from 'kysely';

/**
 * An LA's own OpenID Connect provider (R64, issue 15 item 1): at most one per LA. The client
 * secret is sealed with the service's SecretBox (AES-256-GCM under SECRET_KEY), as TOTP keys are,
 * so a database dump alone does not give it away. `required` only ever with `enabled` (the page
 * offers off, on and required as one choice). `version` is for optimistic concurrency, as on
 * accounts: a form saves only over the version it was shown.
 *
 * The last connection test is kept beside the settings it tested; a change of issuer clears it.
 * Break-glass accounts keep password and two-factor sign-in when the provider is required; one
 * row each, gone with the account or the provider.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE la_identity_providers (
      organisation_id integer PRIMARY KEY REFERENCES organisations (id) ON DELETE CASCADE,
      issuer text NOT NULL CHECK (length(issuer) BETWEEN 1 AND 500),
      client_id text NOT NULL CHECK (length(client_id) BETWEEN 1 AND 255),
      client_secret_sealed text NOT NULL,
      identifying_claim text NOT NULL DEFAULT 'preferred_username'
        CHECK (identifying_claim IN ('preferred_username', 'email', 'oid')),
      enabled boolean NOT NULL DEFAULT false,
      required boolean NOT NULL DEFAULT false,
      archive_on_refusal boolean NOT NULL DEFAULT false,
      version integer NOT NULL DEFAULT 1,
      created_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL,
      updated_by uuid REFERENCES accounts (id) ON DELETE SET NULL,
      last_tested_at timestamptz,
      last_test_ok boolean,
      last_test_message text CHECK (length(last_test_message) <= 1000),
      CONSTRAINT la_identity_providers_required_needs_enabled CHECK (enabled OR NOT required),
      CONSTRAINT la_identity_providers_test_whole CHECK ((last_tested_at IS NULL) = (last_test_ok IS NULL))
    )`.execute(db);
  await sql`
    CREATE TABLE la_identity_provider_break_glass (
      organisation_id integer NOT NULL REFERENCES la_identity_providers (organisation_id) ON DELETE CASCADE,
      account_id uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
      PRIMARY KEY (organisation_id, account_id)
    )`.execute(db);
  // The sign-in asks "is this account break-glass?" by account; an account's deletion cascades by it too.
  await sql`CREATE INDEX la_identity_provider_break_glass_by_account ON la_identity_provider_break_glass (account_id)`.execute(
    db,
  );
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE IF EXISTS la_identity_provider_break_glass`.execute(db);
  await sql`DROP TABLE IF EXISTS la_identity_providers`.execute(db);
}
