import type { FieldErrors } from './errors.ts';

/**
 * An LA's own OpenID Connect provider (R64, issue 15 item 1): the settings an administrator
 * enters and the rules they must keep. The sign-in through it comes later (items 2–4); these are
 * stored now so that the page shows every choice the LA makes.
 */

/** The claim of the ID token that names the person, matched against the LA's existing accounts. */
export const IDENTIFYING_CLAIMS = ['preferred_username', 'email', 'oid'] as const;
export type IdentifyingClaim = (typeof IDENTIFYING_CLAIMS)[number];
export const DEFAULT_IDENTIFYING_CLAIM: IdentifyingClaim = 'preferred_username';

export const IDENTIFYING_CLAIM_TEXT: Record<IdentifyingClaim, { label: string; hint: string; matches: string }> = {
  preferred_username: {
    label: 'User principal name (preferred_username)',
    hint: 'For example j.smith@camden.gov.uk. Entra ID sends the UPN as preferred_username.',
    matches: 'the username',
  },
  email: {
    label: 'Email address (email)',
    hint: 'Only if the provider sends a verified email address that is unique to each person.',
    matches: 'the email address',
  },
  oid: {
    label: 'Object ID (oid)',
    hint: 'The Entra ID object ID, kept as the account’s external ID, as SCIM provisioning does.',
    matches: 'the external ID',
  },
};

/**
 * How the LA's staff sign in: off (password and two-factor authentication only), optional (the LA
 * account or the password), required (the LA account only, except the break-glass accounts and
 * central support, who always keep password and two-factor authentication).
 */
export const SIGN_IN_MODES = ['off', 'optional', 'required'] as const;
export type SignInMode = (typeof SIGN_IN_MODES)[number];

export const SIGN_IN_MODE_TEXT: Record<SignInMode, { label: string; hint: string; short: string }> = {
  off: {
    label: 'Off',
    hint: 'Everyone signs in with their password and two-factor authentication, as now.',
    short: 'off',
  },
  optional: {
    label: 'On',
    hint: 'Staff may sign in with their LA account or with their password.',
    short: 'on',
  },
  required: {
    label: 'Required',
    hint: 'Staff must sign in with their LA account. Password sign-in is off for them, except for the break-glass accounts you choose.',
    short: 'required',
  },
};

export function signInMode(row: { enabled: boolean; required: boolean }): SignInMode {
  return !row.enabled ? 'off' : row.required ? 'required' : 'optional';
}

export const ISSUER_MAX = 500;
export const CLIENT_ID_MAX = 255;
export const CLIENT_SECRET_MAX = 512;
export const MFA_ACR_MAX = 255;
/** Break-glass accounts: a handful is the point; more would defeat "required". */
export const BREAK_GLASS_MAX = 10;

/** Microsoft's multi-tenant endpoints: any organisation's users could be offered, so never an LA's issuer. */
const ENTRA_SHARED_TENANTS = new Set(['common', 'organizations', 'consumers']);

const ISSUER_CHARACTERS =
  'The issuer URL must be a web address as the provider gives it, without spaces, accented letters or symbols such as < and >';

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/** True for an http:// address on this machine: where tests and local development run a provider. */
export function isLoopbackHttp(url: URL): boolean {
  return url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname);
}

/**
 * What is wrong with an issuer URL as typed, or undefined. https only; http just for a provider
 * on this machine, and only when this service itself runs on one (development and tests), so a
 * production server cannot be pointed at its own unencrypted local services.
 */
