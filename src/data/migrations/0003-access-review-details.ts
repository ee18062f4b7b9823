import { sql, type Kysely } from 'kysely';

/**
 * What an access review (R49) must keep to stand as evidence after the accounts change:
 * - each item's account as it was when the review opened (username, Type of User, privileges,
 *   schools, last sign-in), so the record still reads true after privileges change or the
 *   account is archived;
 * - for a "change" decision, the Type of User and privileges it was changed to;
 * - the names of who opened, decided and finished, which outlive the reviewers' accounts.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    ALTER TABLE access_reviews
      ADD COLUMN opened_by_label text NOT NULL DEFAULT '',
      ADD COLUMN finished_by_label text`.execute(db);
  await sql`CREATE INDEX access_reviews_by_organisation ON access_reviews (organisation_id, opened_at DESC)`.execute(
    db,
  );
  await sql`
    ALTER TABLE access_review_items
      ADD COLUMN snapshot jsonb NOT NULL DEFAULT '{}'::jsonb,
      ADD COLUMN changed_to jsonb,
      ADD COLUMN decided_by_label text,
      ADD CONSTRAINT access_review_items_note_length CHECK (note IS NULL OR length(note) <= 1000)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE access_review_items DROP CONSTRAINT IF EXISTS access_review_items_note_length,
    DROP COLUMN IF EXISTS snapshot, DROP COLUMN IF EXISTS changed_to, DROP COLUMN IF EXISTS decided_by_label`.execute(
    db,
  );
  await sql`DROP INDEX IF EXISTS access_reviews_by_organisation`.execute(db);
  await sql`ALTER TABLE access_reviews DROP COLUMN IF EXISTS opened_by_label, DROP COLUMN IF EXISTS finished_by_label`.execute(
    db,
  );
}
