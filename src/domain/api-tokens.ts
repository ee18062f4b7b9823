import type { FieldErrors } from './errors.ts';

/**
 * API tokens (R56): `nxa_` and 43 characters of base64url (256 random bits). The fixed prefix
 * lets secret scanners and log filters recognise a leaked token; the first characters after it
 * are shown in the list so an administrator can tell tokens apart.
 */
export const TOKEN_PATTERN = /^nxa_[A-Za-z0-9_-]{43}$/;
export const TOKEN_LIFETIMES_DAYS = [30, 90, 180, 365] as const;
export const DEFAULT_TOKEN_LIFETIME_DAYS = 90;
export const TOKEN_NAME_MAX = 100;

export function tokenDisplayPrefix(token: string): string {
  return token.slice(0, 12);
}

export function looksLikeToken(value: string): boolean {
  return TOKEN_PATTERN.test(value);
}

export interface TokenRequest {
  readonly name: string;
  readonly lifetimeDays: number;
}

export function validateTokenRequest(input: { name?: unknown; lifetimeDays?: unknown }): {
  value?: TokenRequest;
  errors: FieldErrors;
} {
  const errors: Record<string, string> = {};
  const name = typeof input.name === 'string' ? input.name.trim() : '';
  if (!name) errors.name = 'Enter a name for the token, for example "Entra ID provisioning"';
  else if (name.length > TOKEN_NAME_MAX) errors.name = `Name must be ${TOKEN_NAME_MAX} characters or fewer`;
  // eslint-disable-next-line no-control-regex
  else if (/[\u0000-\u001f\u007f]/.test(name)) errors.name = 'Name must not contain control characters';
  const raw =
    input.lifetimeDays === undefined || input.lifetimeDays === ''
      ? DEFAULT_TOKEN_LIFETIME_DAYS
      : Number(input.lifetimeDays);
  const lifetimeDays = (TOKEN_LIFETIMES_DAYS as readonly number[]).includes(raw) ? raw : undefined;
  if (lifetimeDays === undefined)
    errors.lifetimeDays = `Select how long the token lasts: ${TOKEN_LIFETIMES_DAYS.join(', ')} days`;
  if (Object.keys(errors).length > 0 || lifetimeDays === undefined) return { errors };
  return { value: { name, lifetimeDays }, errors };
}

export type TokenState = 'active' | 'revoked' | 'expired';

export function tokenState(token: { revoked_at: Date | null; expires_at: Date | null }, now: Date): TokenState {
  if (token.revoked_at) return 'revoked';
  if (token.expires_at && token.expires_at <= now) return 'expired';
  return 'active';
}
