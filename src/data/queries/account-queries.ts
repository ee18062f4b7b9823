import { sql } from 'kysely';
import type { Account, ArchiveReason, Executor, NewAccount, Organisation } from '../database.ts';
import { fullName } from '../../domain/names.ts';
import { ADMINISTRATOR_PRIVILEGE } from '../../domain/privileges.ts';

export async function findAccountByUsername(db: Executor, username: string): Promise<Account | undefined> {
  // citext: case variants of a username are one account (R7).
  return db.selectFrom('accounts').selectAll().where('username', '=', username).executeTakeFirst();
}

/** External ids are exact (SCIM caseExact) and unique within an LA. */
export async function findAccountByExternalId(
  db: Executor,
  organisationId: number,
  externalId: string,
): Promise<Account | undefined> {
  return db
    .selectFrom('accounts')
    .selectAll()
    .where('organisation_id', '=', organisationId)
    .where('external_id', '=', externalId)
    .executeTakeFirst();
}

export async function findAccountById(db: Executor, id: string): Promise<Account | undefined> {
  if (!isUuid(id)) return undefined;
  return db.selectFrom('accounts').selectAll().where('id', '=', id).executeTakeFirst();
}

/** The account, locked for the rest of the transaction: a read that a concurrent change must wait for. */
export async function lockAccountById(trx: Executor, id: string): Promise<Account | undefined> {
  if (!isUuid(id)) return undefined;
  return trx.selectFrom('accounts').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
}

/**
 * The organisation's columns and the privilege codes of an account, for a query that joins
 * `organisations` to `accounts` and selects all of `accounts` (findAccountWithOrganisation, and
 * the session's principal in session-queries.ts); `accountWithOrganisation` turns such a row back
 * into its three parts.
 */
export function organisationAndPrivilegeColumns() {
  return [
    sql<Organisation['kind']>`organisations.kind`.as('organisation_kind'),
    sql<Organisation['la_code']>`organisations.la_code`.as('organisation_la_code'),
    sql<Organisation['name']>`organisations.name`.as('organisation_name'),
    sql<Organisation['created_at']>`organisations.created_at`.as('organisation_created_at'),
    sql<Organisation['passkey_sign_in']>`organisations.passkey_sign_in`.as('organisation_passkey_sign_in'),
    sql<string[]>`ARRAY(SELECT privilege FROM account_privileges WHERE account_privileges.account_id = accounts.id)`.as(
      'privilege_codes',
    ),
  ];
}

type AccountWithOrganisationRow = Account & {
  organisation_kind: Organisation['kind'];
  organisation_la_code: Organisation['la_code'];
  organisation_name: Organisation['name'];
  organisation_created_at: Organisation['created_at'];
  organisation_passkey_sign_in: Organisation['passkey_sign_in'];
  privilege_codes: string[];
};

export function accountWithOrganisation(row: AccountWithOrganisationRow): {
  account: Account;
  organisation: Organisation;
  privileges: string[];
} {
  const {
    organisation_kind,
    organisation_la_code,
    organisation_name,
    organisation_created_at,
    organisation_passkey_sign_in,
    privilege_codes,
    ...account
  } = row;
  return {
    account,
    organisation: {
      id: account.organisation_id,
      kind: organisation_kind,
      la_code: organisation_la_code,
      name: organisation_name,
      created_at: organisation_created_at,
      passkey_sign_in: organisation_passkey_sign_in,
    },
    privileges: privilege_codes,
  };
}

/** The statement of findAccountWithOrganisation, for a caller that selects more of the account (the OIDC claims). */
export function accountWithOrganisationQuery(db: Executor, id: string) {
  return db
    .selectFrom('accounts')
    .innerJoin('organisations', 'organisations.id', 'accounts.organisation_id')
    .selectAll('accounts')
    .select(organisationAndPrivilegeColumns())
    .where('accounts.id', '=', id);
}

