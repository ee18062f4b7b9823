import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { Secret, TOTP } from 'otpauth';
import { describe, expect, it } from 'vitest';
import {
  codeForStep,
  generateTotp,
  matchTotp,
  newTotpSecret,
  normaliseCode,
  TOTP_PERIOD_SECONDS,
  totpStep,
} from '../../src/domain/totp.ts';

/** RFC 6238 Appendix B: SHA-1, the ASCII secret "12345678901234567890", 8-digit codes. */
const RFC_SECRET_ASCII = '12345678901234567890';
const RFC_SECRET_BASE32 = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';
const RFC_VECTORS: readonly [number, string][] = [
  [59, '94287082'],
  [1111111109, '07081804'],
  [1111111111, '14050471'],
  [1234567890, '89005924'],
  [2000000000, '69279037'],
  [20000000000, '65353130'],
];

const at = (unixSeconds: number) => new Date(unixSeconds * 1000);

describe('TOTP against RFC 6238 Appendix B (SHA-1)', () => {
  it('the base32 form of the RFC secret is the ASCII secret', () => {
    expect(Secret.fromUTF8(RFC_SECRET_ASCII).base32).toBe(RFC_SECRET_BASE32);
  });

  it.each(RFC_VECTORS)('at T=%i the 8-digit code is %s (otpauth, same parameters as ours)', (unix, expected) => {
    const code = TOTP.generate({
      secret: Secret.fromBase32(RFC_SECRET_BASE32),
      algorithm: 'SHA1',
      digits: 8,
      period: 30,
      timestamp: unix * 1000,
    });
    expect(code).toBe(expected);
  });

  it.each(RFC_VECTORS)('at T=%i our 6-digit code is the last six digits of %s', (unix, expected) => {
    // Dynamic truncation mod 10^6 is the last six digits of the same value mod 10^8.
    expect(generateTotp(RFC_SECRET_BASE32, at(unix))).toBe(expected.slice(-6));
  });
});

describe('TOTP against Debian oathtool (an independent implementation)', () => {
  const OATHTOOL = '/usr/bin/oathtool';

  function oathtool(secret: string, unix: number, digits = 6): string {
    return execFileSync(OATHTOOL, ['--totp', '-b', `--digits=${digits}`, `--now=@${unix}`, secret], {
      encoding: 'utf8',
    }).trim();
  }

  it('oathtool is installed (apt-get install -y oathtool); this check must never be skipped', () => {
    expect(existsSync(OATHTOOL), `${OATHTOOL} is missing: install it with apt-get install -y oathtool`).toBe(true);
  });

  it('oathtool itself reproduces an RFC 6238 vector (so the comparison below means something)', () => {
    expect(oathtool(RFC_SECRET_BASE32, 1111111109, 8)).toBe('07081804');
  });

  it('our codes equal oathtool for random secrets at many times', () => {
    const times = [0, 29, 30, 59, 1_000_000_000, 1_700_000_000, 1_790_000_015, 2_000_000_000, 4_102_444_800];
    for (let i = 0; i < 3; i++) {
      const secret = newTotpSecret();
      expect(secret).toMatch(/^[A-Z2-7]{32}$/);
      for (const unix of times) {
        expect(generateTotp(secret, at(unix)), `secret ${secret} at ${unix}`).toBe(oathtool(secret, unix));
      }
    }
  });
});

describe('matchTotp', () => {
  // A fixed secret and time keep these cases deterministic (a random secret could, once in a
  // million runs, give two neighbouring steps the same code).
  const secret = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';
  const now = new Date('2026-11-02T10:00:10Z');
  const current = totpStep(now);
  const code = (step: number) => codeForStep(secret, step);

  it('the codes of the neighbouring steps are all different (precondition of the cases below)', () => {
    const codes = [-2, -1, 0, 1].map((d) => code(current + d));
    expect(new Set(codes).size).toBe(4);
  });

  it('the step is the number of whole 30-second periods since the epoch', () => {
    expect(current).toBe(Math.floor(now.getTime() / 1000 / TOTP_PERIOD_SECONDS));
    expect(code(current)).toBe(generateTotp(secret, now));
  });

  it('accepts the current step and one step old, and returns the step it matched', () => {
    expect(matchTotp(secret, code(current), now, null)).toBe(current);
    expect(matchTotp(secret, code(current - 1), now, null)).toBe(current - 1);
  });

  it('refuses a code two steps old and a code from a future step', () => {
    expect(matchTotp(secret, code(current - 2), now, null)).toBeUndefined();
    expect(matchTotp(secret, code(current + 1), now, null)).toBeUndefined();
  });

  it('refuses a step at or before the last used one (no reuse), accepts a newer one', () => {
    expect(matchTotp(secret, code(current), now, current)).toBeUndefined();
    expect(matchTotp(secret, code(current), now, current + 5)).toBeUndefined();
    expect(matchTotp(secret, code(current - 1), now, current - 1)).toBeUndefined();
    expect(matchTotp(secret, code(current - 1), now, current)).toBeUndefined();
    expect(matchTotp(secret, code(current), now, current - 1)).toBe(current);
    expect(matchTotp(secret, code(current - 1), now, current - 2)).toBe(current - 1);
  });

  it('a code is valid from the start of its step for exactly two periods', () => {
    const start = new Date(current * TOTP_PERIOD_SECONDS * 1000);
    expect(matchTotp(secret, code(current), start, null)).toBe(current);
    expect(matchTotp(secret, code(current), new Date(start.getTime() + 59_999), null)).toBe(current);
    expect(matchTotp(secret, code(current), new Date(start.getTime() + 60_000), null)).toBeUndefined();
    expect(matchTotp(secret, code(current), new Date(start.getTime() - 1), null)).toBeUndefined();
  });

  it('refuses a wrong code and an empty one', () => {
    const accepted = new Set([code(current), code(current - 1)]);
    let wrong = 0;
    while (accepted.has(String(wrong).padStart(6, '0'))) wrong++;
    expect(matchTotp(secret, String(wrong).padStart(6, '0'), now, null)).toBeUndefined();
    expect(matchTotp(secret, '', now, null)).toBeUndefined();
    expect(matchTotp(secret, code(current).slice(0, 5), now, null)).toBeUndefined();
  });
});

describe('normaliseCode', () => {
  it.each([
    ['123456', '123456'],
    ['123 456', '123456'],
    ['123-456', '123456'],
    [' 123456\n', '123456'],
    ['012345', '012345'],
  ])('%j → %s', (input, expected) => {
    expect(normaliseCode(input)).toBe(expected);
  });

  it.each([
    '',
    '12345',
    '1234567',
    'abcdef',
    '12345a',
    '１２３４５６',
    '١٢٣٤٥٦',
    "1' OR 1=1",
    '<b>123456</b>',
    '123456'.repeat(1000),
  ])('refuses %j', (input) => {
    expect(normaliseCode(input)).toBeUndefined();
  });
});
