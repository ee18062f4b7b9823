import { sql } from 'kysely';
import type { Account, Executor, NewAccount, Organisation } from '../database.ts';

export async function findAccountByUsername(db: Executor, username: string): Promise<Account | undefined> {
  // citext: case variants of a username are one account (R7).
  return db.selectFrom('accounts').selectAll().where('username', '=', username).executeTakeFirst();
}

/** External ids are exact (SCIM caseExact) and unique within an LA. */
export async function findAccountByExternalId(db: Executor, organisationId: number, externalId: string): Promise<Account | undefined> {
  return db.selectFrom('accounts').selectAll().where('organisation_id', '=', organisationId).where('external_id', '=', externalId).executeTakeFirst();
}

export async function findAccountById(db: Executor, id: string): Promise<Account | undefined> {
  if (!isUuid(id)) return undefined;
  return db.selectFrom('accounts').selectAll().where('id', '=', id).executeTakeFirst();
}

/** An account with its organisation and privilege codes, in one query. */
export async function findAccountWithOrganisation(db: Executor, id: string): Promise<{ account: Account; organisation: Organisation; privileges: string[] } | undefined> {
  if (!isUuid(id)) return undefined;
  const row = await db.selectFrom('accounts')
    .innerJoin('organisations', 'organisations.id', 'accounts.organisation_id')
    .selectAll('accounts')
    .select([
      'organisations.kind as organisation_kind', 'organisations.la_code as organisation_la_code',
      'organisations.name as organisation_name', 'organisations.created_at as organisation_created_at',
      sql<string[]>`ARRAY(SELECT privilege FROM account_privileges WHERE account_privileges.account_id = accounts.id)`.as('privilege_codes'),
    ])
    .where('accounts.id', '=', id)
    .executeTakeFirst();
  if (!row) return undefined;
  const { organisation_kind, organisation_la_code, organisation_name, organisation_created_at, privilege_codes, ...account } = row;
  return {
    account,
    organisation: { id: account.organisation_id, kind: organisation_kind, la_code: organisation_la_code, name: organisation_name, created_at: organisation_created_at },
    privileges: privilege_codes,
  };
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

export async function centralOrganisation(db: Executor): Promise<Organisation | undefined> {
  return db.selectFrom('organisations').selectAll().where('kind', '=', 'central').executeTakeFirst();
}

export async function privilegesOf(db: Executor, accountId: string): Promise<string[]> {
  const rows = await db.selectFrom('account_privileges').select('privilege').where('account_id', '=', accountId).execute();
  return rows.map((r) => r.privilege);
}

/** The LA's administrators: active accounts holding manage_users (R30, R35). */
export async function administratorsOf(db: Executor, organisationId: number): Promise<{ id: string; name: string; email: string }[]> {
  const rows = await db
    .selectFrom('accounts')
    .innerJoin('account_privileges', 'account_privileges.account_id', 'accounts.id')
    .select(['accounts.id', 'accounts.first_name', 'accounts.last_name', 'accounts.email'])
    .where('accounts.organisation_id', '=', organisationId)
    .where('accounts.status', '=', 'active')
    .where('account_privileges.privilege', '=', 'manage_users')
    .orderBy('accounts.last_name').orderBy('accounts.first_name')
    .execute();
  return rows.map((r) => ({ id: r.id, name: `${r.first_name} ${r.last_name}`, email: r.email }));
}

export async function insertAccount(db: Executor, account: NewAccount, privileges: readonly string[]): Promise<void> {
  await db.insertInto('accounts').values(account).execute();
  if (privileges.length > 0) {
    await db.insertInto('account_privileges').values(privileges.map((privilege) => ({ account_id: account.id, privilege }))).execute();
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

export async function enrolTotp(db: Executor, accountId: string, sealedSecret: string, step: number, now: Date): Promise<boolean> {
  const result = await db
    .updateTable('accounts')
    .set({ totp_secret: sealedSecret, totp_enrolled_at: now, totp_last_step: step, updated_at: now })
    .where('id', '=', accountId)
    .where('totp_secret', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

export async function setPasswordHash(db: Executor, accountId: string, passwordHash: string, now: Date): Promise<void> {
  await db.updateTable('accounts').set({ password_hash: passwordHash, password_changed_at: now, updated_at: now }).where('id', '=', accountId).execute();
}

export async function countAccounts(db: Executor): Promise<number> {
  const row = await db.selectFrom('accounts').select(sql<string>`count(*)`.as('n')).executeTakeFirstOrThrow();
  return Number(row.n);
}