/** An account with its organisation and privilege codes, in one query. */
export async function findAccountWithOrganisation(
  db: Executor,
  id: string,
): Promise<{ account: Account; organisation: Organisation; privileges: string[] } | undefined> {
  if (!isUuid(id)) return undefined;
  const row = await accountWithOrganisationQuery(db, id).executeTakeFirst();
  return row && accountWithOrganisation(row);
}

export function isUuid(value: string): boolean {
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value);
}

export async function findOrganisation(db: Executor, id: number): Promise<Organisation | undefined> {
  return db.selectFrom('organisations').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function findOrganisationByCode(db: Executor, laCode: string): Promise<Organisation | undefined> {
  return db.selectFrom('organisations').selectAll().where('la_code', '=', laCode).executeTakeFirst();
}

export async function privilegesOf(db: Executor, accountId: string): Promise<string[]> {
  const rows = await db
    .selectFrom('account_privileges')
    .select('privilege')
    .where('account_id', '=', accountId)
    .execute();
  return rows.map((r) => r.privilege);
}

/** The LA's administrators: active accounts holding manage_users (R30, R35). */
export async function administratorsOf(
  db: Executor,
  organisationId: number,
): Promise<{ id: string; name: string; email: string }[]> {
  const rows = await db
    .selectFrom('accounts')
    .innerJoin('account_privileges', 'account_privileges.account_id', 'accounts.id')
    .select(['accounts.id', 'accounts.first_name', 'accounts.last_name', 'accounts.email'])
    .where('accounts.organisation_id', '=', organisationId)
    .where('accounts.status', '=', 'active')
    .where('account_privileges.privilege', '=', ADMINISTRATOR_PRIVILEGE)
    .orderBy('accounts.last_name')
    .orderBy('accounts.first_name')
    .execute();
  return rows.map((r) => ({ id: r.id, name: fullName(r), email: r.email }));
}

/** Every organisation's id, name and LA code (the command line's labels). */
export async function listOrganisations(db: Executor): Promise<Pick<Organisation, 'id' | 'name' | 'la_code'>[]> {
  return db.selectFrom('organisations').select(['id', 'name', 'la_code']).execute();
}

/** Whether the database holds any organisation yet (an empty database is seeded with the demo). */
export async function hasOrganisations(db: Executor): Promise<boolean> {
  const row = await db.selectFrom('organisations').select('id').limit(1).executeTakeFirst();
  return row !== undefined;
}

/** An LA's active accounts, by name (what an access review covers). */
export async function activeAccountsOfOrganisation(db: Executor, organisationId: number): Promise<Account[]> {
  return db
    .selectFrom('accounts')
    .selectAll()
    .where('organisation_id', '=', organisationId)
    .where('status', '=', 'active')
    .orderBy('last_name')
    .orderBy('first_name')
    .orderBy('id')
    .execute();
}

/** The privilege codes of several accounts, one row each. */
export async function privilegesOfAccounts(
  db: Executor,
  accountIds: readonly string[],
): Promise<{ account_id: string; privilege: string }[]> {
  return db
    .selectFrom('account_privileges')
    .select(['account_id', 'privilege'])
    .where('account_id', 'in', accountIds)
    .execute();
}

export async function addPrivileges(db: Executor, accountId: string, privileges: readonly string[]): Promise<void> {
  if (privileges.length === 0) return;
  await db
    .insertInto('account_privileges')
    .values(privileges.map((privilege) => ({ account_id: accountId, privilege })))
    .execute();
}

export async function removePrivileges(db: Executor, accountId: string, privileges: readonly string[]): Promise<void> {
  if (privileges.length === 0) return;
  await db
    .deleteFrom('account_privileges')
    .where('account_id', '=', accountId)
    .where('privilege', 'in', privileges)
    .execute();
}

/**
 * Serialises changes that could remove an LA's last administrator (R17): a transaction-level
 * advisory lock keyed by the organisation, released at commit or rollback.
 */
export async function lockAdministratorsOf(trx: Executor, organisationId: number): Promise<void> {
  await sql`SELECT pg_advisory_xact_lock(${organisationId})`.execute(trx);
}

/** How many other active holders of manage_users the LA has, their rows locked so two removals cannot race (R17). */
export async function countOtherActiveAdministrators(
  trx: Executor,
  organisationId: number,
  exceptAccountId: string,
): Promise<number> {
  const rows = await trx
    .selectFrom('accounts')
    .innerJoin('account_privileges', 'account_privileges.account_id', 'accounts.id')
    .select('accounts.id')
    .where('accounts.organisation_id', '=', organisationId)
    .where('accounts.status', '=', 'active')
    .where('account_privileges.privilege', '=', ADMINISTRATOR_PRIVILEGE)
    .where('accounts.id', '!=', exceptAccountId)
    .forUpdate()
    .execute();
  return rows.length;
}

/** Archives an account that is active (R30); false when it was not. */
export async function markArchived(
  db: Executor,
  accountId: string,
  archive: { by: string | null; reason: ArchiveReason; deletionDueAt: Date; now: Date },
): Promise<boolean> {
  const updated = await db
    .updateTable('accounts')
    .set({
      status: 'archived',
      archived_at: archive.now,
      archived_by: archive.by,
      archive_reason: archive.reason,
      deletion_due_at: archive.deletionDueAt,
      lifecycle_due_at: archive.deletionDueAt,
      updated_at: archive.now,
      version: sql`version + 1`,
    })
    .where('id', '=', accountId)
    .where('status', '=', 'active')
    .executeTakeFirst();
  return Number(updated.numUpdatedRows) === 1;
}

/** Restores an archived account (R32): its inactivity restarts at `now`; false when it was not archived. */
export async function markRestored(
  db: Executor,
  accountId: string,
  restore: { now: Date; clearAccessEndDate: boolean },
): Promise<boolean> {
  const updated = await db
    .updateTable('accounts')
    .set({
      status: 'active',
      archived_at: null,
      archived_by: null,
      archive_reason: null,
      deletion_due_at: null,
      restored_at: restore.now,
      updated_at: restore.now,
      // A restored account is the identity system's again, whoever restored it.
      deprovisioned_at: null,
      ...(restore.clearAccessEndDate ? { access_end_date: null } : {}),
      version: sql`version + 1`,
    })
    .where('id', '=', accountId)
    .where('status', '=', 'archived')
    .executeTakeFirst();
  return Number(updated.numUpdatedRows) === 1;
}

/** Forgets the account's TOTP enrolment (a two-factor reset). */
export async function clearTwoFactor(db: Executor, accountId: string, now: Date): Promise<void> {
  await db
    .updateTable('accounts')
    .set({ totp_secret: null, totp_enrolled_at: null, totp_last_step: null, updated_at: now })
    .where('id', '=', accountId)
    .execute();
}

/** Marks the account changed: a new `updated_at` and the next version. */
export async function touchAccount(db: Executor, accountId: string, now: Date): Promise<void> {
  await db
    .updateTable('accounts')
    .set({ updated_at: now, version: sql`version + 1` })
    .where('id', '=', accountId)
    .execute();
}

/** A new username (SCIM rename, R7): the caller has checked it and that no other account holds it. */
export async function setUsername(db: Executor, accountId: string, username: string, now: Date): Promise<void> {
  await db
    .updateTable('accounts')
    .set({ username, updated_at: now, version: sql`version + 1` })
    .where('id', '=', accountId)
    .execute();
}

/**
 * Marks an archived account as deleted by the identity system (SCIM DELETE), gone for SCIM only, or
 * (`at` null) gives it back to SCIM (a re-hire that leaves it archived).
 */
export async function setDeprovisioned(db: Executor, accountId: string, at: Date | null, now: Date): Promise<void> {
  await db
    .updateTable('accounts')
    .set({ deprovisioned_at: at, updated_at: now, version: sql`version + 1` })
    .where('id', '=', accountId)
    .where('status', '=', 'archived')
    .execute();
}

/** The archived account of an LA that its identity system deleted, under this username (R7: any case). */
/**
 * The LA's account the identity system deleted under this username or external id (a re-hire may
 * come back renamed, with the same object id): the username's first when they differ.
 */
export async function findDeprovisioned(
  db: Executor,
  organisationId: number,
  username: string,
  externalId: string | null,
): Promise<Account | undefined> {
  const rows = await db
    .selectFrom('accounts')
    .selectAll()
    .where('organisation_id', '=', organisationId)
    .where('deprovisioned_at', 'is not', null)
    .where((eb) =>
      eb.or([eb('username', '=', username), ...(externalId === null ? [] : [eb('external_id', '=', externalId)])]),
    )
    .execute();
  return rows.find((r) => r.username.toLowerCase() === username.toLowerCase()) ?? rows[0];
}

export async function setUserType(db: Executor, accountId: string, userType: string, now: Date): Promise<void> {
  await db
    .updateTable('accounts')
    .set({ user_type: userType, updated_at: now, version: sql`version + 1` })
    .where('id', '=', accountId)
    .execute();
}

export type AccountDetails = Pick<
  Account,
  'first_name' | 'last_name' | 'email' | 'job_title' | 'phone' | 'access_end_date' | 'external_id'
>;

/**
 * Writes the Details tab's fields and clears the default school group, so that unassigning its
 * group next cannot trip the constraint (R10); `setDefaultSchoolGroup` sets it afterwards.
 */
export async function updateAccountDetails(
  db: Executor,
  accountId: string,
  details: AccountDetails,
  now: Date,
): Promise<void> {
  await db
    .updateTable('accounts')
    .set({ ...details, default_school_group_id: null, updated_at: now })
    .where('id', '=', accountId)
    .execute();
}

export async function setDefaultSchoolGroup(
  db: Executor,
  accountId: string,
  schoolGroupId: number | null,
): Promise<void> {
  await db
    .updateTable('accounts')
    .set({ default_school_group_id: schoolGroupId })
    .where('id', '=', accountId)
    .execute();
}

export async function insertAccount(db: Executor, account: NewAccount, privileges: readonly string[]): Promise<void> {
  await db.insertInto('accounts').values(account).execute();
  if (privileges.length > 0) {
    await db
      .insertInto('account_privileges')
      .values(privileges.map((privilege) => ({ account_id: account.id, privilege })))
      .execute();
  }
}

export async function recordSignIn(db: Executor, accountId: string, now: Date): Promise<void> {
  await db.updateTable('accounts').set({ last_sign_in_at: now, updated_at: now }).where('id', '=', accountId).execute();
}

/**
 * Records the TOTP step just used, only if it is newer than the last one: the conditional update
 * is what stops two sign-ins racing with the same code (R53). Returns whether this call won.
 */
export async function claimTotpStep(db: Executor, accountId: string, step: number): Promise<boolean> {
  const result = await db
    .updateTable('accounts')
    .set({ totp_last_step: step })
    .where('id', '=', accountId)
    .where((eb) => eb.or([eb('totp_last_step', 'is', null), eb('totp_last_step', '<', String(step))]))
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

export async function enrolTotp(
  db: Executor,
  accountId: string,
  sealedSecret: string,
  step: number,
  now: Date,
): Promise<boolean> {
  const result = await db
    .updateTable('accounts')
    .set({ totp_secret: sealedSecret, totp_enrolled_at: now, totp_last_step: step, updated_at: now })
    .where('id', '=', accountId)
    .where('totp_secret', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

export async function setPasswordHash(db: Executor, accountId: string, passwordHash: string, now: Date): Promise<void> {
  await db
    .updateTable('accounts')
    .set({ password_hash: passwordHash, password_changed_at: now, updated_at: now })
    .where('id', '=', accountId)
    .execute();
}
