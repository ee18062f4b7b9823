import { describe, expect, it } from 'vitest';
import {
  identifyingValue,
  isRefusal,
  providerAssertsMfa,
  recheckDue,
  signedInAtProviderSince,
  signInWay,
} from '../../src/domain/la-sign-in.ts';

/** The rules of signing in through an LA's own provider (R64), without a provider. */
describe('the way on after the username', () => {
  const on = { enabled: true, required: false };
  const required = { enabled: true, required: true };
  it('is the password for no account, central support, an LA without a provider or with it off', () => {
    expect(signInWay({ provider: undefined, organisationKind: undefined, breakGlass: false })).toBe('password');
    expect(signInWay({ provider: required, organisationKind: 'central', breakGlass: false })).toBe('password');
    expect(signInWay({ provider: undefined, organisationKind: 'la', breakGlass: false })).toBe('password');
    expect(
      signInWay({ provider: { enabled: false, required: false }, organisationKind: 'la', breakGlass: false }),
    ).toBe('password');
  });
  it('offers the LA account when on, requires it when required, except for break-glass accounts', () => {
    expect(signInWay({ provider: on, organisationKind: 'la', breakGlass: false })).toBe('la-account-offered');
    expect(signInWay({ provider: required, organisationKind: 'la', breakGlass: false })).toBe('la-account-required');
    expect(signInWay({ provider: required, organisationKind: 'la', breakGlass: true })).toBe('la-account-offered');
  });
});

describe('the claims', () => {
  it('reads the identifying claim as trimmed text, or nothing', () => {
    expect(identifyingValue({ preferred_username: ' a@b.gov.uk ' }, 'preferred_username')).toBe('a@b.gov.uk');
    expect(identifyingValue({ email: ['a@b'] }, 'email')).toBeUndefined();
    expect(identifyingValue({ oid: '' }, 'oid')).toBeUndefined();
    expect(identifyingValue({ oid: 'x'.repeat(256) }, 'oid')).toBeUndefined();
  });
  it('takes multi-factor authentication from amr containing mfa, or acr equal to the configured value only', () => {
    expect(providerAssertsMfa({ amr: ['pwd', 'mfa'] }, null)).toBe(true);
    expect(providerAssertsMfa({ amr: ['pwd'] }, null)).toBe(false);
    expect(providerAssertsMfa({ amr: 'mfa' }, null)).toBe(false);
    expect(providerAssertsMfa({ acr: 'possessionorinherence' }, 'possessionorinherence')).toBe(true);
    expect(providerAssertsMfa({ acr: 'possessionorinherence' }, null)).toBe(false);
    expect(providerAssertsMfa({ acr: '1' }, 'possessionorinherence')).toBe(false);
  });
});

describe('refusals and re-checks', () => {
  it('counts access_denied and the like as a refusal of the person, not an outage or a bad request', () => {
    expect(isRefusal('access_denied')).toBe(true);
    expect(isRefusal('login_required')).toBe(true);
    expect(isRefusal('temporarily_unavailable')).toBe(false);
    expect(isRefusal('invalid_request')).toBe(false);
  });
  it('re-checks once the last check is as old as the setting', () => {
    const at = new Date('2026-12-01T09:00:00Z');
    expect(recheckDue(at, new Date('2026-12-02T08:59:59Z'), 24)).toBe(false);
    expect(recheckDue(at, new Date('2026-12-02T09:00:00Z'), 24)).toBe(true);
  });
});

describe('signing in again at the provider', () => {
  const startedAt = new Date('2026-11-02T10:00:00Z');
  const at = (iso: string) => ({ auth_time: Date.parse(iso) / 1000 });

  it('needs an auth_time no earlier than the start, but for a minute of clock skew', () => {
    expect(signedInAtProviderSince(at('2026-11-02T10:03:00Z'), startedAt)).toBe(true);
    expect(signedInAtProviderSince(at('2026-11-02T09:59:00Z'), startedAt)).toBe(true);
    expect(signedInAtProviderSince(at('2026-11-02T09:58:59Z'), startedAt)).toBe(false);
    expect(signedInAtProviderSince(at('2026-11-01T18:00:00Z'), startedAt)).toBe(false);
  });

  it('refuses a token that says nothing of when, or says it in another form', () => {
    expect(signedInAtProviderSince({}, startedAt)).toBe(false);
    expect(signedInAtProviderSince({ auth_time: '1793613600' }, startedAt)).toBe(false);
    expect(signedInAtProviderSince({ auth_time: Number.NaN }, startedAt)).toBe(false);
  });
});
