import { sql, type Kysely } from 'kysely';

/**
 * Password-less sign-in with a passkey (R65, issue 15 item 5), where the LA allows it: one flag per
 * organisation, off unless its administrators turn it on.
 *
 * The sign-in page offers the ceremony before anyone is known, so its challenge cannot live on a
 * session: the page carries it sealed (with its expiry), and the answer spends it here, once. A row
 * is needed only until the challenge would have expired anyway.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE organisations ADD COLUMN passkey_sign_in boolean NOT NULL DEFAULT false`.execute(db);
  await sql`
    CREATE TABLE webauthn_spent_challenges (
      challenge_hash text PRIMARY KEY,
      expires_at timestamptz NOT NULL
    )`.execute(db);
  await sql`CREATE INDEX webauthn_spent_challenges_by_expiry ON webauthn_spent_challenges (expires_at)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE IF EXISTS webauthn_spent_challenges`.execute(db);
  await sql`ALTER TABLE organisations DROP COLUMN IF EXISTS passkey_sign_in`.execute(db);
}