export function issuerProblem(issuer: string, options: { allowLoopbackHttp: boolean }): string | undefined {
  if (!issuer) return 'Enter the issuer URL';
  if (issuer.length > ISSUER_MAX) return `The issuer URL must be ${ISSUER_MAX} characters or fewer`;
  // The characters RFC 3986 allows in a URI: no spaces, no accented letters, no < > " { } | \ ^ `.
  if (!/^[A-Za-z0-9\-._~:/?#[\]@!$&'()*+,;=%]+$/.test(issuer)) return ISSUER_CHARACTERS;
  let url: URL;
  try {
    url = new URL(issuer);
  } catch {
    return 'Enter the issuer URL as a full web address starting with https://';
  }
  if (url.protocol !== 'https:' && !(options.allowLoopbackHttp && isLoopbackHttp(url)))
    return 'The issuer URL must start with https://';
  if (url.username || url.password) return 'The issuer URL must not contain a user name or password';
  if (url.search || url.hash || issuer.includes('?') || issuer.includes('#'))
    return 'The issuer URL must not contain a ? or #';
  if (url.pathname.includes('/.well-known/'))
    return 'Enter the issuer URL itself, without /.well-known/openid-configuration';
  if (
    url.hostname === 'login.microsoftonline.com' &&
    ENTRA_SHARED_TENANTS.has((url.pathname.split('/')[1] ?? '').toLowerCase())
  )
    return 'Use your tenant’s own issuer URL (with its tenant ID), not common or organizations: otherwise people of any organisation could be offered';
  return undefined;
}

/** RFC 6749 client identifiers and secrets are printable ASCII (VSCHAR). */
const VSCHAR = /^[\x20-\x7e]+$/;

export interface ProviderSettingsInput {
  issuer?: unknown;
  clientId?: unknown;
  clientSecret?: unknown;
  claim?: unknown;
  signIn?: unknown;
  archiveOnRefusal?: unknown;
  breakGlass?: unknown;
  mfaAcr?: unknown;
}

export interface ProviderSettings {
  readonly issuer: string;
  readonly clientId: string;
  /** Undefined: keep the stored one. */
  readonly clientSecret: string | undefined;
  readonly claim: IdentifyingClaim;
  readonly mode: SignInMode;
  readonly archiveOnRefusal: boolean;
  readonly breakGlass: readonly string[];
  /** The acr value by which the provider says the person used multi-factor authentication; null: amr only. */
  readonly mfaAcr: string | null;
}

const trimmed = (value: unknown): string => (typeof value === 'string' ? value.trim() : '');
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The settings as submitted, or each field's problem. `breakGlassChoices`: the accounts that may
 * be named (the LA's administrators and those already named); `secretStored`: a secret may then
 * be left empty to keep it.
 */
export function validateProviderSettings(
  input: ProviderSettingsInput,
  context: { allowLoopbackHttp: boolean; secretStored: boolean; breakGlassChoices: ReadonlySet<string> },
): { value?: ProviderSettings; errors: FieldErrors } {
  const errors: Record<string, string> = {};
  const issuer = trimmed(input.issuer);
  const issuerError = issuerProblem(issuer, context);
  if (issuerError) errors.issuer = issuerError;

  const clientId = trimmed(input.clientId);
  if (!clientId) errors.clientId = 'Enter the client ID (in Entra ID: the application (client) ID)';
  else if (clientId.length > CLIENT_ID_MAX)
    errors.clientId = `The client ID must be ${CLIENT_ID_MAX} characters or fewer`;
  else if (!VSCHAR.test(clientId))
    errors.clientId = 'The client ID can only contain letters, numbers, spaces and the symbols of a keyboard';

  // A secret is never trimmed: its spaces, if any, are part of it.
  const secret = typeof input.clientSecret === 'string' ? input.clientSecret : '';
  if (!secret) {
    if (!context.secretStored) errors.clientSecret = 'Enter the client secret';
  } else if (secret.length > CLIENT_SECRET_MAX)
    errors.clientSecret = `The client secret must be ${CLIENT_SECRET_MAX} characters or fewer`;
  else if (!VSCHAR.test(secret))
    errors.clientSecret = 'The client secret can only contain letters, numbers, spaces and the symbols of a keyboard';

  const rawClaim = input.claim === undefined || input.claim === '' ? DEFAULT_IDENTIFYING_CLAIM : input.claim;
  const claim = IDENTIFYING_CLAIMS.find((c) => c === rawClaim);
  if (!claim) errors.claim = 'Select the claim that identifies a person';

  const rawMode = input.signIn === undefined || input.signIn === '' ? 'off' : input.signIn;
  const mode = SIGN_IN_MODES.find((m) => m === rawMode);
  if (!mode) errors.signIn = 'Select how staff sign in: off, on or required';

  const archiveOnRefusal = input.archiveOnRefusal === 'yes';

  const mfaAcr = trimmed(input.mfaAcr);
  if (mfaAcr.length > MFA_ACR_MAX) errors.mfaAcr = `The acr value must be ${MFA_ACR_MAX} characters or fewer`;
  else if (mfaAcr && !VSCHAR.test(mfaAcr))
    errors.mfaAcr = 'The acr value can only contain letters, numbers, spaces and the symbols of a keyboard';

  const named = Array.isArray(input.breakGlass)
    ? input.breakGlass.filter((v): v is string => typeof v === 'string')
    : typeof input.breakGlass === 'string'
      ? [input.breakGlass]
      : [];
  // One each, however a client spells the id: the same account twice would be one row too many.
  const breakGlass = [...new Set(named.map((id) => id.toLowerCase()))];
  if (breakGlass.some((id) => !UUID.test(id) || !context.breakGlassChoices.has(id)))
    errors.breakGlass = 'Choose break-glass accounts from the list';
  else if (breakGlass.length > BREAK_GLASS_MAX)
    errors.breakGlass = `Choose ${BREAK_GLASS_MAX} break-glass accounts or fewer`;
  else if (mode === 'required' && breakGlass.length === 0)
    errors.breakGlass =
      'Choose at least one break-glass account: when sign-in with the LA account is required, they can still sign in if the provider is down';

  if (Object.keys(errors).length > 0 || !claim || !mode) return { errors };
  return {
    value: {
      issuer,
      clientId,
      clientSecret: secret || undefined,
      claim,
      mode,
      archiveOnRefusal,
      breakGlass,
      mfaAcr: mfaAcr || null,
    },
    errors,
  };
}
