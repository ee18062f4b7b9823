import * as client from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateTotp } from '../../src/domain/totp.ts';
import { SYSTEM_CONTEXT } from '../../src/services/request-context.ts';
import type { FormClient } from '../support/browser.ts';
import { TEST_PASSWORD, type FixtureAccount } from '../support/fixtures.ts';
import {
  authorise,
  follow,
  REDIRECT_URI,
  relyingParty,
  supportAndOfficer,
  type Authorisation,
} from '../support/oidc-client.ts';
import { signInAs } from '../support/sign-in.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';

/**
 * An application's prompt=login and max_age (OpenID Connect Core §3.1.2.1, issue 16): a person
 * signed in to Nexus proves who they are again before the code is issued, and the ID token's
 * auth_time is when they did. The service's clock runs behind the real one (and only forwards: a
 * TOTP step is never accepted twice); where openid-client's own max_age check (against the real
 * time) is asked for, it is first brought near the real time.
 */

let t: TestApp;
let base: string;
let officer: FixtureAccount;
let rp: client.Configuration;

beforeAll(async () => {
  t = await createTestApp({ now: new Date(Date.now() - 30 * 60_000).toISOString() });
  base = t.config.baseUrl;
  const people = await supportAndOfficer(t.handle.db, t.config.secretKey);
  officer = people.officer;
  const { support } = people;
  const registered = await t.services.applications.register(
    support.actor,
    { name: 'Pupil reports', redirectUris: [REDIRECT_URI] },
    SYSTEM_CONTEXT,
  );
  rp = await relyingParty(t.app, base, registered.application.clientId, registered.clientSecret);
});
afterAll(async () => {
  await t.close();
});

/** At the sign-in page the interaction sent the person to: password, then code, then on to the application. */
async function signInAgain(browser: FormClient, a: Authorisation, password = TEST_PASSWORD) {
  const returnTo = new URL(a.location, base).searchParams.get('returnTo')!;
  const passwordStep = await browser.post('/sign-in', { username: officer.username, password, returnTo });
  if (passwordStep.statusCode !== 303) return { passwordStep };
  await browser.get(passwordStep.headers.location as string);
  const signedInAt = t.clock.now();
  const codeStep = await browser.post('/sign-in/two-factor', {
    code: generateTotp(officer.totpSecret!, signedInAt),
    returnTo,
  });
  expect(codeStep.statusCode).toBe(303);
  expect(codeStep.headers.location).toBe(returnTo);
  t.clock.advance(30_000);
  return { passwordStep, signedInAt, a: { ...a, location: await follow(browser, base, returnTo) } };
}

function exchange(a: Authorisation, maxAge?: number) {
  return client.authorizationCodeGrant(rp, new URL(a.location), {
    pkceCodeVerifier: a.codeVerifier,
    expectedState: a.state,
    expectedNonce: a.nonce,
    ...(maxAge === undefined ? {} : { maxAge }),
  });
}

const seconds = (date: Date) => Math.floor(date.getTime() / 1000);
const signInPageOf = (location: string) => new URL(location, base);

describe('prompt=login (and max_age=0, which means the same)', () => {
  for (const params of [{ prompt: 'login' }, { max_age: '0' }] as Record<string, string>[]) {
    it(`${JSON.stringify(params)}: a signed-in person enters their password and code again; auth_time is then`, async () => {
      const firstSignIn = t.clock.now();
      const browser = await signInAs(t, officer);

      const a = await authorise(browser, rp, base, params);
      // No code yet: the password step of their own username, saying why.
      const page = signInPageOf(a.location);
      expect(page.pathname).toBe('/sign-in');
      expect(page.searchParams.get('again')).toBe('1');
      const shown = await browser.get(`${page.pathname}${page.search}`);
      expect(shown.statusCode).toBe(200);
      expect(shown.body).toContain('asks you to sign in again');
      expect(shown.body).toContain(`value="${officer.username}"`);
      expect(shown.body).toContain('name="password"');

      // Going back to the provider with the old session is not enough.
      const returnTo = page.searchParams.get('returnTo')!;
      expect(signInPageOf(await follow(browser, base, returnTo)).pathname).toBe('/sign-in');

      const again = await signInAgain(browser, a);
      expect(again.a!.location.startsWith(`${REDIRECT_URI}?`)).toBe(true);
      const tokens = await exchange(again.a!);
      const claims = tokens.claims()!;
      expect(claims.sub).toBe(officer.id);
      expect(claims.auth_time).toBe(seconds(again.signedInAt!));
      expect(claims.auth_time).toBeGreaterThan(seconds(firstSignIn));
    });
  }

  it('a wrong password there issues nothing and keeps the person on the password step', async () => {
    const browser = await signInAs(t, officer);
    const a = await authorise(browser, rp, base, { prompt: 'login' });
    const again = await signInAgain(browser, a, 'not-the-password');
    expect(again.passwordStep.statusCode).toBe(401);
    expect(again.passwordStep.body).toContain('name="password"');
    expect(again.a).toBeUndefined();
  });
});

describe('max_age', () => {
  it('a sign-in older than max_age is asked again; a younger one is handed back with its own auth_time', async () => {
    t.clock.set(new Date(Date.now() - 12 * 60_000));
    const signedInAt = t.clock.now();
    const browser = await signInAs(t, officer);
    t.clock.advance(10 * 60_000);

    // Ten minutes ago is within an hour: no new sign-in, and openid-client's own max_age check agrees.
    const within = await authorise(browser, rp, base, { max_age: '3600' });
    expect(within.location.startsWith(`${REDIRECT_URI}?`)).toBe(true);
    expect((await exchange(within, 3600)).claims()!.auth_time).toBe(seconds(signedInAt));

    // ...but not within five minutes.
    const tooOld = await authorise(browser, rp, base, { max_age: '300' });
    expect(signInPageOf(tooOld.location).searchParams.get('again')).toBe('1');
    const again = await signInAgain(browser, tooOld);
    expect(again.a!.location.startsWith(`${REDIRECT_URI}?`)).toBe(true);
    expect((await exchange(again.a!, 300)).claims()!.auth_time).toBe(seconds(again.signedInAt!));
  });

  it('a person not signed in to Nexus signs in once, not twice', async () => {
    const browser = await signInAs(t, officer);
    await browser.post('/sign-out', {});
    const a = await authorise(browser, rp, base, { prompt: 'login', max_age: '900' });
    const page = signInPageOf(a.location);
    expect(page.pathname).toBe('/sign-in');
    expect(page.searchParams.get('again')).toBeNull();
    const again = await signInAgain(browser, a);
    expect(again.a!.location.startsWith(`${REDIRECT_URI}?`)).toBe(true);
    expect((await exchange(again.a!, 900)).claims()!.auth_time).toBe(seconds(again.signedInAt!));
  });
});
