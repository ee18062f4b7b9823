import { sql } from 'kysely';
import type { Executor, NewAccount } from '../database.ts';
import { inChunks } from './chunks.ts';

/** Set-based reads and writes of the CSV imports (R58, R26): a statement a chunk, never one a row. */

/** Which of these usernames an account already has (any LA, active or archived), in lower case. */
export async function takenUsernames(db: Executor, usernames: readonly string[]): Promise<Set<string>> {
  const taken = new Set<string>();
  await inChunks(
    usernames,
    async (chunk) => {
      // citext: the comparison ignores case (R7).
      const rows = await db.selectFrom('accounts').select('username').where('username', 'in', chunk).execute();
      for (const r of rows) taken.add(r.username.toLowerCase());
    },
    1000,
  );
  return taken;
}

export async function accountIdsByUsername(db: Executor, organisationId: number): Promise<Map<string, string>> {
  const rows = await db
    .selectFrom('accounts')
    .select(['id', 'username'])
    .where('organisation_id', '=', organisationId)
    .execute();
  return new Map(rows.map((r) => [r.username.toLowerCase(), r.id]));
}

export interface ImportedAccounts {
  accounts: NewAccount[];
  privileges: { account_id: string; privilege: string }[];
  schools: { account_id: string; school_id: number; role: string; assigned_at: Date }[];
  groups: { account_id: string; school_group_id: number }[];
}

export async function insertImportedAccounts(db: Executor, rows: ImportedAccounts): Promise<void> {
  await inChunks(rows.accounts, (chunk) => db.insertInto('accounts').values(chunk).execute());
  await inChunks(rows.privileges, (chunk) => db.insertInto('account_privileges').values(chunk).execute(), 2000);
  await inChunks(rows.schools, (chunk) => db.insertInto('school_assignments').values(chunk).execute(), 2000);
  await inChunks(rows.groups, (chunk) => db.insertInto('account_school_groups').values(chunk).execute(), 2000);
}

/** The current school assignments of these accounts, by account. */
export async function schoolAssignmentsOfAccounts(
  db: Executor,
  accountIds: readonly string[],
): Promise<Map<string, { urn: number; role: string }[]>> {
  const out = new Map<string, { urn: number; role: string }[]>();
  await inChunks(
    accountIds,
    async (chunk) => {
      const rows = await db
        .selectFrom('school_assignments')
        .innerJoin('schools', 'schools.id', 'school_assignments.school_id')
        .select(['school_assignments.account_id', 'schools.urn', 'school_assignments.role'])
        .where('school_assignments.account_id', 'in', chunk)
        .orderBy('schools.urn')
        .execute();
      for (const r of rows) out.set(r.account_id, [...(out.get(r.account_id) ?? []), { urn: r.urn, role: r.role }]);
    },
    1000,
  );
  return out;
}

/** The accounts' schools become exactly `rows` (R26 re-assignment); the accounts are marked changed. */
export async function replaceSchoolAssignments(
  db: Executor,
  accountIds: readonly string[],
  rows: readonly { account_id: string; school_id: number; role: string }[],
  now: Date,
): Promise<void> {
  await inChunks(
    accountIds,
    async (chunk) => {
      await db.deleteFrom('school_assignments').where('account_id', 'in', chunk).execute();
      await db
        .updateTable('accounts')
        .set({ updated_at: now, version: sql`version + 1` })
        .where('id', 'in', chunk)
        .execute();
    },
    1000,
  );
  await inChunks(
    rows,
    (chunk) =>
      db
        .insertInto('school_assignments')
        .values(chunk.map((r) => ({ ...r, assigned_at: now })))
        .execute(),
    2000,
  );
}
