/** Passkeys (R65): the rules that need no I/O. */

/** How long a WebAuthn ceremony may take, from the page that opened it to the answer. */
export const PASSKEY_CHALLENGE_MINUTES = 5;

export const PASSKEY_NAME_MAX = 60;

/** The largest answer of a browser we read: a registration with 'none' attestation is well under 2 KB. */
export const PASSKEY_RESPONSE_MAX = 16_384;

/** The name a person gives a passkey, trimmed with inner runs of spaces made one; or the message to show. */
export function passkeyName(input: string | undefined): { name: string } | { error: string } {
  const name = (input ?? '').replace(/\s+/g, ' ').trim();
  if (!name) return { error: 'Enter a name for this passkey, such as the device it is on' };
  if (name.length > PASSKEY_NAME_MAX) return { error: `Name must be ${PASSKEY_NAME_MAX} characters or fewer` };
  return { name };
}

/** "1 passkey", "2 passkeys". */
export const passkeyCount = (n: number): string => `${n} ${n === 1 ? 'passkey' : 'passkeys'}`;

/**
 * How a person signs in, in words, for the administrators' pages (issue 15 item 6): "Password,
 * authenticator app and 2 passkeys". A passkey is a second step like the app, after the password.
 */
export function signInMethods(account: {
  hasPassword: boolean;
  hasTotp: boolean;
  passkeys: number;
  /** Has signed in through the LA's own provider (R64). */
  laAccount?: boolean;
}): string {
  if (account.laAccount) {
    const other = signInMethods({ ...account, laAccount: false });
    return account.hasPassword ? `LA account; also ${other.charAt(0).toLowerCase()}${other.slice(1)}` : 'LA account';
  }
  if (!account.hasPassword) return 'No password set yet';
  if (!account.hasTotp && account.passkeys === 0) return 'Password only: two-factor authentication not set up yet';
  const steps = [
    ...(account.hasTotp ? ['authenticator app'] : []),
    ...(account.passkeys > 0 ? [passkeyCount(account.passkeys)] : []),
  ];
  return `Password, then ${steps.join(' or ')}`;
}
