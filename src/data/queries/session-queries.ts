import type { Account, Executor, Organisation, Session, SessionStage } from '../database.ts';
import { accountWithOrganisation, organisationAndPrivilegeColumns } from './account-queries.ts';

export async function insertSession(
  db: Executor,
  session: {
    idHash: string;
    accountId: string;
    stage: SessionStage;
    now: Date;
    expiresAt: Date;
    ip: string | null;
    userAgent: string | null;
    /** Opened through the LA's provider: when it confirmed the person (R64). */
    laConfirmedAt?: Date | null;
  },
): Promise<void> {
  await db
    .insertInto('sessions')
    .values({
      id_hash: session.idHash,
      account_id: session.accountId,
      stage: session.stage,
      created_at: session.now,
      last_seen_at: session.now,
      expires_at: session.expiresAt,
      ip: session.ip,
      user_agent: session.userAgent?.slice(0, 500) ?? null,
      la_confirmed_at: session.laConfirmedAt ?? null,
    })
    .execute();
}

export async function findSession(db: Executor, idHash: string): Promise<Session | undefined> {
  return db.selectFrom('sessions').selectAll().where('id_hash', '=', idHash).executeTakeFirst();
}

export async function touchSession(db: Executor, idHash: string, now: Date): Promise<void> {
  await db.updateTable('sessions').set({ last_seen_at: now }).where('id_hash', '=', idHash).execute();
}

export async function setPendingTotpSecret(db: Executor, idHash: string, sealed: string): Promise<void> {
  await db.updateTable('sessions').set({ pending_totp_secret: sealed }).where('id_hash', '=', idHash).execute();
}

export async function deleteSession(db: Executor, idHash: string): Promise<void> {
  await db.deleteFrom('sessions').where('id_hash', '=', idHash).execute();
}

/** Ends every session of an account (archive, password reset, 2FA reset). */
export async function deleteSessionsOfAccount(db: Executor, accountId: string, except?: string): Promise<number> {
  let query = db.deleteFrom('sessions').where('account_id', '=', accountId);
  if (except) query = query.where('id_hash', '!=', except);
  const result = await query.executeTakeFirst();
  return Number(result.numDeletedRows);
}

export async function deleteExpiredSessions(db: Executor, now: Date, idleBefore: Date): Promise<number> {
  const result = await db
    .deleteFrom('sessions')
    .where((eb) => eb.or([eb('expires_at', '<=', now), eb('last_seen_at', '<=', idleBefore)]))
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}

/** A session as a page request reads it: without the open WebAuthn ceremony or LA transaction, which only their own steps read. */
export type SignedInSession = Omit<
  Session,
  | 'webauthn_challenge'
  | 'webauthn_purpose'
  | 'webauthn_expires_at'
  | 'la_state'
  | 'la_nonce'
  | 'la_code_verifier'
  | 'la_return_to'
>;

/** findSessionWithAccount's statement: the session, its account and organisation in one round trip. */
export function sessionWithAccountQuery(db: Executor, idHash: string) {
  return db
    .selectFrom('sessions')
    .innerJoin('accounts', 'accounts.id', 'sessions.account_id')
    .innerJoin('organisations', 'organisations.id', 'accounts.organisation_id')
    .selectAll('accounts')
    .select(organisationAndPrivilegeColumns())
    .select([
      'sessions.id_hash as session_id_hash',
      'sessions.stage as session_stage',
      'sessions.pending_totp_secret as session_pending_totp_secret',
      'sessions.created_at as session_created_at',
      'sessions.last_seen_at as session_last_seen_at',
      'sessions.expires_at as session_expires_at',
      'sessions.ip as session_ip',
      'sessions.user_agent as session_user_agent',
      'sessions.la_confirmed_at as session_la_confirmed_at',
    ])
    .where('sessions.id_hash', '=', idHash);
}

/**
 * A session with the person it signs in, as they are now (R18): the account, its organisation
 * and its privilege codes, in one statement (this runs on every page request). Undefined when
 * there is no such session; the account is always there (sessions are deleted with it).
 */
export async function findSessionWithAccount(
  db: Executor,
  idHash: string,
): Promise<
  { session: SignedInSession; account: Account; organisation: Organisation; privileges: string[] } | undefined
> {
  const row = await sessionWithAccountQuery(db, idHash).executeTakeFirst();
  if (!row) return undefined;
  const {
    session_id_hash,
    session_stage,
    session_pending_totp_secret,
    session_created_at,
    session_last_seen_at,
    session_expires_at,
    session_ip,
    session_user_agent,
    session_la_confirmed_at,
    ...rest
  } = row;
  return {
    session: {
      id_hash: session_id_hash,
      account_id: rest.id,
      stage: session_stage,
      pending_totp_secret: session_pending_totp_secret,
      created_at: session_created_at,
      last_seen_at: session_last_seen_at,
      expires_at: session_expires_at,
      ip: session_ip,
      user_agent: session_user_agent,
      la_confirmed_at: session_la_confirmed_at,
    },
    ...accountWithOrganisation(rest),
  };
}

/** Ends a half-signed-in session, saying when the LA's provider confirmed the person, if it did (R64). */
export async function endPendingSession(db: Executor, idHash: string): Promise<{ laConfirmedAt: Date | null }> {
  const row = await db
    .deleteFrom('sessions')
    .where('id_hash', '=', idHash)
    .returning('la_confirmed_at')
    .executeTakeFirst();
  return { laConfirmedAt: row?.la_confirmed_at ?? null };
}
