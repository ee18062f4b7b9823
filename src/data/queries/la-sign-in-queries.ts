import type { Account, Executor, LaAccountLink, Session } from '../database.ts';

/** Signing in through an LA's own provider (R64, migration 0011): the transaction, the accounts a claim names, the links. */

/**
 * A sign-in on its way to the provider: a session at stage la_account holding the transaction.
 * `freshSince` (a re-authentication) is kept in la_confirmed_at: the provider must have confirmed
 * the person no earlier than this.
 */
export async function insertLaTransaction(
  db: Executor,
  row: {
    idHash: string;
    accountId: string;
    now: Date;
    expiresAt: Date;
    ip: string | null;
    userAgent: string | null;
    state: string;
    nonce: string;
    codeVerifierSealed: string;
    returnTo: string | undefined;
    freshSince?: Date;
  },
): Promise<void> {
  await db
    .insertInto('sessions')
    .values({
      id_hash: row.idHash,
      account_id: row.accountId,
      stage: 'la_account',
      created_at: row.now,
      last_seen_at: row.now,
      expires_at: row.expiresAt,
      ip: row.ip,
      user_agent: row.userAgent?.slice(0, 500) ?? null,
      la_state: row.state,
      la_nonce: row.nonce,
      la_code_verifier: row.codeVerifierSealed,
      la_return_to: row.returnTo ?? null,
      la_confirmed_at: row.freshSince ?? null,
    })
    .execute();
}

/** Takes (deletes) the transaction: a callback is answered once, right or wrong. */
export async function takeLaTransaction(db: Executor, idHash: string): Promise<Session | undefined> {
  return db
    .deleteFrom('sessions')
    .where('id_hash', '=', idHash)
    .where('stage', '=', 'la_account')
    .returningAll()
    .executeTakeFirst();
}

/** The accounts of an LA with this email address, at most two: more than one is refused. */
export async function accountsOfLaByEmail(db: Executor, organisationId: number, email: string): Promise<Account[]> {
  return db
    .selectFrom('accounts')
    .selectAll()
    .where('organisation_id', '=', organisationId)
    .where((eb) => eb(eb.fn('lower', ['email']), '=', email.toLowerCase()))
    .limit(2)
    .execute();
}

export async function findLaAccountLink(db: Executor, accountId: string): Promise<LaAccountLink | undefined> {
  return db.selectFrom('la_account_links').selectAll().where('account_id', '=', accountId).executeTakeFirst();
}

/** Forgets the account's link to its LA account: the next sign-in through the provider links afresh. */
export async function deleteLaAccountLink(db: Executor, accountId: string): Promise<number> {
  const result = await db.deleteFrom('la_account_links').where('account_id', '=', accountId).executeTakeFirst();
  return Number(result.numDeletedRows);
}

/** Records a sign-in through the provider: the link, the subject and (when given) its refresh token. */
export async function saveLaAccountLink(
  db: Executor,
  link: {
    accountId: string;
    organisationId: number;
    issuer: string;
    subject: string;
    refreshTokenSealed: string | null;
    now: Date;
  },
): Promise<void> {
  await db
    .insertInto('la_account_links')
    .values({
      account_id: link.accountId,
      organisation_id: link.organisationId,
      issuer: link.issuer,
      subject: link.subject,
      refresh_token_sealed: link.refreshTokenSealed,
      linked_at: link.now,
      confirmed_at: link.now,
    })
    .onConflict((oc) =>
      oc.column('account_id').doUpdateSet({
        organisation_id: link.organisationId,
        issuer: link.issuer,
        subject: link.subject,
        refresh_token_sealed: link.refreshTokenSealed,
        confirmed_at: link.now,
      }),
    )
    .execute();
}

/** A refresh the provider answered: its new refresh token (rotated, or the same) and the time. */
export async function confirmLaAccountLink(
  db: Executor,
  accountId: string,
  refreshTokenSealed: string,
  now: Date,
): Promise<void> {
  await db
    .updateTable('la_account_links')
    .set({ refresh_token_sealed: refreshTokenSealed, confirmed_at: now })
    .where('account_id', '=', accountId)
    .execute();
}

/** A refresh token the provider refused is of no further use. */
export async function dropLaRefreshToken(db: Executor, accountId: string): Promise<void> {
  await db
    .updateTable('la_account_links')
    .set({ refresh_token_sealed: null })
    .where('account_id', '=', accountId)
    .execute();
}

export async function setSessionConfirmed(db: Executor, idHash: string, at: Date | null): Promise<void> {
  await db.updateTable('sessions').set({ la_confirmed_at: at }).where('id_hash', '=', idHash).execute();
}
