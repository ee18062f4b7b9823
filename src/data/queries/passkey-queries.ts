import type { Executor, Passkey, WebAuthnPurpose } from '../database.ts';

/** An account's passkeys, oldest first (the order My account lists them in). */
export async function passkeysOf(db: Executor, accountId: string): Promise<Passkey[]> {
  return db
    .selectFrom('passkeys')
    .selectAll()
    .where('account_id', '=', accountId)
    .orderBy('created_at')
    .orderBy('id')
    .execute();
}

export async function countPasskeys(db: Executor, accountId: string): Promise<number> {
  const row = await db
    .selectFrom('passkeys')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('account_id', '=', accountId)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

export async function insertPasskey(
  db: Executor,
  passkey: {
    id: string;
    accountId: string;
    credentialId: string;
    publicKey: string;
    counter: number;
    transports: string[];
    name: string;
    now: Date;
  },
): Promise<void> {
  await db
    .insertInto('passkeys')
    .values({
      id: passkey.id,
      account_id: passkey.accountId,
      credential_id: passkey.credentialId,
      public_key: passkey.publicKey,
      counter: passkey.counter,
      transports: passkey.transports,
      name: passkey.name,
      created_at: passkey.now,
    })
    .execute();
}

/** Whether any account already holds this credential (an authenticator registered twice). */
export async function credentialExists(db: Executor, credentialId: string): Promise<boolean> {
  return (
    (await db.selectFrom('passkeys').select('id').where('credential_id', '=', credentialId).executeTakeFirst()) !==
    undefined
  );
}

/** Removes one passkey of this account; the removed row, or undefined when it was not theirs or is gone. */
export async function deletePasskey(db: Executor, accountId: string, id: string): Promise<Passkey | undefined> {
  return db
    .deleteFrom('passkeys')
    .where('id', '=', id)
    .where('account_id', '=', accountId)
    .returningAll()
    .executeTakeFirst();
}

/** Removes every passkey of an account (a two-factor reset, R28); how many there were. */
export async function deletePasskeysOf(db: Executor, accountId: string): Promise<number> {
  const result = await db.deleteFrom('passkeys').where('account_id', '=', accountId).executeTakeFirst();
  return Number(result.numDeletedRows);
}

/**
 * Records a use: the new signature counter and when. Conditional on the counter read before the
 * check, so that of two sign-ins racing with one assertion only one succeeds.
 */
export async function recordPasskeyUse(
  db: Executor,
  passkey: { id: string; previousCounter: number; counter: number; now: Date },
): Promise<boolean> {
  const result = await db
    .updateTable('passkeys')
    .set({ counter: passkey.counter, last_used_at: passkey.now })
    .where('id', '=', passkey.id)
    .where('counter', '=', passkey.previousCounter as unknown as string)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** Opens a WebAuthn ceremony on a session, replacing any open one. */
export async function setChallenge(
  db: Executor,
  idHash: string,
  challenge: { value: string; purpose: WebAuthnPurpose; expiresAt: Date },
): Promise<void> {
  await db
    .updateTable('sessions')
    .set({
      webauthn_challenge: challenge.value,
      webauthn_purpose: challenge.purpose,
      webauthn_expires_at: challenge.expiresAt,
    })
    .where('id_hash', '=', idHash)
    .execute();
}

/**
 * Takes the session's open challenge for this purpose, if it has not expired: one statement
 * clears it and returns it, so a challenge is answered at most once.
 */
export async function takeChallenge(
  db: Executor,
  idHash: string,
  purpose: WebAuthnPurpose,
  now: Date,
): Promise<string | undefined> {
  const row = await db
    .with('open', (qb) =>
      qb
        .selectFrom('sessions')
        .select(['id_hash', 'webauthn_challenge', 'webauthn_purpose', 'webauthn_expires_at'])
        .where('id_hash', '=', idHash)
        .forUpdate(),
    )
    .updateTable('sessions')
    .from('open')
    .set({ webauthn_challenge: null, webauthn_purpose: null, webauthn_expires_at: null })
    .whereRef('sessions.id_hash', '=', 'open.id_hash')
    .where('open.webauthn_challenge', 'is not', null)
    .returning([
      'open.webauthn_challenge as challenge',
      'open.webauthn_purpose as purpose',
      'open.webauthn_expires_at as expiresAt',
    ])
    .executeTakeFirst();
  if (!row?.challenge || row.purpose !== purpose || !row.expiresAt || row.expiresAt <= now) return undefined;
  return row.challenge;
}

/** The passkey holding this credential, whoever's it is: the password-less sign-in knows no account first. */
export async function findPasskeyByCredential(db: Executor, credentialId: string): Promise<Passkey | undefined> {
  return db.selectFrom('passkeys').selectAll().where('credential_id', '=', credentialId).executeTakeFirst();
}

/**
 * Spends a password-less sign-in's challenge: true the first time, false when it was already
 * answered (a replayed page or answer). Rows past their expiry go at the same time: an expired
 * challenge is refused before it is looked up here.
 */
export async function spendChallenge(
  db: Executor,
  challengeHash: string,
  expiresAt: Date,
  now: Date,
): Promise<boolean> {
  await db.deleteFrom('webauthn_spent_challenges').where('expires_at', '<', now).execute();
  const row = await db
    .insertInto('webauthn_spent_challenges')
    .values({ challenge_hash: challengeHash, expires_at: expiresAt })
    .onConflict((oc) => oc.column('challenge_hash').doNothing())
    .returning('challenge_hash')
    .executeTakeFirst();
  return row !== undefined;
}

/** Whether any organisation lets its staff sign in with a passkey alone: the sign-in page offers it only then. */
export async function anyPasskeySignIn(db: Executor): Promise<boolean> {
  const row = await db.selectFrom('organisations').select('id').where('passkey_sign_in', '=', true).executeTakeFirst();
  return row !== undefined;
}

export async function setPasskeySignIn(db: Executor, organisationId: number, allowed: boolean): Promise<boolean> {
  const result = await db
    .updateTable('organisations')
    .set({ passkey_sign_in: allowed })
    .where('id', '=', organisationId)
    .where('passkey_sign_in', '=', !allowed)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}
