import { describe, expect, it } from 'vitest';
import { issuerProblem, signInMode, validateProviderSettings } from '../../src/domain/identity-providers.ts';

/** The rules of an LA's provider settings (R64), apart from the pages that use them. */
describe('the issuer URL', () => {
  const local = { allowLoopbackHttp: true };
  const production = { allowLoopbackHttp: false };

  it.each([
    'https://login.microsoftonline.com/9188040d-6c67-4c5b-b112-36a304b66dad/v2.0',
    'https://idp.northshire.gov.uk',
    'https://idp.northshire.gov.uk/',
    'https://auth.example.com:8443/realms/northshire',
  ])('accepts %s anywhere', (issuer) => {
    expect(issuerProblem(issuer, production)).toBeUndefined();
    expect(issuerProblem(issuer, local)).toBeUndefined();
  });

  it.each(['http://localhost:8080', 'http://127.0.0.1:39141', 'http://[::1]:9000/tenant'])(
    'accepts %s only where Nexus itself runs on this machine',
    (issuer) => {
      expect(issuerProblem(issuer, local)).toBeUndefined();
      expect(issuerProblem(issuer, production)).toBe('The issuer URL must start with https://');
    },
  );

  it.each([
    ['http://localhost.example.com', 'The issuer URL must start with https://'],
    ['http://127.0.0.2', 'The issuer URL must start with https://'],
    ['javascript:alert(1)', 'The issuer URL must start with https://'],
    ['https://login.microsoftonline.com/organizations/v2.0', 'Use your tenant’s own issuer URL'],
    ['https://login.microsoftonline.com/consumers/v2.0', 'Use your tenant’s own issuer URL'],
    ['https://LOGIN.microsoftonline.com/Common/v2.0', 'Use your tenant’s own issuer URL'],
    ['https://idp.example.com#x', 'The issuer URL must not contain a ? or #'],
    ['https://idp.example.com?', 'The issuer URL must not contain a ? or #'],
    ['https://idp.example.com/a b', 'The issuer URL must be a web address as the provider gives it'],
  ])('refuses %s', (issuer, problem) => {
    expect(issuerProblem(issuer, local)).toMatch(new RegExp(`^${problem.replace(/[?#]/g, '\\$&')}`));
  });
});

describe('the settings', () => {
  const ada = '0b9c1c0e-5f0a-4c3e-9f39-0d6f1a2b3c4d';
  const context = { allowLoopbackHttp: false, secretStored: false, breakGlassChoices: new Set([ada]) };
  const valid = { issuer: 'https://idp.example.com', clientId: 'nexus', clientSecret: ' s p a c e d ' };

  it('defaults to the UPN claim and sign-in off; keeps a secret exactly as typed, spaces and all', () => {
    expect(validateProviderSettings(valid, context)).toEqual({
      value: {
        issuer: 'https://idp.example.com',
        clientId: 'nexus',
        clientSecret: ' s p a c e d ',
        claim: 'preferred_username',
        mode: 'off',
        archiveOnRefusal: false,
        breakGlass: [],
        mfaAcr: null,
      },
      errors: {},
    });
  });

  it('may leave the secret empty only when one is stored (undefined: keep it)', () => {
    expect(validateProviderSettings({ ...valid, clientSecret: '' }, context).errors).toEqual({
      clientSecret: 'Enter the client secret',
    });
    expect(
      validateProviderSettings({ ...valid, clientSecret: '' }, { ...context, secretStored: true }).value?.clientSecret,
    ).toBeUndefined();
  });

  it('names break-glass accounts once each, in lower case, and needs one when required', () => {
    const upper = ada.toUpperCase();
    expect(
      validateProviderSettings({ ...valid, signIn: 'required', breakGlass: [ada, upper] }, context).value?.breakGlass,
    ).toEqual([ada]);
    expect(validateProviderSettings({ ...valid, signIn: 'required' }, context).errors.breakGlass).toMatch(
      /^Choose at least one break-glass account/,
    );
    expect(validateProviderSettings({ ...valid, breakGlass: { 0: ada } }, context).value?.breakGlass).toEqual([]);
  });

  it('reads off, on and required back from the stored flags', () => {
    expect(signInMode({ enabled: false, required: false })).toBe('off');
    expect(signInMode({ enabled: true, required: false })).toBe('optional');
    expect(signInMode({ enabled: true, required: true })).toBe('required');
  });
});

describe('the acr value that means multi-factor authentication (R64)', () => {
  const context = { allowLoopbackHttp: false, secretStored: true, breakGlassChoices: new Set<string>() };
  const base = { issuer: 'https://idp.example.com', clientId: 'nexus' };
  it('is optional, kept trimmed, and refused when too long or not printable', () => {
    expect(validateProviderSettings(base, context).value?.mfaAcr).toBeNull();
    expect(validateProviderSettings({ ...base, mfaAcr: ' possessionorinherence ' }, context).value?.mfaAcr).toBe(
      'possessionorinherence',
    );
    expect(validateProviderSettings({ ...base, mfaAcr: 'x'.repeat(256) }, context).errors.mfaAcr).toBe(
      'The acr value must be 255 characters or fewer',
    );
    expect(validateProviderSettings({ ...base, mfaAcr: 'mfa\u0000' }, context).errors.mfaAcr).toMatch(
      /can only contain/,
    );
  });
});
