import { sql, type Insertable } from 'kysely';
import type {
  AccountPrivilegesTable,
  AccountSchoolGroupsTable,
  CommunicationSubscriptionsTable,
  Executor,
  LifecycleNoticesTable,
  NewAccount,
  SchoolAssignmentsTable,
  SchoolGroupSchoolsTable,
} from '../database.ts';
import { inChunks } from './chunks.ts';

/**
 * The demo seed's writes (SPEC §14), into an empty database in the caller's transaction. Schools
 * come through the GIAS import.
 */

/** Serialises concurrent seeders (processes starting at once on PostgreSQL) until the transaction ends. */
export async function lockOrganisationsForSeeding(trx: Executor): Promise<void> {
  await sql`LOCK TABLE organisations IN EXCLUSIVE MODE`.execute(trx);
}

/** Which of these usernames have an account (citext: as the database compares them). */
export async function existingUsernames(db: Executor, usernames: readonly string[]): Promise<string[]> {
  const rows = await db.selectFrom('accounts').select('username').where('username', 'in', usernames).execute();
  return rows.map((r) => r.username);
}

/** Records the lifecycle policy the demo was settled by (a fresh database has none). */
export async function insertLifecyclePolicy(trx: Executor, fingerprint: string, now: Date): Promise<void> {
  await trx.insertInto('lifecycle_policy').values({ id: true, fingerprint, changed_at: now }).execute();
}

export async function insertOrganisations(
  trx: Executor,
  rows: readonly { kind: 'la' | 'central'; la_code: string | null; name: string; created_at: Date }[],
) {
  return trx.insertInto('organisations').values(rows).returning(['id', 'kind', 'la_code']).execute();
}

export async function insertSchoolGroups(
  trx: Executor,
  rows: readonly { organisation_id: number; name: string; created_at: Date }[],
) {
  return trx.insertInto('school_groups').values(rows).returning(['id', 'organisation_id', 'name']).execute();
}

export interface DemoRows {
  schoolGroupSchools: readonly Insertable<SchoolGroupSchoolsTable>[];
  /** Without their default school group: R10's foreign key needs the membership row first (`defaultSchoolGroups`). */
  accounts: readonly NewAccount[];
  accountPrivileges: readonly Insertable<AccountPrivilegesTable>[];
  schoolAssignments: readonly Insertable<SchoolAssignmentsTable>[];
  accountSchoolGroups: readonly Insertable<AccountSchoolGroupsTable>[];
  defaultSchoolGroups: readonly { accountId: string; groupId: number }[];
  lifecycleNotices: readonly Insertable<LifecycleNoticesTable>[];
  communicationSubscriptions: readonly Insertable<CommunicationSubscriptionsTable>[];
}

/** The rest of the demo, table by table in foreign-key order: accounts 250 a statement, the others 1,000. */
export async function insertDemoRows(trx: Executor, rows: DemoRows): Promise<void> {
  await inChunks(
    rows.schoolGroupSchools,
    (batch) => trx.insertInto('school_group_schools').values(batch).execute(),
    1000,
  );
  await inChunks(rows.accounts, (batch) => trx.insertInto('accounts').values(batch).execute(), 250);
  await inChunks(rows.accountPrivileges, (batch) => trx.insertInto('account_privileges').values(batch).execute(), 1000);
  await inChunks(rows.schoolAssignments, (batch) => trx.insertInto('school_assignments').values(batch).execute(), 1000);
  await inChunks(
    rows.accountSchoolGroups,
    (batch) => trx.insertInto('account_school_groups').values(batch).execute(),
    1000,
  );
  await inChunks(
    rows.defaultSchoolGroups,
    async (batch) => {
      const values = sql.join(batch.map((d) => sql`(${d.accountId}::uuid, ${d.groupId}::integer)`));
      await sql`
      UPDATE accounts SET default_school_group_id = v.group_id
      FROM (VALUES ${values}) AS v(account_id, group_id)
      WHERE accounts.id = v.account_id`.execute(trx);
    },
    1000,
  );
  await inChunks(rows.lifecycleNotices, (batch) => trx.insertInto('lifecycle_notices').values(batch).execute(), 1000);
  await inChunks(
    rows.communicationSubscriptions,
    (batch) => trx.insertInto('communication_subscriptions').values(batch).execute(),
    1000,
  );
}
