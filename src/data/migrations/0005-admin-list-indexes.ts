import { sql, type Kysely } from 'kysely';

/**
 * Admin > Users at 1,000,000 accounts (issue 10; figures in bench/README.md, `npm run
 * bench:admin-list`):
 *
 * - `accounts_list_by_last_sign_in`: the page's "by last sign-in" order is NULLS FIRST (never
 *   signed in = longest inactive), which `accounts_by_last_sign_in` (ASC, NULLS LAST) cannot give,
 *   so every such page sorted the whole filtered LA. This one gives the order in both directions
 *   (backwards: DESC NULLS LAST), and with created_at and restored_at included it holds everything
 *   the inactivity filter (R34's GREATEST) needs: the rows of page N are found in the index alone
 *   (an index-only scan; user-list-queries.ts reads the table for the page's 50 rows only). Page
 *   200 reads 10,000 index entries instead of sorting 25,000 rows. It makes
 *   `accounts_by_last_sign_in` redundant for the list; it stays (test/db/migrations.test.ts pins
 *   it; dropping it is a clean-up for later).
 * - `accounts_inactive_since` (R34's expression, for the inactivity filter and the lifecycle job)
 *   gains the three columns of its expression as INCLUDE columns: PostgreSQL uses an index alone
 *   (index-only scan) only when every column a query names is in it, so until now counting "not
 *   signed in for 12 months" read each matching row from the table. Now the count reads only the
 *   index range it needs (25,000 entries of the LA of 50,000, not all 46,000 of its active ones).
 * - Free text (R21) — name, username and email, anywhere in them — on PostgreSQL servers that have
 *   the `pg_trgm` extension (standard contrib, trusted: a database owner may create it): trigram
 *   indexes on exactly the expressions the list filters on (user-list-queries.ts), so a search
 *   reads the accounts that contain the text instead of lowercasing every account of the LA three
 *   times. Where pg_trgm is not available (the embedded PGlite database, which loads only citext;
 *   a server without contrib) they are left out: the same search gives the same rows, by scanning.
 *   `down` leaves the extension in place (something else may use it).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE INDEX accounts_list_by_last_sign_in ON accounts (organisation_id, status, last_sign_in_at NULLS FIRST, id)
    INCLUDE (created_at, restored_at)`.execute(db);

  await sql`DROP INDEX accounts_inactive_since`.execute(db);
  await sql`
    CREATE INDEX accounts_inactive_since ON accounts (organisation_id, status, (GREATEST(last_sign_in_at, created_at, restored_at)))
    INCLUDE (last_sign_in_at, created_at, restored_at)`.execute(db);

  const { rows } = await sql<{ ready: boolean }>`
    SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm')
      OR (EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm') AND has_database_privilege(current_database(), 'CREATE'))
      AS ready`.execute(db);
  if (!rows[0]?.ready) return;
  await sql`CREATE EXTENSION IF NOT EXISTS pg_trgm`.execute(db);
  await sql`CREATE INDEX accounts_search_name ON accounts USING gin (lower(first_name || ' ' || last_name) gin_trgm_ops)`.execute(
    db,
  );
  await sql`CREATE INDEX accounts_search_username ON accounts USING gin (lower(username::text) gin_trgm_ops)`.execute(
    db,
  );
  await sql`CREATE INDEX accounts_search_email ON accounts USING gin (lower(email) gin_trgm_ops)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const index of [
    'accounts_search_email',
    'accounts_search_username',
    'accounts_search_name',
    'accounts_list_by_last_sign_in',
  ]) {
    await sql`DROP INDEX IF EXISTS ${sql.id(index)}`.execute(db);
  }
  await sql`DROP INDEX accounts_inactive_since`.execute(db);
  await sql`CREATE INDEX accounts_inactive_since ON accounts (organisation_id, status, (GREATEST(last_sign_in_at, created_at, restored_at)))`.execute(
    db,
  );
}
