import type { Account, Executor, Passkey } from '../../data/database.ts';
import { findAccountById, findOrganisation } from '../../data/queries/account-queries.ts';
import { findIdentityProvider, isBreakGlassAccount } from '../../data/queries/identity-provider-queries.ts';
import { anyPasskeySignIn, findPasskeyByCredential, spendChallenge } from '../../data/queries/passkey-queries.ts';
import { passwordRefused } from '../../domain/la-sign-in.ts';
import { PASSKEY_CHALLENGE_MINUTES } from '../../domain/passkeys.ts';
import type { ServiceDeps } from '../deps.ts';
import { hashToken } from './secrets.ts';
import {
  authenticationOptions,
  openSignInChallenge,
  readCredentialResponse,
  sealSignInChallenge,
  verifyAuthentication,
} from './webauthn.ts';

/**
 * Signing in with a passkey alone (R65), where the person's LA allows it: the passkey is both
 * factors (something held, unlocked by a fingerprint, face or PIN: user verification is required).
 * The sign-in service throttles, audits and opens the session; this file holds the ceremony.
 */

export const PASSKEY_SIGN_IN_REFUSED =
  'Your passkey could not be used to sign in. Try again, or sign in with your username and password.';
export const PASSKEY_SIGN_IN_NOT_ALLOWED =
  'Your Local Authority has not turned on signing in with a passkey alone. Sign in with your username and password.';
export const PASSKEY_SIGN_IN_LA_ACCOUNT =
  'Your Local Authority asks its staff to sign in with their LA account. Enter your username to continue.';

/** What the sign-in page needs to offer a passkey: the browser's options and the sealed challenge; undefined when no LA allows it. */
export async function passkeySignInOffer(deps: ServiceDeps) {
  if (!(await anyPasskeySignIn(deps.db))) return undefined;
  // No credentials listed: the browser offers the passkeys it holds for this site (resident keys).
  const options = await authenticationOptions(deps.config, []);
  const expiresAt = new Date(deps.clock.now().getTime() + PASSKEY_CHALLENGE_MINUTES * 60_000);
  return { options, sealed: sealSignInChallenge(deps.secretBox, options.challenge, expiresAt) };
}

export type PasskeySignInCheck =
  | { ok: true; account: Account; passkey: Passkey; counter: number }
  | { ok: false; archived: Account }
  | { ok: false; account: Account | undefined; reason: string; message: string };

/**
 * Checks an answer to the sign-in page's passkey ceremony. The challenge is spent whatever follows,
 * so an answer (right or wrong) is never accepted twice. `identify` is called as soon as the
 * passkey names an account, before the signature is checked, so that the caller's throttle
 * counts the attempt against that account.
 */
export async function checkPasskeySignIn(
  deps: ServiceDeps,
  input: { sealed: string | undefined; response: string },
  identify: (account: Account | undefined, credentialId: string) => Promise<void>,
): Promise<PasskeySignInCheck> {
  const { db, clock, config, secretBox } = deps;
  const now = clock.now();
  const refused = (account: Account | undefined, reason: string, message = PASSKEY_SIGN_IN_REFUSED) =>
    ({ ok: false, account, reason, message }) as const;

  const answer = readCredentialResponse(input.response);
  const passkey = answer ? await findPasskeyByCredential(db, answer.id as string) : undefined;
  const account = passkey ? await findAccountById(db, passkey.account_id) : undefined;
  await identify(account, answer ? String(answer.id).slice(0, 64) : 'malformed');

  const challenge = openSignInChallenge(secretBox, input.sealed);
  if (!challenge || challenge.expiresAt <= now) return refused(account, 'passkey-challenge-expired');
  if (!(await spendChallenge(db, hashToken(challenge.challenge), challenge.expiresAt, now)))
    return refused(account, 'passkey-challenge-reused');
  if (!answer || !passkey || !account) return refused(account, 'passkey-unknown');
  const counter = await verifyAuthentication(config, answer, challenge.challenge, passkey);
  if (counter === undefined) return refused(account, 'passkey-refused');
  // The right passkey of an archived account: the person is told, as with the right password (R52).
  if (account.status === 'archived') return { ok: false, archived: account };
  if (account.status !== 'active') return refused(account, 'passkey-refused');

  const organisation = await findOrganisation(db, account.organisation_id);
  if (!organisation?.passkey_sign_in)
    return refused(account, 'passkey-sign-in-not-allowed', PASSKEY_SIGN_IN_NOT_ALLOWED);
  if (await laAccountRequired(db, account, organisation.kind))
    return refused(account, 'passkey-sign-in-la-account-required', PASSKEY_SIGN_IN_LA_ACCOUNT);
  return { ok: true, account, passkey, counter };
}

/**
 * Whether the account must sign in through its LA's own provider (R64 "required"): then a passkey
 * alone would let a leaver whom the LA has closed back in. The same rule as the password's.
 */
async function laAccountRequired(db: Executor, account: Account, organisationKind: 'la' | 'central'): Promise<boolean> {
  const provider = await findIdentityProvider(db, account.organisation_id);
  const breakGlass = provider?.required ? await isBreakGlassAccount(db, account.organisation_id, account.id) : false;
  return passwordRefused({ provider, organisationKind, breakGlass });
}
