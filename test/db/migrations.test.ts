import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type DatabaseHandle } from '../../src/data/connect.ts';
import type { Db, Executor } from '../../src/data/database.ts';
import { MIGRATION_NAMES, migrateToLatest } from '../../src/data/migrate.ts';
import { PRIVILEGES, USER_TYPES } from '../../src/domain/privileges.ts';
import { TOPICS } from '../../src/domain/topics.ts';
import { createTestDatabase } from '../support/test-db.ts';

/**
 * The schema of migrations/0001-initial.ts on whichever database the run targets: in-memory
 * PGlite by default, a fresh database on the PostgreSQL server of TEST_DATABASE_URL otherwise.
 */

let handle: DatabaseHandle & { url?: string };
let db: Db;

beforeAll(async () => {
  handle = await createTestDatabase({ migrate: false });
  db = handle.db;
});
afterAll(async () => handle?.close());

/** Everything a migration could change, read from the catalogues, in a stable order. */
async function schemaDump(executor: Executor) {
  const rows = async (query: ReturnType<typeof sql>) =>
    (await query.execute(executor)).rows as Record<string, unknown>[];
  return {
    tables: await rows(sql`
      SELECT table_name, table_type FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name`),
    columns: await rows(sql`
      SELECT table_name, column_name, ordinal_position, data_type, udt_name, is_nullable, column_default, is_identity
      FROM information_schema.columns WHERE table_schema = 'public' ORDER BY table_name, ordinal_position`),
    indexes: await rows(
      sql`SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' ORDER BY tablename, indexname`,
    ),
    constraints: await rows(sql`
      SELECT conrelid::regclass::text AS table_name, conname, contype, pg_get_constraintdef(oid) AS definition
      FROM pg_constraint WHERE connamespace = 'public'::regnamespace ORDER BY 1, 2`),
    extensions: await rows(sql`SELECT extname, extversion FROM pg_extension ORDER BY extname`),
    migrations: await rows(sql`SELECT name, timestamp FROM kysely_migration ORDER BY name`),
    // xmin is the transaction that wrote the row version: unchanged means not rewritten either.
    catalogue: {
      privileges: await rows(sql`SELECT xmin::text AS xmin, * FROM privileges ORDER BY code`),
      userTypes: await rows(sql`SELECT xmin::text AS xmin, * FROM user_types ORDER BY code`),
      userTypeDefaults: await rows(
        sql`SELECT xmin::text AS xmin, * FROM user_type_defaults ORDER BY user_type, privilege`,
      ),
      topics: await rows(sql`SELECT xmin::text AS xmin, * FROM communication_topics ORDER BY code`),
    },
  };
}

/** The SQLSTATE of a rejected statement (23505 unique, 23503 foreign key). */
async function sqlState(statement: Promise<unknown>): Promise<string | undefined> {
  try {
    await statement;
    return undefined;
  } catch (error) {
    return (error as { code?: string }).code ?? `no code: ${String(error)}`;
  }
}

let organisationId: number;

async function insertAccount(
  username: string,
  fields: { user_type?: string; default_school_group_id?: number | null } = {},
): Promise<string> {
  const id = randomUUID();
  const now = new Date('2025-01-01T00:00:00Z');
  await db
    .insertInto('accounts')
    .values({
      id,
      organisation_id: organisationId,
      username,
      first_name: 'Test',
      last_name: username,
      email: `${username}@example.gov.uk`,
      user_type: fields.user_type ?? 'la_officer',
      default_school_group_id: fields.default_school_group_id ?? null,
      created_at: now,
      updated_at: now,
    })
    .execute();
  return id;
}

