import { Secret, TOTP } from 'otpauth';

/**
 * TOTP (RFC 6238): SHA-1, 6 digits, 30-second steps. Pure: `now` is passed in.
 * A code is accepted for the current step or the one before (clock drift, slow typing),
 * and never for a step at or before the last one used (no reuse, R53).
 */
export const TOTP_PERIOD_SECONDS = 30;
export const TOTP_DIGITS = 6;

export function totpStep(now: Date): number {
  return Math.floor(now.getTime() / 1000 / TOTP_PERIOD_SECONDS);
}

export function generateTotp(secretBase32: string, now: Date): string {
  return TOTP.generate({
    secret: Secret.fromBase32(secretBase32),
    algorithm: 'SHA1',
    digits: TOTP_DIGITS,
    period: TOTP_PERIOD_SECONDS,
    timestamp: now.getTime(),
  });
}

export function codeForStep(secretBase32: string, step: number): string {
  return generateTotp(secretBase32, new Date(step * TOTP_PERIOD_SECONDS * 1000));
}

/** Normalises what a person typed: spaces and dashes are allowed ("123 456"). */
export function normaliseCode(input: string): string | undefined {
  const code = input.replace(/[\s-]/g, '');
  return /^[0-9]{6}$/.test(code) ? code : undefined;
}

/**
 * The step the code belongs to, if it is valid now and newer than `lastUsedStep`.
 * Checks the current step first so that a fresh code is matched to its own step.
 */
export function matchTotp(
  secretBase32: string,
  code: string,
  now: Date,
  lastUsedStep: number | null,
): number | undefined {
  const current = totpStep(now);
  for (const step of [current, current - 1]) {
    if (lastUsedStep !== null && step <= lastUsedStep) continue;
    if (timingSafeEqualStrings(codeForStep(secretBase32, step), code)) return step;
  }
  return undefined;
}

function timingSafeEqualStrings(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

export function newTotpSecret(): string {
  return new Secret({ size: 20 }).base32;
}

export function otpauthUri(secretBase32: string, issuer: string, account: string): string {
  return new TOTP({
    issuer,
    label: account,
    secret: Secret.fromBase32(secretBase32),
    algorithm: 'SHA1',
    digits: TOTP_DIGITS,
    period: TOTP_PERIOD_SECONDS,
  }).toString();
}

/** Groups the key in fours for people who type it in ("JBSW Y3DP …"). */
export function formatSecretForReading(secretBase32: string): string {
  return secretBase32.replace(/(.{4})/g, '$1 ').trim();
}
