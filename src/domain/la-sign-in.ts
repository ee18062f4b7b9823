import { DomainError } from './errors.ts';
import type { IdentifyingClaim } from './identity-providers.ts';

/**
 * Signing in through an LA's own OpenID Connect provider (R64, issue 15 items 2–4): the rules,
 * without I/O. The ceremony itself (discovery, the code flow with PKCE, state and nonce, the ID
 * token's checks) is openid-client's, in services/sign-in/la-sign-in.ts.
 */

/** Where the provider sends people back: the LA registers this address with its provider. */
export const LA_CALLBACK_PATH = '/sign-in/la-account/callback';

export const laCallbackUrl = (baseUrl: string): string => `${baseUrl}${LA_CALLBACK_PATH}`;

/** openid asks for the ID token; profile and email for the claims that link; offline_access for the re-check. */
export const LA_SCOPE = 'openid profile email offline_access';

/** A sign-in sent to the provider must come back within this time. */
export const LA_TRANSACTION_MINUTES = 10;

/** How the sign-in page goes on once the username is known. */
export type SignInWay = 'password' | 'la-account-offered' | 'la-account-required';

/**
 * The way for an account (or for no account: the password step, as for any account that signs
 * in with a password, so that the step says nothing of whether the username exists).
 * Central support and break-glass accounts always keep their password.
 */
export function signInWay(input: {
  provider: { enabled: boolean; required: boolean } | undefined;
  organisationKind: 'la' | 'central' | undefined;
  breakGlass: boolean;
}): SignInWay {
  if (input.organisationKind !== 'la' || !input.provider?.enabled) return 'password';
  if (input.provider.required && !input.breakGlass) return 'la-account-required';
  return 'la-account-offered';
}

/** Password sign-in is refused for the staff of an LA that requires its provider, break-glass accounts aside. */
export function passwordRefused(input: {
  provider: { enabled: boolean; required: boolean } | undefined;
  organisationKind: 'la' | 'central' | undefined;
  breakGlass: boolean;
}): boolean {
  return signInWay(input) === 'la-account-required';
}

/** The value of the configured claim, as text; undefined when the token does not carry it. */
export function identifyingValue(
  claims: Readonly<Record<string, unknown>>,
  claim: IdentifyingClaim,
): string | undefined {
  const value = claims[claim];
  if (typeof value !== 'string') return undefined;
  const trimmed = value.trim();
  return trimmed.length > 0 && trimmed.length <= 255 ? trimmed : undefined;
}

/**
 * Whether the provider says the person used multi-factor authentication: `amr` (RFC 8176)
 * contains `mfa`, or `acr` is the value the LA configured for it. Then Nexus asks for no code.
 */
export function providerAssertsMfa(claims: Readonly<Record<string, unknown>>, mfaAcr: string | null): boolean {
  const amr = claims.amr;
  if (Array.isArray(amr) && amr.includes('mfa')) return true;
  return mfaAcr !== null && typeof claims.acr === 'string' && claims.acr === mfaAcr;
}

/** A session opened through the provider is checked with it again once its last check is this old. */
export function recheckDue(confirmedAt: Date, now: Date, recheckHours: number): boolean {
  return now.getTime() - confirmedAt.getTime() >= recheckHours * 3_600_000;
}

/** How far the provider's clock may be behind Nexus's when it says when the person signed in. */
export const LA_CLOCK_SKEW_SECONDS = 60;

/**
 * Whether the provider's ID token says the person proved who they are at the provider during a
 * re-authentication that began at `startedAt` (asked with prompt=login and max_age=0): its
 * `auth_time` is no earlier, but for clock skew. A provider that ignored the request and signed
 * the person in from its own older session, or said nothing of when, has not.
 */
export function signedInAtProviderSince(claims: Readonly<Record<string, unknown>>, startedAt: Date): boolean {
  const authTime = claims.auth_time;
  if (typeof authTime !== 'number' || !Number.isFinite(authTime)) return false;
  return authTime * 1000 >= startedAt.getTime() - LA_CLOCK_SKEW_SECONDS * 1000;
}

/** The authorization response's errors that say the provider refused the person (not an outage or a bad request). */
const REFUSALS = new Set([
  'access_denied',
  'login_required',
  'interaction_required',
  'consent_required',
  'unauthorized_client',
]);

export function isRefusal(error: string): boolean {
  return REFUSALS.has(error);
}

export const LA_SIGN_IN_FAILED = 'Signing in with your LA account did not work. Try again.';
export const LA_SIGN_IN_EXPIRED = 'Your sign-in has expired. Sign in again.';
export const laSignInNotFresh = (laName: string) =>
  `${laName} did not ask for your password again, and the application you are going to needs you to enter it. Sign in again with your ${laName} account.`;
export const laUnreachable = (laName: string) =>
  `${laName}’s sign-in cannot be reached just now. Try again in a few minutes.`;
export const laPasswordRefused = (laName: string) =>
  `${laName} asks its staff to sign in with their ${laName} account. Choose “Sign in with your ${laName} account”.`;

/** The LA's provider cannot be reached (an outage, not a refusal): password sign-in still works for those who keep it. */
export class LaProviderUnavailable extends DomainError {
  readonly status = 503;
  constructor(
    readonly laName: string,
    /** The provider's origin, which the page's form may still be sent on to (Content-Security-Policy form-action). */
    readonly providerOrigin?: string,
  ) {
    super(laUnreachable(laName));
  }
}

/** The provider signed the person in, but no Nexus account of the LA has the claim's value. */
export class LaAccountNotLinkedError extends DomainError {
  readonly status = 403;
  constructor(
    readonly administrators: readonly { name: string; email: string }[],
    readonly laName: string,
    readonly reason: 'not-linked' | 'ambiguous-email' | 'no-claim' | 'unverified-email' | 'subject-changed',
  ) {
    super('Your LA account is not linked to an account here');
  }
}

/** The provider refused the person (disabled, deleted, or no access): Nexus refuses too (R64, R52). */
export class LaAccountRefusedError extends DomainError {
  readonly status = 403;
  constructor(
    readonly administrators: readonly { name: string; email: string }[],
    readonly laName: string,
  ) {
    super('Your LA account was refused');
  }
}
