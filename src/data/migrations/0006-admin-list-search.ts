import { sql, type Kysely } from 'kysely';

/**
 * Admin > Users' free text (R21) at 1,000,000 accounts (issue 10; `npm run bench:admin-list`).
 *
 * 0005's three trigram indexes (name, username, email) each found the text in every LA: a search
 * for "thompson" in an LA of 50,000 collected 4,965 candidates from the whole table and read 4,740
 * table pages to keep the LA's 222, in the count and again in the page query (28 ms each). Now the
 * list filters on ONE expression — name, username and email joined by a unit separator (U+001F),
 * which a search containing no U+001F can never match across, so it matches exactly the rows one
 * of the three would (user-list-queries.ts falls back to the three when the text holds it) — and
 * one GIN index holds the LA next to that expression's trigrams (`btree_gin` lets an integer sit in
 * a GIN index), so the index alone narrows the search to the LA's matches: 237 candidates, 3 ms.
 * The three indexes of 0005 are dropped: nothing else reads them, and each cost every write of an
 * account's name, username or email.
 *
 * Like 0005, only where the server has both contrib extensions (standard contrib, trusted: a
 * database owner may create them). The embedded PGlite database loads only citext: there the
 * same search gives the same rows by scanning the LA.
 */
/** The same expression as SEARCH_TEXT in user-list-queries.ts (the planner matches the index by it). */
const SEARCH_EXPRESSION = sql.raw(
  `lower(first_name || ' ' || last_name || E'\\x1f' || username::text || E'\\x1f' || email)`,
);

async function available(db: Kysely<unknown>, extensions: readonly string[]): Promise<boolean> {
  const { rows } = await sql<{ ready: boolean }>`
    SELECT bool_and(
      EXISTS (SELECT 1 FROM pg_extension WHERE extname = e)
      OR (EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = e) AND has_database_privilege(current_database(), 'CREATE'))
    ) AS ready
    FROM unnest(${[...extensions]}::text[]) AS e`.execute(db);
  return rows[0]?.ready === true;
}

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const index of ['accounts_search_name', 'accounts_search_username', 'accounts_search_email']) {
    await sql`DROP INDEX IF EXISTS ${sql.id(index)}`.execute(db);
  }
  if (!(await available(db, ['pg_trgm', 'btree_gin']))) return;
  await sql`CREATE EXTENSION IF NOT EXISTS pg_trgm`.execute(db);
  await sql`CREATE EXTENSION IF NOT EXISTS btree_gin`.execute(db);
  await sql`CREATE INDEX accounts_search ON accounts USING gin (organisation_id, (${SEARCH_EXPRESSION}) gin_trgm_ops)`.execute(
    db,
  );
}

/** Back to 0005's indexes; the extensions stay (something else may use them). */
export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP INDEX IF EXISTS accounts_search`.execute(db);
  if (!(await available(db, ['pg_trgm']))) return;
  await sql`CREATE EXTENSION IF NOT EXISTS pg_trgm`.execute(db);
  await sql`CREATE INDEX accounts_search_name ON accounts USING gin (lower(first_name || ' ' || last_name) gin_trgm_ops)`.execute(
    db,
  );
  await sql`CREATE INDEX accounts_search_username ON accounts USING gin (lower(username::text) gin_trgm_ops)`.execute(
    db,
  );
  await sql`CREATE INDEX accounts_search_email ON accounts USING gin (lower(email) gin_trgm_ops)`.execute(db);
}
