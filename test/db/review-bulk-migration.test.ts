import { randomUUID } from 'node:crypto';
import { Migrator, sql, type Kysely, type Migration } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatabaseHandle } from '../../src/data/connect.ts';
import { MIGRATION_NAMES, migrateToLatest } from '../../src/data/migrate.ts';
import * as m0001 from '../../src/data/migrations/0001-initial.ts';
import * as m0002 from '../../src/data/migrations/0002-api-tokens-and-imports.ts';
import * as m0003 from '../../src/data/migrations/0003-access-review-details.ts';
import * as m0004 from '../../src/data/migrations/0004-lifecycle-schedule.ts';
import * as m0005 from '../../src/data/migrations/0005-admin-list-indexes.ts';
import * as m0006 from '../../src/data/migrations/0006-admin-list-search.ts';
import { createTestDatabase } from '../support/test-db.ts';

/**
 * Migration 0007 (issue 13) on a database that already holds reviews, on PGlite or on the
 * PostgreSQL server of TEST_DATABASE_URL: bulk decisions made before it are marked as bulk where
 * their unanswered questions show it, and nothing else changes.
 */
let handle: DatabaseHandle;

const BEFORE: Record<string, Migration> = {
  '0001-initial': m0001,
  '0002-api-tokens-and-imports': m0002,
  '0003-access-review-details': m0003,
  '0004-lifecycle-schedule': m0004,
  '0005-admin-list-indexes': m0005,
  '0006-admin-list-search': m0006,
};

beforeAll(async () => {
  handle = await createTestDatabase({ migrate: false });
});
afterAll(async () => handle?.close());

describe('migration 0007: decisions in bulk', () => {
  it('adds decided_in_bulk, marks earlier bulk archives by their unanswered questions, and leaves the answers alone', async () => {
    const db = handle.db as unknown as Kysely<unknown>;
    const before = await new Migrator({
      db,
      provider: { getMigrations: () => Promise.resolve(BEFORE) },
    }).migrateToLatest();
    expect(before.error).toBeUndefined();
    expect(MIGRATION_NAMES).toContain('0007-review-bulk-decisions');

    const review = randomUUID();
    const [individual, bulkArchive, bulkKeep, undecided] = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];
    await sql`INSERT INTO organisations (la_code, name, kind, created_at) VALUES ('202', 'Camden', 'la', now())`.execute(
      db,
    );
    await sql`
      INSERT INTO access_reviews (id, organisation_id, name, due_on, opened_at)
      SELECT ${review}, id, 'Autumn', '2026-12-31', now() FROM organisations`.execute(db);
    await sql`
      INSERT INTO access_review_items
        (review_id, account_id, account_label, still_employed, post_needs_access, pupil_level_right, cin_cla_right, decision)
      VALUES
        (${review}, ${individual}, 'One', true, false, true, true, 'archive'),
        (${review}, ${bulkArchive}, 'Two', NULL, false, NULL, NULL, 'archive'),
        (${review}, ${bulkKeep}, 'Three', true, true, true, true, 'keep'),
        (${review}, ${undecided}, 'Four', NULL, NULL, NULL, NULL, NULL)`.execute(db);

    expect(await migrateToLatest(handle.db)).toEqual(
      MIGRATION_NAMES.slice(MIGRATION_NAMES.indexOf('0007-review-bulk-decisions')),
    );
    const rows = await handle.db
      .selectFrom('access_review_items')
      .select(['account_label', 'decided_in_bulk', 'still_employed', 'post_needs_access'])
      .orderBy('account_label')
      .execute();
    expect(rows).toEqual([
      { account_label: 'Four', decided_in_bulk: false, still_employed: null, post_needs_access: null },
      { account_label: 'One', decided_in_bulk: false, still_employed: true, post_needs_access: false },
      // An earlier bulk keep recorded four answers and cannot be told from an individual one.
      { account_label: 'Three', decided_in_bulk: false, still_employed: true, post_needs_access: true },
      { account_label: 'Two', decided_in_bulk: true, still_employed: null, post_needs_access: false },
    ]);
    // A new item is not in bulk unless it says so.
    await sql`
      INSERT INTO access_review_items (review_id, account_id, account_label) VALUES (${review}, ${randomUUID()}, 'Five')`.execute(
      db,
    );
    const five = await handle.db
      .selectFrom('access_review_items')
      .select('decided_in_bulk')
      .where('account_label', '=', 'Five')
      .executeTakeFirstOrThrow();
    expect(five.decided_in_bulk).toBe(false);
  });
});
