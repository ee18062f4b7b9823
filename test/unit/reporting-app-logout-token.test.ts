import { createLocalJWKSet, exportJWK, generateKeyPair, SignJWT, type JWTPayload } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  BACKCHANNEL_LOGOUT_EVENT,
  InvalidLogoutToken,
  SeenLogoutTokens,
  verifyLogoutToken,
} from '../../examples/reporting-app/backchannel-logout.ts';

/**
 * The example application's check of a back-channel logout token (OpenID Connect Back-Channel
 * Logout 1.0 §2.6), against a key set of the test's own: what it accepts names whom to sign out;
 * everything else is refused.
 */

const ISSUER = 'http://localhost:3000/oidc';
const AUDIENCE = 'reporting-example-1234';
const NOW = new Date('2026-12-03T12:00:00Z');
const iat = Math.floor(NOW.getTime() / 1000);

let sign: (payload: JWTPayload, alg?: 'ES256') => Promise<string>;
let signWithOtherKey: (payload: JWTPayload) => Promise<string>;
let keys: ReturnType<typeof createLocalJWKSet>;

beforeAll(async () => {
  const nexus = await generateKeyPair('ES256');
  const stranger = await generateKeyPair('ES256');
  keys = createLocalJWKSet({ keys: [{ ...(await exportJWK(nexus.publicKey)), alg: 'ES256', kid: 'k1' }] });
  const signer = (key: CryptoKey) => (payload: JWTPayload) =>
    new SignJWT(payload).setProtectedHeader({ alg: 'ES256', kid: 'k1', typ: 'logout+jwt' }).sign(key);
  sign = signer(nexus.privateKey);
  signWithOtherKey = signer(stranger.privateKey);
});

const good = (): JWTPayload => ({
  iss: ISSUER,
  aud: AUDIENCE,
  iat,
  exp: iat + 120,
  jti: 'a-unique-id',
  sub: 'account-1',
  sid: 'session-1',
  events: { [BACKCHANNEL_LOGOUT_EVENT]: {} },
});

const verify = (token: string) => verifyLogoutToken(token, { keys, issuer: ISSUER, audience: AUDIENCE, now: NOW });

describe('a back-channel logout token', () => {
  it('names the sub and sid to sign out when it is signed by the provider and well formed', async () => {
    expect(await verify(await sign(good()))).toEqual({ sub: 'account-1', sid: 'session-1', jti: 'a-unique-id', iat });
    const { sid: _sid, ...subOnly } = good();
    expect(await verify(await sign(subOnly))).toEqual({ sub: 'account-1', sid: undefined, jti: 'a-unique-id', iat });
  });

  const refusals: [string, () => Promise<string>][] = [
    ['signed by another key', () => signWithOtherKey(good())],
    ['from another issuer', () => sign({ ...good(), iss: 'http://elsewhere.example/oidc' })],
    ['for another application', () => sign({ ...good(), aud: 'another-client' })],
    ['without the logout event', () => sign({ ...good(), events: {} })],
    ['whose event is not an object', () => sign({ ...good(), events: { [BACKCHANNEL_LOGOUT_EVENT]: true } })],
    ['with a nonce (an ID token)', () => sign({ ...good(), nonce: 'n' })],
    ['naming neither sub nor sid', () => sign({ ...good(), sub: undefined, sid: undefined })],
    ['without a jti', () => sign({ ...good(), jti: undefined })],
    ['issued too long ago', () => sign({ ...good(), iat: iat - 600, exp: iat + 600 })],
    ['issued in the future', () => sign({ ...good(), iat: iat + 600, exp: iat + 900 })],
    ['expired', () => sign({ ...good(), iat: iat - 60, exp: iat - 30 })],
    ['not a JWT at all', () => Promise.resolve('not.a.jwt')],
  ];
  for (const [why, token] of refusals)
    it(`is refused when ${why}`, async () => {
      await expect(verify(await token())).rejects.toBeInstanceOf(InvalidLogoutToken);
    });
});

describe('the memory of logout tokens already used', () => {
  const at = (secondsAfter: number) => new Date(NOW.getTime() + secondsAfter * 1000);

  it('refuses a token whose jti it has seen within its two minutes, and forgets it after', () => {
    const seen = new SeenLogoutTokens();
    expect(seen.firstTime({ jti: 'one', iat }, at(0))).toBe(true);
    expect(seen.firstTime({ jti: 'one', iat }, at(1))).toBe(false);
    expect(seen.firstTime({ jti: 'one', iat }, at(120))).toBe(false);
    expect(seen.firstTime({ jti: 'two', iat }, at(1))).toBe(true);
    expect(seen.size).toBe(2);
    // Past iat + 120 s the age check refuses the token anyway, so its jti need not be kept.
    expect(seen.firstTime({ jti: 'three', iat: iat + 121 }, at(121))).toBe(true);
    expect(seen.size).toBe(1);
  });
});
