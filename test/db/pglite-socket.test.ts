import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type DatabaseHandle } from '../../src/data/connect.ts';

/**
 * The embedded database's connection (src/data/pglite-socket.ts): node-postgres speaking to PGlite
 * as to a server, a query's messages sent together. Always on PGlite, whatever TEST_DATABASE_URL
 * says: it is PGlite's transport that is tested.
 */
describe('node-postgres over PGlite, messages sent together', () => {
  let handle: DatabaseHandle;
  beforeAll(async () => {
    handle = await connect({ pgliteDir: 'memory://' });
    await sql`CREATE TABLE notes (id int PRIMARY KEY, body text NOT NULL)`.execute(handle.db);
  });
  afterAll(async () => {
    await handle.close();
  });

  it('answers parameters, NULLs, unicode and types as PostgreSQL does', async () => {
    const { rows } = await sql<{
      n: number;
      t: string;
      nothing: null;
      big: string;
      when: Date;
      flag: boolean;
      list: number[];
    }>`SELECT ${41}::int + 1 AS n, ${'Zoë 🙂 <b>&'}::text AS t, NULL AS nothing, 9007199254740993::bigint AS big,
          '2026-12-04T10:00:00Z'::timestamptz AS when, true AS flag, ARRAY[1,2,3] AS list`.execute(handle.db);
    expect(rows).toEqual([
      {
        n: 42,
        t: 'Zoë 🙂 <b>&',
        nothing: null,
        big: '9007199254740993',
        when: new Date('2026-12-04T10:00:00Z'),
        flag: true,
        list: [1, 2, 3],
      },
    ]);
  });

  it('gives a failed statement its error, and the connection goes on working', async () => {
    await handle.db
      .insertInto('notes' as never)
      .values({ id: 1, body: 'first' })
      .execute();
    const duplicate = await handle.db
      .insertInto('notes' as never)
      .values({ id: 1, body: 'again' } as never)
      .execute()
      .catch((error: unknown) => error);
    expect(duplicate).toMatchObject({ code: '23505', constraint: 'notes_pkey' });
    const syntax = await sql`SELEC 1`.execute(handle.db).catch((error: unknown) => error);
    expect(syntax).toMatchObject({ code: '42601' });
    const { rows } = await sql<{ body: string }>`SELECT body FROM notes`.execute(handle.db);
    expect(rows).toEqual([{ body: 'first' }]);
  });

  it('rolls a failed transaction back whole', async () => {
    const failed = await handle.db
      .transaction()
      .execute(async (trx) => {
        await sql`INSERT INTO notes VALUES (2, 'second')`.execute(trx);
        await sql`INSERT INTO notes VALUES (2, 'clash')`.execute(trx);
      })
      .catch((error: unknown) => error);
    expect(failed).toMatchObject({ code: '23505' });
    const { rows } = await sql<{ id: number }>`SELECT id FROM notes ORDER BY id`.execute(handle.db);
    expect(rows).toEqual([{ id: 1 }]);
  });

  it('returns answers larger than PGlite’s 1 MiB receive buffer whole', async () => {
    const { rows } = await sql<{ s: string }>`SELECT repeat('ab', 1500000) AS s`.execute(handle.db);
    expect(rows[0]!.s.length).toBe(3_000_000);
    expect(rows[0]!.s.startsWith('abab') && rows[0]!.s.endsWith('abab')).toBe(true);
    const many = await sql<{ n: number; label: string }>`
      SELECT n, 'row ' || n AS label FROM generate_series(1, 60000) AS n`.execute(handle.db);
    expect(many.rows).toHaveLength(60_000);
    expect(many.rows[0]).toEqual({ n: 1, label: 'row 1' });
    expect(many.rows[59_999]).toEqual({ n: 60_000, label: 'row 60000' });
  });

  it('runs queries sent at the same moment one after another, each with its own answer', async () => {
    const answers = await Promise.all(
      Array.from({ length: 25 }, (_, i) => sql<{ i: number }>`SELECT ${i}::int AS i`.execute(handle.db)),
    );
    expect(answers.map((a) => a.rows[0]!.i)).toEqual(Array.from({ length: 25 }, (_, i) => i));
  });
});

describe('node-postgres over an embedded database on disk', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'nexus-pglite-socket-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps what was committed when the database is opened again', async () => {
    const first = await connect({ pgliteDir: dir });
    await sql`CREATE TABLE kept (v text)`.execute(first.db);
    await sql`INSERT INTO kept VALUES ('still here')`.execute(first.db);
    await first.close();
    const again = await connect({ pgliteDir: dir });
    try {
      const { rows } = await sql<{ v: string }>`SELECT v FROM kept`.execute(again.db);
      expect(rows).toEqual([{ v: 'still here' }]);
    } finally {
      await again.close();
    }
  });
});
