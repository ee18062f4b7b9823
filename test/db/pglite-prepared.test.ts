import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import type { Duplex } from 'node:stream';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { PreparedStatements } from '../../src/data/pglite-prepared.ts';
import { PgliteSocket } from '../../src/data/pglite-socket.ts';

/**
 * The embedded database's prepared statements (src/data/pglite-prepared.ts): queries Kysely sends
 * unnamed are kept by PGlite's one session and bound again, across pg clients, and never answer
 * differently from an unnamed query. Always on PGlite, whatever TEST_DATABASE_URL says.
 */
describe('prepared statements kept by the embedded database', () => {
  let pglite: PGlite;
  let prepared: PreparedStatements;
  let pool: pg.Pool;

  /** What the session has prepared, read beside pg (PGlite's own query path). */
  const kept = async () =>
    (
      await pglite.query<{ name: string; statement: string }>(
        'SELECT name, statement FROM pg_prepared_statements ORDER BY name',
      )
    ).rows;

  const open = (max?: number) => {
    prepared = new PreparedStatements(max);
    pool = new pg.Pool({ stream: () => new PgliteSocket(pglite, false, prepared) as unknown as Duplex, max: 1 });
  };

  // One PGlite for the file (its initdb costs a few CPU-seconds); each test starts with a new
  // table, no statement prepared in the session and a new PreparedStatements.
  beforeAll(async () => {
    pglite = await PGlite.create('memory://');
  });
  afterAll(() => pglite.close());
  beforeEach(async () => {
    await pglite.exec(`DEALLOCATE ALL; DROP TABLE IF EXISTS notes;
      CREATE TABLE notes (id int PRIMARY KEY, body text NOT NULL);
      INSERT INTO notes SELECT n, 'note ' || n FROM generate_series(1, 20) n;`);
    open();
  });
  afterEach(() => pool.end());

  it('parses a query once and binds it again with each run’s parameters', async () => {
    for (const id of [3, 7, 11, 3]) {
      const { rows } = await pool.query('SELECT id, body FROM notes WHERE id = $1', [id]);
      expect(rows).toEqual([{ id, body: `note ${id}` }]);
    }
    expect(prepared.size).toBe(1);
    expect(await kept()).toEqual([{ name: 'nexus_1', statement: 'SELECT id, body FROM notes WHERE id = $1' }]);
    // Writes too, with their RETURNING rows and counts.
    for (const id of [4, 5]) {
      const result = await pool.query('UPDATE notes SET body = $2 WHERE id = $1 RETURNING body', [id, `changed ${id}`]);
      expect([result.rowCount, result.rows]).toEqual([1, [{ body: `changed ${id}` }]]);
    }
    expect(prepared.size).toBe(2);
  });

  it('keeps them for the session, not the client: a new pg client binds what an earlier one prepared', async () => {
    const first = await pool.connect();
    expect((await first.query('SELECT body FROM notes WHERE id = $1', [1])).rows).toEqual([{ body: 'note 1' }]);
    first.release(true); // closed, as the pool closes an idle client
    const second = await pool.connect();
    expect(second).not.toBe(first);
    // A client that parsed under the same name itself would get "prepared statement already exists".
    expect((await second.query('SELECT body FROM notes WHERE id = $1', [2])).rows).toEqual([{ body: 'note 2' }]);
    second.release();
    expect((await kept()).map((k) => k.name)).toEqual(['nexus_1']);
  });

  it('forgets them at a schema change, so a SELECT * after a new column answers with it', async () => {
    expect((await pool.query('SELECT * FROM notes WHERE id = $1', [1])).rows).toEqual([{ id: 1, body: 'note 1' }]);
    await pool.query('ALTER TABLE notes ADD COLUMN tag text');
    expect(prepared.size).toBe(0);
    expect((await pool.query('SELECT * FROM notes WHERE id = $1', [1])).rows).toEqual([
      { id: 1, body: 'note 1', tag: null },
    ]);
  });

  it('parses again and answers when a kept statement went stale outside a transaction; inside one, the error stands as PostgreSQL gives it', async () => {
    await pool.query('SELECT * FROM notes WHERE id = $1', [1]);
    // A change it does not see pass (made beside pg): the kept plan's result type is now wrong.
    await pglite.exec('ALTER TABLE notes ADD COLUMN tag text');
    expect((await pool.query('SELECT * FROM notes WHERE id = $1', [1])).rows).toEqual([
      { id: 1, body: 'note 1', tag: null },
    ]);

    await pool.query('SELECT * FROM notes WHERE id = $1', [2]);
    await pglite.exec('ALTER TABLE notes DROP COLUMN tag');
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      await expect(client.query('SELECT * FROM notes WHERE id = $1', [2])).rejects.toMatchObject({ code: '0A000' });
      await client.query('ROLLBACK');
      expect((await client.query('SELECT * FROM notes WHERE id = $1', [2])).rows).toEqual([{ id: 2, body: 'note 2' }]);
    } finally {
      client.release();
    }
  });

  it('keeps nothing for a statement that fails to parse, and passes errors through in order', async () => {
    await expect(pool.query('SELECT nonsense FROM notes WHERE id = $1', [1])).rejects.toMatchObject({ code: '42703' });
    expect(prepared.size).toBe(0);
    await pool.query('SELECT body FROM notes WHERE id = $1', [1]);
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      await expect(client.query('INSERT INTO notes VALUES ($1, $2)', [1, 'again'])).rejects.toMatchObject({
        code: '23505',
      });
      // A kept statement in the failed transaction: PostgreSQL's own refusal, nothing else.
      await expect(client.query('SELECT body FROM notes WHERE id = $1', [1])).rejects.toMatchObject({ code: '25P02' });
      await client.query('ROLLBACK');
      expect((await client.query('SELECT body FROM notes WHERE id = $1', [9])).rows).toEqual([{ body: 'note 9' }]);
    } finally {
      client.release();
    }
  });

  it('keeps only queries, and at most its limit; beyond it queries go unnamed and still answer', async () => {
    open(3);
    await pool.query('SET application_name = $1'.replace('$1', "'nexus'"));
    await pool.query('CREATE TABLE other (id int)');
    expect(prepared.size).toBe(0);
    for (let id = 1; id <= 6; id++) {
      const { rows } = await pool.query(`SELECT body FROM notes WHERE id = $1 AND ${id} > 0`, [id]);
      expect(rows).toEqual([{ body: `note ${id}` }]);
    }
    expect(prepared.size).toBe(3);
    expect((await kept()).length).toBe(3);
  });
});
