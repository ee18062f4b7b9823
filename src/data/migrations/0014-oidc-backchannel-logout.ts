import { sql, type Kysely } from 'kysely';

/**
 * Back-channel logout when access ends (R63, issue 16 item 4).
 *
 * `oidc_state.account_id` is the account a provider row belongs to (its payload's accountId, or an
 * interaction's), copied by the adapter so that ending an account's access finds its sessions,
 * grants and tokens with one index, and deleting the account leaves none of them behind (R31).
 *
 * `oidc_logout_outbox` holds one back-channel logout per (provider session, application), written
 * in the transaction that ends the access and delivered by a worker with a lease and retries, as
 * email is. It keeps only what the logout token names: the account id (its `sub`) and the
 * application's `sid` for that session; the token itself is signed when it is sent.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE oidc_state ADD COLUMN account_id text`.execute(db);
  await sql`
    UPDATE oidc_state
    SET account_id = coalesce(payload->>'accountId', payload#>>'{session,accountId}', payload#>>'{result,login,accountId}')`.execute(
    db,
  );
  await sql`CREATE INDEX oidc_state_by_account ON oidc_state (account_id) WHERE account_id IS NOT NULL`.execute(db);

  await sql`
    CREATE TABLE oidc_logout_outbox (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      session_id text NOT NULL CHECK (length(session_id) BETWEEN 1 AND 500),
      client_id text NOT NULL CHECK (length(client_id) BETWEEN 1 AND 100),
      account_id text NOT NULL CHECK (length(account_id) BETWEEN 1 AND 500),
      sid text CHECK (length(sid) <= 500),
      status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed')),
      attempts integer NOT NULL DEFAULT 0,
      next_attempt_at timestamptz NOT NULL,
      lease_until timestamptz,
      last_error text,
      created_at timestamptz NOT NULL,
      finished_at timestamptz,
      CONSTRAINT oidc_logout_outbox_once UNIQUE (session_id, client_id)
    )`.execute(db);
  await sql`CREATE INDEX oidc_logout_outbox_due ON oidc_logout_outbox (next_attempt_at) WHERE status = 'pending'`.execute(
    db,
  );
  await sql`CREATE INDEX oidc_logout_outbox_finished ON oidc_logout_outbox (finished_at) WHERE finished_at IS NOT NULL`.execute(
    db,
  );
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE IF EXISTS oidc_logout_outbox`.execute(db);
  await sql`DROP INDEX IF EXISTS oidc_state_by_account`.execute(db);
  await sql`ALTER TABLE oidc_state DROP COLUMN IF EXISTS account_id`.execute(db);
}
