import fc from 'fast-check';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Actor } from '../../src/domain/access.ts';
import { PRIVILEGE_CODES, USER_TYPE_CODES, type Privilege } from '../../src/domain/privileges.ts';
import { SCHOOL_ROLES } from '../../src/domain/school-roles.ts';
import { TOPICS } from '../../src/domain/topics.ts';
import { SYSTEM_CONTEXT } from '../../src/services/request-context.ts';
import { createAccount, createOrganisation, type FixtureAccount } from '../support/fixtures.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';

let t: TestApp;
let camden: number;
let admin: FixtureAccount;
let actor: Actor;
let schoolIds: number[];
let groupIds: number[];

beforeAll(async () => {
  t = await createTestApp();
  const db = t.handle.db;
  camden = await createOrganisation(db, '202', 'Camden');
  admin = await createAccount(db, t.config.secretKey, {
    organisationId: camden,
    username: 'camden.admin',
    userType: 'la_admin',
  });
  await createAccount(db, t.config.secretKey, {
    organisationId: camden,
    username: 'camden.admin2',
    userType: 'la_admin',
  });
  schoolIds = (
    await db
      .insertInto('schools')
      .values(
        Array.from({ length: 6 }, (_, i) => ({
          urn: 300000 + i,
          organisation_id: camden,
          name: `School ${i}`,
          phase: 'Primary',
          updated_at: new Date(),
        })),
      )
      .returning('id')
      .execute()
  ).map((r) => r.id);
  groupIds = (
    await db
      .insertInto('school_groups')
      .values(
        Array.from({ length: 3 }, (_, i) => ({
          organisation_id: camden,
          name: `Group ${i}`,
          created_at: new Date(),
        })),
      )
      .returning('id')
      .execute()
  ).map((r) => r.id);
  actor = {
    kind: 'account',
    accountId: admin.id,
    organisationId: camden,
    organisationKind: 'la',
    privileges: new Set(PRIVILEGE_CODES.filter((p) => p !== 'support')),
    label: 'camden.admin',
  };
});
afterAll(async () => t?.close());

/** Everything restore must bring back (R32), in a comparable form. */
async function profile(id: string) {
  const db = t.handle.db;
  const account = await db
    .selectFrom('accounts')
    .select([
      'username',
      'first_name',
      'last_name',
      'email',
      'job_title',
      'phone',
      'user_type',
      'default_school_group_id',
      'access_end_date',
      'totp_secret',
      'password_hash',
      'external_id',
      'created_at',
      'last_sign_in_at',
    ])
    .where('id', '=', id)
    .executeTakeFirstOrThrow();
  const privileges = (
    await db
      .selectFrom('account_privileges')
      .select('privilege')
      .where('account_id', '=', id)
      .orderBy('privilege')
      .execute()
  ).map((r) => r.privilege);
  const schools = await db
    .selectFrom('school_assignments')
    .select(['school_id', 'role'])
    .where('account_id', '=', id)
    .orderBy('school_id')
    .execute();
  const groups = (
    await db
      .selectFrom('account_school_groups')
      .select('school_group_id')
      .where('account_id', '=', id)
      .orderBy('school_group_id')
      .execute()
  ).map((r) => r.school_group_id);
  const topics = (
    await db
      .selectFrom('communication_subscriptions')
      .select('topic')
      .where('account_id', '=', id)
      .orderBy('topic')
      .execute()
  ).map((r) => r.topic);
  return { account, privileges, schools, groups, topics };
}

let counter = 0;

