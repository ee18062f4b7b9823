import { readFileSync } from 'node:fs';
import { sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { connect } from '../../src/data/connect.ts';
import { migrateToLatest } from '../../src/data/migrate.ts';
import { createOrganisation } from '../support/fixtures.ts';
import { poolCounts, pooledPgliteDatabase } from '../support/pglite-pool.ts';
import { pgliteTestDatabase } from '../support/test-db.ts';

/**
 * The worker's pool of in-memory test databases (test/support/pglite-pool.ts): a database goes to
 * the next user only in the template's state, proved by its fingerprint; anything a test leaves
 * that the reset does not undo means a new database instead. Run in both CI passes: on the
 * PostgreSQL pass, which has no PGlite template, the file makes its own.
 */

let template: Blob;

beforeAll(async () => {
  const file = inject('pgliteTemplateFile');
  if (file) {
    template = new Blob([readFileSync(file)]);
    return;
  }
  const handle = await connect({ pgliteDir: 'memory://' });
  await migrateToLatest(handle.db);
  template = await handle.dumpDataDir!();
  await handle.close();
}, 120_000);

/** What the pool did while `action` ran. */
async function counted(action: () => Promise<void>) {
  const before = { ...poolCounts };
  await action();
  return {
    opened: poolCounts.opened - before.opened,
    reused: poolCounts.reused - before.reused,
    discarded: poolCounts.discarded - before.discarded,
  };
}

const organisationCount = async (db: Awaited<ReturnType<typeof pooledPgliteDatabase>>['db']) =>
  Number(
    (
      await db
        .selectFrom('organisations')
        .select((eb) => eb.fn.countAll().as('n'))
        .executeTakeFirstOrThrow()
    ).n,
  );

describe('the pool of in-memory test databases', () => {
  it('gives a closed database to the next user emptied, with its identities restarted and its reference rows kept', async () => {
    const first = await pooledPgliteDatabase(template);
    const privileges = await first.db.selectFrom('privileges').selectAll().orderBy('code').execute();
    expect(privileges.length).toBeGreaterThan(0);
    const firstId = await createOrganisation(first.db, '931', 'Northshire');
    await createOrganisation(first.db, '932', 'Southshire');
    await first.close();

    let secondId = 0;
    const counts = await counted(async () => {
      const second = await pooledPgliteDatabase(template);
      expect(await organisationCount(second.db)).toBe(0);
      expect(await second.db.selectFrom('privileges').selectAll().orderBy('code').execute()).toEqual(privileges);
      secondId = await createOrganisation(second.db, '931', 'Northshire');
      await second.close();
    });
    expect(counts).toEqual({ opened: 0, reused: 1, discarded: 0 });
    expect(secondId).toBe(firstId);
  });

  it('resets the session: a setting changed by the last user is back to its default', async () => {
    const first = await pooledPgliteDatabase(template);
    const { rows: before } = await sql<{ tz: string }>`SELECT current_setting('TimeZone') AS tz`.execute(first.db);
    await sql`SET TIME ZONE 'Pacific/Auckland'`.execute(first.db);
    await first.close();
    const counts = await counted(async () => {
      const second = await pooledPgliteDatabase(template);
      const { rows } = await sql<{ tz: string }>`SELECT current_setting('TimeZone') AS tz`.execute(second.db);
      expect(rows).toEqual(before);
      await second.close();
    });
    expect(counts.reused).toBe(1);
  });

  it('hands on neither a statement the last user prepared nor a sequence it altered', async () => {
    const first = await pooledPgliteDatabase(template);
    await sql`PREPARE left_over AS SELECT 42`.execute(first.db);
    await first.close();
    const second = await pooledPgliteDatabase(template);
    const prepared = await sql`SELECT name FROM pg_prepared_statements WHERE name = 'left_over'`.execute(second.db);
    expect(prepared.rows).toEqual([]);
    await sql`ALTER SEQUENCE organisations_id_seq INCREMENT BY 7`.execute(second.db);
    const counts = await counted(async () => {
      await second.close();
      const third = await pooledPgliteDatabase(template);
      const { rows } = await sql<{ step: string }>`
        SELECT increment_by::text AS step FROM pg_sequences WHERE sequencename = 'organisations_id_seq'`.execute(
        third.db,
      );
      expect(rows).toEqual([{ step: '1' }]);
      await third.close();
    });
    expect(counts.discarded).toBe(1);
  });

  it('does not hand on a database whose schema a test changed: the next user gets a new one without the change', async () => {
    const first = await pooledPgliteDatabase(template);
    await sql`CREATE TABLE left_behind (id int)`.execute(first.db);
    const counts = await counted(async () => {
      await first.close();
      const second = await pooledPgliteDatabase(template);
      const { rows } = await sql<{ t: string | null }>`SELECT to_regclass('left_behind')::text AS t`.execute(second.db);
      expect(rows).toEqual([{ t: null }]);
      await second.close();
    });
    // The next database is a new one, or another idle one of this worker's (files share the pool).
    expect(counts.discarded).toBe(1);
    expect(counts.opened + counts.reused).toBe(1);
  });

  it('does not hand on a database whose reference rows a test changed', async () => {
    const first = await pooledPgliteDatabase(template);
    const [privilege] = await first.db.selectFrom('privileges').select('code').orderBy('code').limit(1).execute();
    await first.db
      .updateTable('privileges')
      .set({ label: 'Changed by a test' })
      .where('code', '=', privilege!.code)
      .execute();
    const counts = await counted(async () => {
      await first.close();
      const second = await pooledPgliteDatabase(template);
      const row = await second.db
        .selectFrom('privileges')
        .select('label')
        .where('code', '=', privilege!.code)
        .executeTakeFirstOrThrow();
      expect(row.label).not.toBe('Changed by a test');
      await second.close();
    });
    expect(counts.discarded).toBe(1);
    expect(counts.opened + counts.reused).toBe(1);
  });

  it('refuses queries through a handle once it is closed, so nothing a file left running reaches the next file', async () => {
    const first = await pooledPgliteDatabase(template);
    await first.close();
    await expect(organisationCount(first.db)).rejects.toThrow('This test database was closed.');
    const second = await pooledPgliteDatabase(template);
    expect(await organisationCount(second.db)).toBe(0);
    await second.close();
  });

  // NEXUS_TEST_DB_POOL=0 turns the pool off, not the template: each file gets a new copy of the
  // template as before the pool, not a database migrated from nothing (much slower).
  it('with NEXUS_TEST_DB_POOL=0, opens a new copy of the template instead of migrating a new database', async () => {
    // The file's template was made (and migrated) in beforeAll, before this test began.
    const started = new Date().toISOString();
    const before = process.env.NEXUS_TEST_DB_POOL;
    process.env.NEXUS_TEST_DB_POOL = '0';
    try {
      const counts = await counted(async () => {
        const handle = await pgliteTestDatabase(template, true);
        try {
          const { rows } = await sql<{
            latest: string;
          }>`SELECT max(timestamp) AS latest FROM kysely_migration`.execute(handle.db);
          expect(rows[0]!.latest < started).toBe(true);
        } finally {
          await handle.close();
        }
      });
      expect(counts).toEqual({ opened: 0, reused: 0, discarded: 0 });
    } finally {
      if (before === undefined) delete process.env.NEXUS_TEST_DB_POOL;
      else process.env.NEXUS_TEST_DB_POOL = before;
    }
  });
});
