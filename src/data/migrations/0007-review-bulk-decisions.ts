import { sql, type Kysely } from 'kysely';

/**
 * An access review's bulk decision (R49, issue 13) is recorded as what it was: one decision for
 * many accounts, with none of the four questions asked. Until now a bulk "keep" stored four "Yes"
 * answers nobody gave, and a bulk archive or delete a "No" to "still in a post that needs access",
 * so the evidence could not tell a bulk decision from one answered account by account.
 *
 * Earlier bulk archives and deletes are recognised by their unanswered questions (an account
 * decided on its own page always has all four answers) and marked; their recorded answers stay as
 * they were. Earlier bulk keeps cannot be told apart from individual ones and stay unmarked.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE access_review_items ADD COLUMN decided_in_bulk boolean NOT NULL DEFAULT false`.execute(db);
  await sql`
    UPDATE access_review_items SET decided_in_bulk = true
    WHERE decision IS NOT NULL
      AND (still_employed IS NULL OR post_needs_access IS NULL OR pupil_level_right IS NULL OR cin_cla_right IS NULL)`.execute(
    db,
  );
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE access_review_items DROP COLUMN IF EXISTS decided_in_bulk`.execute(db);
}