describe('archive, restore and delete (R29–R32)', () => {
  it('archive then restore keeps every field, privilege, school, group and preference, and restarts the inactivity clock', async () => {
    const accountArb = fc.record({
      userType: fc.constantFrom(...USER_TYPE_CODES.filter((u) => u !== 'support')),
      privileges: fc.subarray(PRIVILEGE_CODES.filter((p) => p !== 'support') as Privilege[]),
      schools: fc.uniqueArray(
        fc.record({ index: fc.integer({ min: 0, max: 5 }), role: fc.constantFrom(...SCHOOL_ROLES.map((r) => r.code)) }),
        { selector: (s) => s.index, maxLength: 6 },
      ),
      groups: fc.subarray([0, 1, 2]),
      defaultGroup: fc.option(fc.integer({ min: 0, max: 2 }), { nil: undefined }),
      topics: fc.subarray(TOPICS.map((x) => x.code) as string[]),
      jobTitle: fc.option(
        fc.string({ maxLength: 40 }).filter((s) => !/\p{Cc}/u.test(s)),
        { nil: null },
      ),
      accessEndDate: fc.option(fc.constantFrom('2027-03-31', '2028-02-29'), { nil: null }),
      enrolled: fc.boolean(),
    });
    await fc.assert(
      fc.asyncProperty(accountArb, async (shape) => {
        const db = t.handle.db;
        const fixture = await createAccount(db, t.config.secretKey, {
          organisationId: camden,
          username: `prop.${counter++}`,
          userType: shape.userType,
          privileges: shape.privileges,
          enrolled: shape.enrolled,
          lastSignInAt: new Date('2025-06-01T00:00:00Z'),
        });
        for (const s of shape.schools) {
          await db
            .insertInto('school_assignments')
            .values({ account_id: fixture.id, school_id: schoolIds[s.index]!, role: s.role, assigned_at: new Date() })
            .execute();
        }
        for (const g of shape.groups)
          await db
            .insertInto('account_school_groups')
            .values({ account_id: fixture.id, school_group_id: groupIds[g]! })
            .execute();
        const defaultGroup =
          shape.defaultGroup !== undefined && shape.groups.includes(shape.defaultGroup)
            ? groupIds[shape.defaultGroup]!
            : null;
        for (const topic of shape.topics)
          await db
            .insertInto('communication_subscriptions')
            .values({ account_id: fixture.id, topic, subscribed_at: new Date() })
            .execute();
        await db
          .updateTable('accounts')
          .set({
            job_title: shape.jobTitle,
            access_end_date: shape.accessEndDate,
            default_school_group_id: defaultGroup,
          })
          .where('id', '=', fixture.id)
          .execute();

        const before = await profile(fixture.id);
        await t.services.userStatus.archive(actor, fixture.id, SYSTEM_CONTEXT);
        const archived = await db
          .selectFrom('accounts')
          .select(['status', 'deletion_due_at', 'archive_reason'])
          .where('id', '=', fixture.id)
          .executeTakeFirstOrThrow();
        expect(archived.status).toBe('archived');
        expect(archived.archive_reason).toBe('manual');
        expect(archived.deletion_due_at?.getTime()).toBe(t.clock.now().getTime() + 30 * 86_400_000);
        t.clock.advance(86_400_000);
        await t.services.userStatus.restore(actor, fixture.id, SYSTEM_CONTEXT);
        expect(await profile(fixture.id)).toEqual(before);
        const restored = await db
          .selectFrom('accounts')
          .select(['status', 'restored_at', 'archived_at', 'deletion_due_at'])
          .where('id', '=', fixture.id)
          .executeTakeFirstOrThrow();
        expect(restored).toEqual({
          status: 'active',
          restored_at: t.clock.now(),
          archived_at: null,
          deletion_due_at: null,
        });
      }),
      { numRuns: 25 },
    );
  });

  it('ends the sessions of an archived account at once', async () => {
    const db = t.handle.db;
    const fixture = await createAccount(db, t.config.secretKey, { organisationId: camden, username: 'has.session' });
    await db
      .insertInto('sessions')
      .values({
        id_hash: 'x'.repeat(64),
        account_id: fixture.id,
        stage: 'signed_in',
        created_at: t.clock.now(),
        last_seen_at: t.clock.now(),
        expires_at: new Date(t.clock.now().getTime() + 3_600_000),
        ip: null,
        user_agent: null,
      })
      .execute();
    await t.services.userStatus.archive(actor, fixture.id, SYSTEM_CONTEXT);
    expect(await db.selectFrom('sessions').select('id_hash').where('account_id', '=', fixture.id).execute()).toEqual(
      [],
    );
  });

  it('after delete no text column anywhere holds the name, email, phone or username; a tombstone remains; the username is free at once', async () => {
    const db = t.handle.db;
    const unique = 'zebedee';
    const fixture = await createAccount(db, t.config.secretKey, {
      organisationId: camden,
      username: `${unique}.quux`,
      firstName: 'Zebedee',
      lastName: 'Quuxworth',
      email: `${unique}.q@camden.gov.uk`,
      userType: 'la_officer',
    });
    await db.updateTable('accounts').set({ phone: '07700 900461' }).where('id', '=', fixture.id).execute();
    await db
      .insertInto('school_assignments')
      .values({ account_id: fixture.id, school_id: schoolIds[0]!, role: 'consultant', assigned_at: new Date() })
      .execute();
    await db
      .insertInto('communication_subscriptions')
      .values({ account_id: fixture.id, topic: 'news', subscribed_at: new Date() })
      .execute();
    // Leave traces the way real use does: an invitation email, audit events naming the person, a failed sign-in.
    await t.services.userChanges.editDetails(
      actor,
      fixture.id,
      {
        firstName: 'Zebedee',
        lastName: 'Quuxworth',
        email: `${unique}.q@camden.gov.uk`,
        phone: '07700 900461',
        jobTitle: 'Analyst',
      },
      SYSTEM_CONTEXT,
    );
    await t.handle.db.transaction().execute(async (trx) => {
      const account = await trx
        .selectFrom('accounts')
        .selectAll()
        .where('id', '=', fixture.id)
        .executeTakeFirstOrThrow();
      await t.services.passwords.issueInvitation(
        trx,
        account,
        { accountId: admin.id, label: 'camden.admin' },
        SYSTEM_CONTEXT,
      );
    });
    await t.services.signIn
      .signInWithPassword(
        { username: `${unique}.quux`, password: 'wrong password here' },
        { ip: '192.0.2.1', userAgent: null, requestId: null },
      )
      .catch(() => undefined);

    await t.services.userStatus.delete(actor, fixture.id, SYSTEM_CONTEXT);

    const needles = [unique, 'quuxworth', '07700 900461', '07700900461'];
    const columns = await sql<{ table_name: string; column_name: string }>`
      SELECT table_name, column_name FROM information_schema.columns
      WHERE table_schema = 'public' AND data_type IN ('text', 'USER-DEFINED', 'jsonb', 'character varying')
        AND table_name NOT IN ('kysely_migration', 'kysely_migration_lock')`.execute(db);
    const found: string[] = [];
    for (const { table_name, column_name } of columns.rows) {
      for (const needle of needles) {
        const hit = await sql<{
          n: string;
        }>`SELECT count(*) AS n FROM ${sql.table(table_name)} WHERE strpos(lower(${sql.ref(column_name)}::text), ${needle}) > 0`.execute(
          db,
        );
        if (Number(hit.rows[0]!.n) > 0) found.push(`${table_name}.${column_name} ~ ${needle}`);
      }
    }
    expect(found).toEqual([]);
    const tombstone = await db
      .selectFrom('audit_events')
      .select(['details', 'organisation_id'])
      .where('action', '=', 'account.deleted')
      .where('subject_account_id', '=', fixture.id)
      .executeTakeFirstOrThrow();
    expect(tombstone.organisation_id).toBe(camden);
    expect(tombstone.details).toMatchObject({
      tombstone: { accountId: fixture.id, laCode: '202', deletedBy: 'camden.admin' },
    });

    const again = await t.services.accounts.createAccount(
      actor,
      {
        organisationId: camden,
        username: `${unique.toUpperCase()}.QUUX`,
        firstName: 'New',
        lastName: 'Person',
        email: 'new@camden.gov.uk',
        userType: 'read_only',
      },
      SYSTEM_CONTEXT,
    );
    expect(again.username).toBe(`${unique}.quux`);
  });

  it('refuses archiving or deleting your own account', async () => {
    await expect(t.services.userStatus.archive(actor, admin.id, SYSTEM_CONTEXT)).rejects.toThrow('permission');
    await expect(t.services.userStatus.delete(actor, admin.id, SYSTEM_CONTEXT)).rejects.toThrow('permission');
    const row = await t.handle.db
      .selectFrom('accounts')
      .select('status')
      .where('id', '=', admin.id)
      .executeTakeFirstOrThrow();
    expect(row.status).toBe('active');
  });
});
