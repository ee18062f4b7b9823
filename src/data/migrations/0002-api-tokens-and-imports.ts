import { sql, type Kysely } from 'kysely';

/**
 * API tokens (R56/R57) and the record of GIAS school imports (R58a).
 *
 * A token is stored as its SHA-256 only; the plain token is shown once. It belongs to an LA and
 * to the administrator who created it, and acts with that person's privileges at the time of
 * use, so it weakens or stops when they do. `prefix` (the first characters, not secret on their
 * own) lets an administrator recognise a token in the list.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE api_tokens (
      id uuid PRIMARY KEY,
      organisation_id integer NOT NULL REFERENCES organisations (id),
      created_by uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
      name text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
      prefix text NOT NULL,
      token_hash text NOT NULL UNIQUE,
      created_at timestamptz NOT NULL,
      expires_at timestamptz,
      last_used_at timestamptz,
      revoked_at timestamptz,
      revoked_by uuid
    )`.execute(db);
  await sql`CREATE INDEX api_tokens_by_organisation ON api_tokens (organisation_id, created_at)`.execute(db);

  await sql`
    CREATE TABLE school_imports (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      file_name text NOT NULL,
      file_sha256 text NOT NULL,
      imported_at timestamptz NOT NULL,
      imported_by text NOT NULL,
      rows_read integer NOT NULL,
      organisations_created integer NOT NULL,
      organisations_updated integer NOT NULL,
      schools_created integer NOT NULL,
      schools_updated integer NOT NULL,
      schools_closed integer NOT NULL,
      schools_unchanged integer NOT NULL,
      rows_skipped integer NOT NULL,
      problems jsonb NOT NULL DEFAULT '[]'::jsonb
    )`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE IF EXISTS school_imports`.execute(db);
  await sql`DROP TABLE IF EXISTS api_tokens`.execute(db);
}
