import type {
  AuthenticationResponseJSON,
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
  RegistrationResponseJSON,
} from '@simplewebauthn/server';
import type { Config } from '../../config.ts';
import type { Passkey } from '../../data/database.ts';
import type { SecretBox } from './secrets.ts';
import { PASSKEY_CHALLENGE_MINUTES, PASSKEY_RESPONSE_MAX } from '../../domain/passkeys.ts';

/**
 * The library, loaded at the first passkey ceremony rather than at start: about a fifth of the idle
 * server's memory for a feature most people never use (issue 11's idle-memory target).
 */
let library:
  Promise<[typeof import('@simplewebauthn/server'), typeof import('@simplewebauthn/server/helpers')]> | undefined;
function webauthn() {
  library ??= Promise.all([import('@simplewebauthn/server'), import('@simplewebauthn/server/helpers')]);
  return library;
}

/**
 * The WebAuthn ceremonies (R65), through @simplewebauthn/server: never hand-written checks. The
 * relying party is the service's own address (BASE_URL): its host is the RP ID and its origin the
 * only one accepted, so an answer made for another site is refused. Passkeys are resident keys,
 * and user verification (a PIN, a fingerprint) is required in both ceremonies.
 */
export function relyingParty(config: Config): { id: string; origin: string; name: string } {
  const url = new URL(config.baseUrl);
  return { id: url.hostname, origin: url.origin, name: config.platformName };
}

const TIMEOUT_MS = PASSKEY_CHALLENGE_MINUTES * 60_000;

export async function registrationOptions(
  config: Config,
  account: { id: string; username: string; displayName: string },
  existing: readonly Passkey[],
): Promise<PublicKeyCredentialCreationOptionsJSON> {
  const rp = relyingParty(config);
  const [{ generateRegistrationOptions }] = await webauthn();
  return generateRegistrationOptions({
    rpName: rp.name,
    rpID: rp.id,
    userName: account.username,
    // The account's id, not its username (which can change, R7): the same person on every passkey.
    userID: new TextEncoder().encode(account.id),
    userDisplayName: account.displayName,
    timeout: TIMEOUT_MS,
    attestationType: 'none',
    excludeCredentials: existing.map((p) => ({ id: p.credential_id, transports: p.transports })),
    authenticatorSelection: { residentKey: 'required', userVerification: 'required' },
  });
}

export async function authenticationOptions(
  config: Config,
  passkeys: readonly Passkey[],
): Promise<PublicKeyCredentialRequestOptionsJSON> {
  const [{ generateAuthenticationOptions }] = await webauthn();
  return generateAuthenticationOptions({
    rpID: relyingParty(config).id,
    allowCredentials: passkeys.map((p) => ({ id: p.credential_id, transports: p.transports })),
    userVerification: 'required',
    timeout: TIMEOUT_MS,
  });
}

/** The browser's answer, as the form sent it: a JSON object of the expected shape, or undefined. */
export function readCredentialResponse(input: string | undefined): Record<string, unknown> | undefined {
  if (!input || input.length > PASSKEY_RESPONSE_MAX) return undefined;
  try {
    const value: unknown = JSON.parse(input);
    if (!value || typeof value !== 'object' || Array.isArray(value)) return undefined;
    const answer = value as Record<string, unknown>;
    if (typeof answer.id !== 'string' || typeof answer.rawId !== 'string' || answer.type !== 'public-key')
      return undefined;
    if (!answer.response || typeof answer.response !== 'object' || Array.isArray(answer.response)) return undefined;
    return answer;
  } catch {
    return undefined;
  }
}

export interface NewCredential {
  credentialId: string;
  publicKey: string;
  counter: number;
  transports: string[];
}

/** The new credential when the registration answer is good for this challenge; undefined otherwise. */
export async function verifyRegistration(
  config: Config,
  answer: Record<string, unknown>,
  challenge: string,
): Promise<NewCredential | undefined> {
  const rp = relyingParty(config);
  const [{ verifyRegistrationResponse }, { isoBase64URL }] = await webauthn();
  try {
    const result = await verifyRegistrationResponse({
      response: answer as unknown as RegistrationResponseJSON,
      expectedChallenge: challenge,
      expectedOrigin: rp.origin,
      expectedRPID: rp.id,
      requireUserVerification: true,
    });
    if (!result.verified) return undefined;
    const { credential } = result.registrationInfo;
    return {
      credentialId: credential.id,
      publicKey: isoBase64URL.fromBuffer(credential.publicKey),
      counter: credential.counter,
      transports: (credential.transports ?? []).slice(0, 10),
    };
  } catch {
    // A malformed or forged answer: the library says why, but to the person it is one refusal.
    return undefined;
  }
}

/** The passkey's new signature counter when the assertion is good for this challenge; undefined otherwise. */
export async function verifyAuthentication(
  config: Config,
  answer: Record<string, unknown>,
  challenge: string,
  passkey: Passkey,
): Promise<number | undefined> {
  const rp = relyingParty(config);
  const [{ verifyAuthenticationResponse }, { isoBase64URL }] = await webauthn();
  try {
    const result = await verifyAuthenticationResponse({
      response: answer as unknown as AuthenticationResponseJSON,
      expectedChallenge: challenge,
      expectedOrigin: rp.origin,
      expectedRPID: rp.id,
      requireUserVerification: true,
      credential: {
        id: passkey.credential_id,
        publicKey: isoBase64URL.toBuffer(passkey.public_key),
        // The library refuses a counter that did not go up (a cloned authenticator), unless both are 0.
        counter: Number(passkey.counter),
        transports: passkey.transports,
      },
    });
    return result.verified ? result.authenticationInfo.newCounter : undefined;
  } catch {
    return undefined;
  }
}

const SIGN_IN_PURPOSE = 'passkey-sign-in';

/**
 * The password-less sign-in's challenge, sealed for the page to carry: nobody is known when the
 * sign-in page is shown, so nothing is written for it (an anonymous page must not fill a table).
 * The seal (AES-GCM) means only this service could have made it; the expiry inside bounds it; and
 * spending it (spendChallenge) makes it good for one answer.
 */
export function sealSignInChallenge(box: SecretBox, challenge: string, expiresAt: Date): string {
  return box.seal(JSON.stringify({ p: SIGN_IN_PURPOSE, c: challenge, e: expiresAt.getTime() }));
}

/** The challenge and its expiry when the seal is this service's and for this purpose; undefined otherwise. */
export function openSignInChallenge(
  box: SecretBox,
  sealed: string | undefined,
): { challenge: string; expiresAt: Date } | undefined {
  if (!sealed || sealed.length > 1_000) return undefined;
  try {
    const value: unknown = JSON.parse(box.open(sealed));
    if (!value || typeof value !== 'object') return undefined;
    const { p, c, e } = value as Record<string, unknown>;
    if (p !== SIGN_IN_PURPOSE || typeof c !== 'string' || typeof e !== 'number') return undefined;
    return { challenge: c, expiresAt: new Date(e) };
  } catch {
    // Tampered, truncated or sealed with another key: to the person, one refusal.
    return undefined;
  }
}
