import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatabaseHandle } from '../../src/data/connect.ts';
import {
  countUsers,
  countUsersQuery,
  listUsers,
  userListFilter,
  type UserListFilter,
} from '../../src/data/queries/user-list-queries.ts';
import { createAccount, createOrganisation } from '../support/fixtures.ts';
import { createTestDatabase } from '../support/test-db.ts';

/**
 * Admin > Users' free text (R21): the name ("first last"), the username or the email contains the
 * text, in any case, wildcards taken literally. Since migration 0006 the list tests one expression
 * (the three joined by U+001F) that a trigram index serves on PostgreSQL; these pin that it answers
 * exactly as testing the three fields one by one would.
 */
let handle: DatabaseHandle;
let camden: number;
let kent: number;
const SECRET = 'test-secret-key-that-is-at-least-32-characters';

beforeAll(async () => {
  handle = await createTestDatabase();
  const db = handle.db;
  camden = await createOrganisation(db, '202', 'Camden');
  kent = await createOrganisation(db, '886', 'Kent');
  const people: Array<[number, string, string, string, string]> = [
    [camden, 'jo.smith', 'Jo', 'Smith', 'jo.smith@camden.gov.uk'],
    [camden, 'sam.jones', 'Samantha', 'Jones', 'samantha.jones@camden.gov.uk'],
    [camden, 'pat.obrien', 'Pat', "O'Brien-Lee", 'p.ob@camden.gov.uk'],
    [camden, 'percent.user', 'Fifty', 'Percent', '50%off@camden.gov.uk'],
    [camden, 'under_score', 'Under', 'Score', 'underscore@camden.gov.uk'],
    [camden, 'ali.khan', 'Ali', 'Khan', 'ALI.KHAN@CAMDEN.GOV.UK'],
    [kent, 'kent.smith', 'Kim', 'Smith', 'kim.smith@kent.gov.uk'],
  ];
  for (const [organisationId, username, firstName, lastName, email] of people) {
    await createAccount(db, SECRET, { organisationId, username, firstName, lastName, email });
  }
});

afterAll(async () => {
  await handle.close();
});

const filterFor = (text: string, organisationId = camden): UserListFilter =>
  userListFilter(organisationId, { q: text, page: 1, sort: 'name', status: 'active' }, new Date());

async function found(text: string, organisationId = camden): Promise<string[]> {
  const filter = filterFor(text, organisationId);
  const rows = await listUsers(handle.db, filter, 'name', 50, 0);
  expect(await countUsers(handle.db, filter)).toBe(rows.length);
  return rows.map((r) => r.username).sort();
}

describe('free text over name, username and email', () => {
  it('finds the text in the full name, the username or the email, in any case, in the LA only', async () => {
    expect(await found('smith')).toEqual(['jo.smith']);
    expect(await found('JO SMITH')).toEqual(['jo.smith']);
    expect(await found('sam.jones')).toEqual(['sam.jones']);
    expect(await found('samantha.j')).toEqual(['sam.jones']);
    expect(await found('ali.khan@camden')).toEqual(['ali.khan']);
    expect(await found("o'brien-l")).toEqual(['pat.obrien']);
    expect(await found('smith', kent)).toEqual(['kent.smith']);
  });

  it('takes % and _ literally', async () => {
    expect(await found('50%')).toEqual(['percent.user']);
    expect(await found('%')).toEqual(['percent.user']);
    expect(await found('under_')).toEqual(['under_score']);
    expect(await found('n_e')).toEqual([]); // as a wildcard, "nde" in under_score would match
  });

  it('never matches across two fields', async () => {
    // The end of one field and the start of the next: no single field contains these.
    expect(await found('smith jo.smith')).toEqual([]);
    expect(await found('smithjo')).toEqual([]);
    expect(await found('jones samantha')).toEqual([]);
    expect(await found('khan ali')).toEqual([]);
    // Not even with the separator itself in the text (U+001F): each field is tested on its own.
    expect(await found('smith\x1fjo.smith')).toEqual([]);
    expect(await found('\x1f')).toEqual([]);
  });

  it('filters on the very expression migration 0006 indexes, and has that index exactly where the server has pg_trgm and btree_gin', async () => {
    const { rows } = await sql<{ expression: string | null }>`
      SELECT pg_get_indexdef(to_regclass('accounts_search'), 2, false) AS expression`.execute(handle.db);
    const expression = rows[0]?.expression;
    const { rows: extensions } = await sql<{ name: string }>`
      SELECT name FROM pg_available_extensions WHERE name IN ('pg_trgm', 'btree_gin') ORDER BY name`.execute(handle.db);
    if (!expression) {
      // PGlite loads only citext: without both extensions 0006 creates no index, and the search
      // scans the LA, with the same answers as above.
      expect(extensions.map((e) => e.name)).not.toEqual(['btree_gin', 'pg_trgm']);
      return;
    }
    expect(extensions.map((e) => e.name)).toEqual(['btree_gin', 'pg_trgm']);
    // The planner can use an expression index only for a query that names the same expression;
    // on a table this small it prefers another index, so the test compares the expressions.
    const compiled = countUsersQuery(handle.db, filterFor('thompson')).compile();
    const result = await handle.db.executeQuery<{ 'QUERY PLAN': string }>({
      ...compiled,
      sql: `EXPLAIN ${compiled.sql}`,
    });
    const plan = result.rows.map((r) => r['QUERY PLAN']).join('\n');
    expect(expression).toContain('username');
    expect(plan).toContain(`${expression} ~~ '%thompson%'::text`);
  });
});
