import { sql, type Kysely } from 'kysely';

/**
 * An account that the LA's identity system deleted (SCIM DELETE in the default archive mode,
 * issue 14): archived with reason provisioning and restorable by the LA, but gone for SCIM
 * (RFC 7644 §3.6: GET, PUT, PATCH and DELETE answer 404 and the list leaves it out). Any restore
 * clears the mark; a re-hire (a POST of the same userName) restores the account and clears it too.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE accounts ADD COLUMN deprovisioned_at timestamptz`.execute(db);
  // Only an archived account can be gone for SCIM: a restore that forgot the mark would hide a live account.
  await sql`ALTER TABLE accounts ADD CONSTRAINT accounts_deprovisioned_archived CHECK (deprovisioned_at IS NULL OR status = 'archived')`.execute(
    db,
  );
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE accounts DROP CONSTRAINT IF EXISTS accounts_deprovisioned_archived`.execute(db);
  await sql`ALTER TABLE accounts DROP COLUMN IF EXISTS deprovisioned_at`.execute(db);
}
