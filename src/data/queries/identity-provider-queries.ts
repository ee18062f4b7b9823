import type { Executor, LaIdentityProvider } from '../database.ts';
import type { IdentifyingClaim } from '../../domain/identity-providers.ts';
import { ADMINISTRATOR_PRIVILEGE } from '../../domain/privileges.ts';

/** An LA's own OpenID Connect provider (R64): its settings, its last connection test, its break-glass accounts. */

export interface ProviderRow {
  issuer: string;
  clientId: string;
  clientSecretSealed: string;
  claim: IdentifyingClaim;
  enabled: boolean;
  required: boolean;
  archiveOnRefusal: boolean;
  mfaAcr: string | null;
}

export interface ConnectionTestRow {
  at: Date;
  ok: boolean;
  message: string | null;
}

/** The columns a save writes: the settings, and who saved them when. */
function settingsColumns(row: ProviderRow, by: { accountId: string | null; now: Date }) {
  return {
    issuer: row.issuer,
    client_id: row.clientId,
    client_secret_sealed: row.clientSecretSealed,
    identifying_claim: row.claim,
    enabled: row.enabled,
    required: row.required,
    archive_on_refusal: row.archiveOnRefusal,
    mfa_acr: row.mfaAcr,
    updated_at: by.now,
    updated_by: by.accountId,
  };
}

/** The last test's columns: a test, cleared, or (undefined) left as they are. */
function testColumns(test: ConnectionTestRow | 'clear' | undefined) {
  if (test === undefined) return {};
  return test === 'clear'
    ? { last_tested_at: null, last_test_ok: null, last_test_message: null }
    : { last_tested_at: test.at, last_test_ok: test.ok, last_test_message: test.message };
}

export async function findIdentityProvider(
  db: Executor,
  organisationId: number,
): Promise<LaIdentityProvider | undefined> {
  return db
    .selectFrom('la_identity_providers')
    .selectAll()
    .where('organisation_id', '=', organisationId)
    .executeTakeFirst();
}

/** False when the LA already has one (someone else saved first). */
export async function insertIdentityProvider(
  trx: Executor,
  organisationId: number,
  row: ProviderRow,
  by: { accountId: string | null; now: Date },
  test: ConnectionTestRow | null,
): Promise<boolean> {
  const inserted = await trx
    .insertInto('la_identity_providers')
    .values({
      organisation_id: organisationId,
      ...settingsColumns(row, by),
      created_at: by.now,
      ...testColumns(test ?? undefined),
    })
    .onConflict((oc) => oc.column('organisation_id').doNothing())
    .returning('organisation_id')
    .executeTakeFirst();
  return inserted !== undefined;
}

/**
 * Saves over the version the caller saw, moving it on by one; false when it is no longer that
 * version. `test`: the connection test that goes with the new settings; `'clear'` when they are
 * no longer the settings the last one tested; undefined leaves it.
 */
export async function updateIdentityProvider(
  trx: Executor,
  organisationId: number,
  expectedVersion: number,
  row: ProviderRow,
  by: { accountId: string | null; now: Date },
  test: ConnectionTestRow | 'clear' | undefined,
): Promise<boolean> {
  const updated = await trx
    .updateTable('la_identity_providers')
    .set((eb) => ({ ...settingsColumns(row, by), version: eb('version', '+', 1), ...testColumns(test) }))
    .where('organisation_id', '=', organisationId)
    .where('version', '=', expectedVersion)
    .executeTakeFirst();
  return updated.numUpdatedRows > 0n;
}

/** A test of the saved settings: recorded beside them, the version left as it is (nothing was changed). */
export async function recordConnectionTest(
  db: Executor,
  organisationId: number,
  issuer: string,
  test: ConnectionTestRow,
): Promise<boolean> {
  const updated = await db
    .updateTable('la_identity_providers')
    .set({ last_tested_at: test.at, last_test_ok: test.ok, last_test_message: test.message })
    .where('organisation_id', '=', organisationId)
    // The issuer tested is still the one saved (not changed by someone else meanwhile).
    .where('issuer', '=', issuer)
    .executeTakeFirst();
  return updated.numUpdatedRows > 0n;
}

export interface BreakGlassCandidate {
  id: string;
  username: string;
  first_name: string;
  last_name: string;
  status: 'active' | 'archived';
  /** Holds manage_users. */
  administrator: boolean;
  /** Named as break-glass now. */
  named: boolean;
}

/**
 * Who may be named as break-glass accounts: the LA's active administrators, and whoever is
 * named now (so that a named account that has since lost the privilege is still shown).
 */
export async function breakGlassCandidates(db: Executor, organisationId: number): Promise<BreakGlassCandidate[]> {
  const rows = await db
    .selectFrom('accounts')
    .leftJoin('account_privileges', (join) =>
      join
        .onRef('account_privileges.account_id', '=', 'accounts.id')
        .on('account_privileges.privilege', '=', ADMINISTRATOR_PRIVILEGE),
    )
    .leftJoin('la_identity_provider_break_glass as bg', (join) =>
      join.onRef('bg.account_id', '=', 'accounts.id').on('bg.organisation_id', '=', organisationId),
    )
    .select([
      'accounts.id',
      'accounts.username',
      'accounts.first_name',
      'accounts.last_name',
      'accounts.status',
      'account_privileges.privilege',
      'bg.account_id as named_id',
    ])
    .where('accounts.organisation_id', '=', organisationId)
    .where((eb) =>
      eb.or([
        eb.and([eb('accounts.status', '=', 'active'), eb('account_privileges.privilege', 'is not', null)]),
        eb('bg.account_id', 'is not', null),
      ]),
    )
    .orderBy('accounts.last_name')
    .orderBy('accounts.first_name')
    .orderBy('accounts.username')
    .execute();
  return rows.map((r) => ({
    id: r.id,
    username: r.username,
    first_name: r.first_name,
    last_name: r.last_name,
    status: r.status,
    administrator: r.privilege !== null,
    named: r.named_id !== null,
  }));
}

export async function replaceBreakGlass(
  trx: Executor,
  organisationId: number,
  accountIds: readonly string[],
): Promise<void> {
  await trx.deleteFrom('la_identity_provider_break_glass').where('organisation_id', '=', organisationId).execute();
  if (accountIds.length === 0) return;
  await trx
    .insertInto('la_identity_provider_break_glass')
    .values(accountIds.map((account_id) => ({ organisation_id: organisationId, account_id })))
    .execute();
}

/** Whether the LA named this account break-glass: it keeps its own sign-in when the provider is required. */
export async function isBreakGlassAccount(db: Executor, organisationId: number, accountId: string): Promise<boolean> {
  const row = await db
    .selectFrom('la_identity_provider_break_glass')
    .select('account_id')
    .where('organisation_id', '=', organisationId)
    .where('account_id', '=', accountId)
    .executeTakeFirst();
  return row !== undefined;
}