async function insertGroup(name: string): Promise<number> {
  const row = await db
    .insertInto('school_groups')
    .values({ organisation_id: organisationId, name, created_at: new Date() })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

async function outboxRow(dedupKey: string) {
  const id = randomUUID();
  const now = new Date();
  return db
    .insertInto('email_outbox')
    .values({
      id,
      dedup_key: dedupKey,
      message_id: `<${id}@test.invalid>`,
      template: 'test',
      organisation_id: null,
      account_id: null,
      to_address: 'a@example.gov.uk',
      to_name: null,
      subject: 'S',
      text_body: 'T',
      html_body: '<p>T</p>',
      next_attempt_at: now,
      created_at: now,
    })
    .execute();
}

async function defaultGroupOf(accountId: string): Promise<number | null | undefined> {
  const row = await db
    .selectFrom('accounts')
    .select('default_school_group_id')
    .where('id', '=', accountId)
    .executeTakeFirst();
  return row?.default_school_group_id;
}

describe(`migrations (${process.env.TEST_DATABASE_URL ? 'PostgreSQL server' : 'PGlite'})`, () => {
  it('run from an empty database', async () => {
    expect((await schemaDumpTables()).length).toBe(0);
    expect(await migrateToLatest(db)).toEqual(MIGRATION_NAMES);
    expect(MIGRATION_NAMES[0]).toBe('0001-initial');
    const tables = (await schemaDumpTables()).map((t) => t.table_name);
    expect(tables).toEqual(
      expect.arrayContaining([
        'organisations',
        'privileges',
        'user_types',
        'user_type_defaults',
        'communication_topics',
        'schools',
        'school_groups',
        'school_group_schools',
        'accounts',
        'account_privileges',
        'school_assignments',
        'account_school_groups',
        'communication_subscriptions',
        'topic_messages',
        'sessions',
        'sign_in_throttle',
        'account_tokens',
        'audit_events',
        'email_outbox',
        'lifecycle_notices',
        'access_reviews',
        'access_review_items',
        'job_runs',
        'api_tokens',
        'school_imports',
      ]),
    );
    // The catalogue of src/domain is in its tables.
    const privileges = await db.selectFrom('privileges').select('code').orderBy('position').execute();
    expect(privileges.map((p) => p.code)).toEqual(PRIVILEGES.map((p) => p.code));
    const defaults = await db.selectFrom('user_type_defaults').selectAll().execute();
    expect(defaults.length).toBe(USER_TYPES.reduce((n, t) => n + t.defaults.length, 0));
    const topics = await db.selectFrom('communication_topics').select('code').orderBy('position').execute();
    expect(topics.map((t) => t.code)).toEqual(TOPICS.map((t) => t.code));
  });

  it('a second run applies nothing and changes nothing (schema and catalogue rows)', async () => {
    const before = await schemaDump(db);
    expect(before.indexes.length).toBeGreaterThan(20);
    expect(before.constraints.length).toBeGreaterThan(40);
    expect(await migrateToLatest(db)).toEqual([]);
    expect(await schemaDump(db)).toEqual(before);
  });

  it('brings catalogue rows that drifted from src/domain back in line, and only those', async () => {
    const before = await schemaDump(db);
    await db.updateTable('privileges').set({ label: 'An old label' }).where('code', '=', 'cin_cla').execute();
    await db.updateTable('communication_topics').set({ recommended: false }).where('code', '=', 'news').execute();
    await db
      .deleteFrom('user_type_defaults')
      .where('user_type', '=', 'la_officer')
      .where('privilege', '=', 'view_users')
      .execute();
    await db.insertInto('user_type_defaults').values({ user_type: 'read_only', privilege: 'pupil_level' }).execute();
    expect(await migrateToLatest(db)).toEqual([]);
    const after = await schemaDump(db);
    const strip = (rows: Record<string, unknown>[]) => rows.map(({ xmin: _xmin, ...rest }) => rest);
    for (const table of ['privileges', 'userTypes', 'userTypeDefaults', 'topics'] as const) {
      expect(strip(after.catalogue[table])).toEqual(strip(before.catalogue[table]));
    }
    // Rows that did not drift were not rewritten.
    const rewritten = after.catalogue.privileges
      .filter((r, i) => r.xmin !== before.catalogue.privileges[i]!.xmin)
      .map((r) => r.code);
    expect(rewritten).toEqual(['cin_cla']);
    expect(after.catalogue.userTypes.map((r) => r.xmin)).toEqual(before.catalogue.userTypes.map((r) => r.xmin));
  });

  it('runs safely from several processes at once (servers starting together)', async () => {
    const before = await schemaDump(db);
    // On PostgreSQL: separate connection pools, as separate processes have. PGlite has one owner.
    const others = handle.url
      ? await Promise.all([1, 2].map(() => connect({ databaseUrl: handle.url, poolSize: 2 })))
      : [];
    try {
      const results = await Promise.all([db, ...others.map((o) => o.db), db].map((d) => migrateToLatest(d)));
      expect(results).toEqual(results.map(() => []));
    } finally {
      await Promise.all(others.map((o) => o.close()));
    }
    expect(await schemaDump(db)).toEqual(before);
  });

  describe('constraints', () => {
    beforeAll(async () => {
      const row = await db
        .insertInto('organisations')
        .values({ kind: 'la', la_code: '202', name: 'Camden', created_at: new Date() })
        .returning('id')
        .executeTakeFirstOrThrow();
      organisationId = row.id;
    });

    it('usernames are unique case-insensitively (citext), across LAs and statuses', async () => {
      await insertAccount('Jo.Bloggs');
      expect(await sqlState(insertAccount('jo.bloggs'))).toBe('23505');
      expect(await sqlState(insertAccount('JO.BLOGGS'))).toBe('23505');
      const found = await db.selectFrom('accounts').select('username').where('username', '=', 'jO.bLoGgS').execute();
      expect(found.map((r) => r.username)).toEqual(['Jo.Bloggs']);
    });

    it('refuses usernames outside 3–64 characters of a-z 0-9 . _ - @', async () => {
      expect(await sqlState(insertAccount('ab'))).toBe('23514');
      expect(await sqlState(insertAccount('a'.repeat(65)))).toBe('23514');
      expect(await sqlState(insertAccount('jo bloggs'))).toBe('23514');
      expect(await sqlState(insertAccount("o'brien"))).toBe('23514');
    });

    it('a deleted account frees its username at once (R31)', async () => {
      const id = await insertAccount('leaver');
      await db.deleteFrom('accounts').where('id', '=', id).execute();
      const again = await insertAccount('LEAVER');
      expect(again).not.toBe(id);
    });

    it('the outbox deduplication key is unique', async () => {
      await outboxRow('invitation:abc');
      expect(await sqlState(outboxRow('invitation:abc'))).toBe('23505');
      const rows = await db.selectFrom('email_outbox').select('id').where('dedup_key', '=', 'invitation:abc').execute();
      expect(rows).toHaveLength(1);
    });

    it('a lifecycle notice is unique per account, inactivity period and stage (R36)', async () => {
      const account = await insertAccount('sleeper');
      const period = new Date('2024-01-01T00:00:00Z');
      const notice = (stage: string, periodStart = period) =>
        db
          .insertInto('lifecycle_notices')
          .values({ account_id: account, period_start: periodStart, stage, sent_at: new Date() })
          .execute();
      await notice('warning_1');
      expect(await sqlState(notice('warning_1'))).toBe('23505');
      await notice('warning_2');
      await notice('warning_1', new Date('2025-06-01T00:00:00Z'));
      expect(await sqlState(notice('warning_99'))).toBe('23514');
    });

    it("the default school group must be one of the account's groups (R10)", async () => {
      const group = await insertGroup('North cluster');
      const account = await insertAccount('grouped');
      // Not assigned: refused.
      expect(
        await sqlState(
          db.updateTable('accounts').set({ default_school_group_id: group }).where('id', '=', account).execute(),
        ),
      ).toBe('23503');
      expect(await sqlState(insertAccount('grouped.too', { default_school_group_id: group }))).toBe('23503');
      await db.insertInto('account_school_groups').values({ account_id: account, school_group_id: group }).execute();
      await db.updateTable('accounts').set({ default_school_group_id: group }).where('id', '=', account).execute();
      expect(await defaultGroupOf(account)).toBe(group);
    });

    it('unassigning the default group clears the default (SET NULL), and so does deleting the group', async () => {
      const [a, b] = [await insertGroup('East cluster'), await insertGroup('West cluster')];
      const account = await insertAccount('two.groups');
      await db
        .insertInto('account_school_groups')
        .values([
          { account_id: account, school_group_id: a },
          { account_id: account, school_group_id: b },
        ])
        .execute();
      await db.updateTable('accounts').set({ default_school_group_id: a }).where('id', '=', account).execute();

      // Unassigning another group leaves the default alone.
      await db
        .deleteFrom('account_school_groups')
        .where('account_id', '=', account)
        .where('school_group_id', '=', b)
        .execute();
      expect(await defaultGroupOf(account)).toBe(a);
      await db
        .deleteFrom('account_school_groups')
        .where('account_id', '=', account)
        .where('school_group_id', '=', a)
        .execute();
      expect(await defaultGroupOf(account)).toBeNull();
      // The account itself is untouched.
      expect(await db.selectFrom('accounts').select('username').where('id', '=', account).executeTakeFirst()).toEqual({
        username: 'two.groups',
      });

      const c = await insertGroup('South cluster');
      await db.insertInto('account_school_groups').values({ account_id: account, school_group_id: c }).execute();
      await db.updateTable('accounts').set({ default_school_group_id: c }).where('id', '=', account).execute();
      await db.deleteFrom('school_groups').where('id', '=', c).execute();
      expect(await defaultGroupOf(account)).toBeNull();
    });

    it('an account with a default group, schools, privileges and subscriptions can be deleted (R31)', async () => {
      const group = await insertGroup('Deletion cluster');
      const account = await insertAccount('to.delete');
      await db.insertInto('account_school_groups').values({ account_id: account, school_group_id: group }).execute();
      await db.updateTable('accounts').set({ default_school_group_id: group }).where('id', '=', account).execute();
      await db.insertInto('account_privileges').values({ account_id: account, privilege: 'summary_reports' }).execute();
      await db
        .insertInto('communication_subscriptions')
        .values({ account_id: account, topic: 'news', subscribed_at: new Date() })
        .execute();
      await db.deleteFrom('accounts').where('id', '=', account).execute();
      expect(
        await db.selectFrom('account_school_groups').select('account_id').where('account_id', '=', account).execute(),
      ).toEqual([]);
      expect(await db.selectFrom('school_groups').select('id').where('id', '=', group).execute()).toEqual([
        { id: group },
      ]);
    });

    it('unknown privilege, Type of User and topic codes are refused by foreign keys', async () => {
      const account = await insertAccount('catalogue.check');
      expect(
        await sqlState(
          db.insertInto('account_privileges').values({ account_id: account, privilege: 'superuser' }).execute(),
        ),
      ).toBe('23503');
      expect(await sqlState(insertAccount('bad.type', { user_type: 'wizard' }))).toBe('23503');
      expect(
        await sqlState(db.updateTable('accounts').set({ user_type: 'wizard' }).where('id', '=', account).execute()),
      ).toBe('23503');
      expect(
        await sqlState(
          db
            .insertInto('communication_subscriptions')
            .values({ account_id: account, topic: 'gossip', subscribed_at: new Date() })
            .execute(),
        ),
      ).toBe('23503');
      expect(
        await sqlState(
          db.insertInto('user_type_defaults').values({ user_type: 'la_admin', privilege: 'superuser' }).execute(),
        ),
      ).toBe('23503');
      // Known codes are accepted.
      await db.insertInto('account_privileges').values({ account_id: account, privilege: 'pupil_level' }).execute();
      await db
        .insertInto('communication_subscriptions')
        .values({ account_id: account, topic: 'release_notes', subscribed_at: new Date() })
        .execute();
    });
  });

  describe('indexes', () => {
    it('serve Admin > Users (R20–R21), inactive since (R34) and the username rule (R7)', async () => {
      const { indexes } = await schemaDump(db);
      const def = (name: string) =>
        (indexes.find((i) => i.indexname === name)?.indexdef as string | undefined)?.replace(/\s+/g, ' ');
      expect(def('accounts_username')).toMatch(
        /^CREATE UNIQUE INDEX accounts_username ON public\.accounts USING btree \(username\)$/,
      );
      expect(def('accounts_by_name')).toContain('(organisation_id, status, last_name, first_name, id)');
      expect(def('accounts_by_last_sign_in')).toContain('(organisation_id, status, last_sign_in_at, id)');
      expect(def('account_privileges_by_privilege')).toContain('(privilege, account_id)');
      expect(def('accounts_inactive_since')).toContain(
        '(organisation_id, status, GREATEST(last_sign_in_at, created_at, restored_at))',
      );
      expect(def('accounts_inactive_since_all')).toContain(
        '(status, GREATEST(last_sign_in_at, created_at, restored_at))',
      );
      expect(def('email_outbox_dedup_key_key')).toContain('UNIQUE INDEX');
    });

    it('the planner can use the inactive-since expression index for the inactivity filter', async () => {
      const plan = await db.transaction().execute(async (trx) => {
        // An empty table is cheapest to scan; forbid that so the question is "can it use the index".
        await sql`SET LOCAL enable_seqscan = off`.execute(trx);
        const result = await sql<{ 'QUERY PLAN': string }>`
          EXPLAIN SELECT id FROM accounts
          WHERE status = 'active' AND GREATEST(accounts.last_sign_in_at, accounts.created_at, accounts.restored_at) <= ${new Date('2024-01-01T00:00:00Z')}`.execute(
          trx,
        );
        return result.rows.map((r) => r['QUERY PLAN']).join('\n');
      });
      expect(plan).toMatch(/accounts_inactive_since/);
    });
  });
});

async function schemaDumpTables() {
  return (
    await sql<{
      table_name: string;
    }>`SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name`.execute(db)
  ).rows;
}
