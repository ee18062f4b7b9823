import { createLocalJWKSet, decodeProtectedHeader, jwtVerify, type JSONWebKeySet } from 'jose';
import * as client from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setOidcClientDisabled } from '../../src/data/queries/oidc-client-queries.ts';
import { SYSTEM_CONTEXT } from '../../src/services/request-context.ts';
import { loadPrincipal } from '../../src/services/sign-in/principal.ts';
import { FormClient } from '../support/browser.ts';
import { createAccount, supportAndCamdenAdmin, type FixtureAccount } from '../support/fixtures.ts';
import { authorise, exchange, pathOf, REDIRECT_URI, relyingParty } from '../support/oidc-client.ts';
import { signInAs } from '../support/sign-in.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';

/**
 * Nexus Accounts as an OpenID Connect provider (issue 16, R61–R63), driven by openid-client as an
 * application would use it; the browser is the test's form client on the same app.
 */

let t: TestApp;
let base: string;
let officer: FixtureAccount;
let clientId: string;
let clientSecret: string;
let rp: client.Configuration;
let browser: FormClient;

beforeAll(async () => {
  t = await createTestApp({ env: { OIDC_KEY_PROPAGATION_SECONDS: '0' } });
  base = t.config.baseUrl;
  const db = t.handle.db;
  const people = await supportAndCamdenAdmin(db, t.config.secretKey);
  officer = await createAccount(db, t.config.secretKey, {
    organisationId: people.camden,
    username: 'olu.officer',
    userType: 'la_officer',
    privileges: ['pupil_level', 'summary_reports'],
    firstName: 'Olu',
    lastName: 'Officer',
    email: 'olu.officer@camden.example',
  });
  const schools = await db
    .insertInto('schools')
    .values([
      { urn: 100001, organisation_id: people.camden, name: 'Acorn Primary', phase: 'Primary', updated_at: new Date() },
      {
        urn: 100002,
        organisation_id: people.camden,
        name: 'Birch Academy',
        phase: 'Secondary',
        updated_at: new Date(),
      },
    ])
    .returning('id')
    .execute();
  await db
    .insertInto('school_assignments')
    .values({ account_id: officer.id, school_id: schools[0]!.id, role: 'headteacher', assigned_at: new Date() })
    .execute();
  const group = await db
    .insertInto('school_groups')
    .values({ organisation_id: people.camden, name: 'North cluster', created_at: new Date() })
    .returning('id')
    .executeTakeFirstOrThrow();
  await db
    .insertInto('school_group_schools')
    .values(schools.map((s) => ({ school_group_id: group.id, school_id: s.id })))
    .execute();
  await db.insertInto('account_school_groups').values({ account_id: officer.id, school_group_id: group.id }).execute();
  await db.updateTable('accounts').set({ default_school_group_id: group.id }).where('id', '=', officer.id).execute();

  const support = (await loadPrincipal(db, people.support.id))!;
  const registered = await t.services.applications.register(
    support.actor,
    { name: 'Pupil reports', redirectUris: [REDIRECT_URI] },
    SYSTEM_CONTEXT,
  );
  clientId = registered.application.clientId;
  clientSecret = registered.clientSecret;
  rp = await relyingParty(t.app, base, clientId, clientSecret);
  browser = await signInAs(t, officer);
});
afterAll(async () => {
  await t.close();
});

async function signIn(params: Record<string, string> = {}) {
  const a = await authorise(browser, rp, base, params);
  expect(a.location.startsWith(`${REDIRECT_URI}?`)).toBe(true);
  return { a, tokens: await exchange(rp, a) };
}

async function publicKeySet(): Promise<JSONWebKeySet> {
  const response = await t.app.inject({ url: '/oidc/jwks', headers: { host: new URL(base).host } });
  return response.json();
}

describe('discovery and keys', () => {
  it('names the issuer BASE_URL/oidc and offers the code flow with PKCE S256 only', () => {
    const metadata = rp.serverMetadata();
    expect(metadata.issuer).toBe(`${base}/oidc`);
    expect(metadata.response_types_supported).toEqual(['code']);
    expect(metadata.code_challenge_methods_supported).toEqual(['S256']);
    expect(metadata.grant_types_supported).toEqual(['authorization_code', 'refresh_token']);
    expect(metadata.id_token_signing_alg_values_supported).toEqual(['ES256']);
    expect(metadata.scopes_supported).toEqual(expect.arrayContaining(['openid', 'profile', 'email', 'nexus']));
    expect(metadata.userinfo_endpoint).toBe(`${base}/oidc/me`);
    expect(metadata.end_session_endpoint).toBe(`${base}/oidc/session/end`);
    expect(metadata.backchannel_logout_supported).toBe(true);
  });

  it('publishes the public half of one ES256 key', async () => {
    const { keys } = await publicKeySet();
    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig' });
    expect(keys[0]).not.toHaveProperty('d');
  });
});

describe('the authorization code flow with PKCE', () => {
  it('signs the person in without a consent screen; the ID token names the account', async () => {
    const { tokens } = await signIn();
    const claims = tokens.claims()!;
    expect(claims.sub).toBe(officer.id);
    expect(claims.iss).toBe(`${base}/oidc`);
    expect(claims.aud).toBe(clientId);
    expect(tokens.expires_in).toBe(5 * 60);
    expect(tokens.refresh_token).toBeTypeOf('string');
  });

  it('refuses an authorization request without a PKCE challenge', async () => {
    const plain = new URL(`${base}/oidc/auth`);
    plain.search = new URLSearchParams({
      client_id: clientId,
      redirect_uri: REDIRECT_URI,
      response_type: 'code',
      scope: 'openid',
      state: 'xyz',
    }).toString();
    const response = await browser.get(pathOf(plain.href, base)!);
    expect(response.statusCode).toBe(303);
    const back = new URL(response.headers.location as string);
    expect(`${back.origin}${back.pathname}`).toBe(REDIRECT_URI);
    expect(back.searchParams.get('error')).toBe('invalid_request');
    expect(back.searchParams.get('error_description')).toMatch(/PKCE/);
  });

  it('refuses the implicit and hybrid flows, and a return address that was not registered exactly', async () => {
    for (const responseType of ['token', 'id_token', 'code id_token']) {
      const a = await authorise(browser, rp, base, { response_type: responseType });
      // Answered in the fragment, as the response type asked.
      expect(new URLSearchParams(new URL(a.location).hash.slice(1)).get('error')).toBe('unsupported_response_type');
    }
    const wrong = await authorise(browser, rp, base, { redirect_uri: `${REDIRECT_URI}/` });
    // Not sent back to an address it does not know: the error is shown by Nexus.
    expect(wrong.location.startsWith(REDIRECT_URI)).toBe(false);
    const page = await browser.get(pathOf(wrong.location, base) ?? wrong.location);
    expect(page.statusCode).toBe(400);
  });

  it('refuses a code used twice', async () => {
    const a = await authorise(browser, rp, base);
    await exchange(rp, a);
    const again = await exchange(rp, a).catch((e: unknown) => e);
    expect(again).toBeInstanceOf(client.ResponseBodyError);
    expect((again as client.ResponseBodyError).error).toBe('invalid_grant');
  });

  it('refuses a code whose account was archived after it was issued', async () => {
    const a = await authorise(browser, rp, base);
    const archive = (status: 'archived' | 'active') =>
      t.handle.db
        .updateTable('accounts')
        .set(
          status === 'archived'
            ? { status, archived_at: t.clock.now(), archive_reason: 'manual' }
            : { status, archived_at: null, archive_reason: null },
        )
        .where('id', '=', officer.id)
        .execute();
    await archive('archived');
    try {
      const refused = await exchange(rp, a).catch((e: unknown) => e);
      expect((refused as client.ResponseBodyError).error).toBe('invalid_grant');
    } finally {
      await archive('active');
    }
  });

  it('refuses the code with the wrong verifier', async () => {
    const a = await authorise(browser, rp, base);
    const wrong = await exchange(rp, { ...a, codeVerifier: client.randomPKCECodeVerifier() }).catch((e: unknown) => e);
    expect((wrong as client.ResponseBodyError).error).toBe('invalid_grant');
  });

  it('sends a person who is not signed in to the sign-in page, and back to the application after it', async () => {
    const stranger = new FormClient(t.app);
    const a = await authorise(stranger, rp, base);
    const signInPage = new URL(a.location, base);
    expect(signInPage.pathname).toBe('/sign-in');
    const returnTo = signInPage.searchParams.get('returnTo')!;
    expect(returnTo).toMatch(/^\/oidc\/auth\/[\w-]+\/interaction$/);

    // Signed in (the service's own pages), the return path finishes the interaction.
    const signedIn = await signInAs(t, officer);
    signedIn.cookies = new Map([...stranger.cookies, ...signedIn.cookies]);
    let location = returnTo;
    for (let hops = 0; hops < 5 && pathOf(location, base); hops++)
      location = (await signedIn.get(pathOf(location, base)!)).headers.location as string;
    expect(location.startsWith(`${REDIRECT_URI}?code=`)).toBe(true);
    const tokens = await exchange(rp, { ...a, location });
    expect(tokens.claims()!.sub).toBe(officer.id);
  });

  it('takes that person from the provider straight to the sign-in page, and from its return path straight to the application', async () => {
    const stranger = new FormClient(t.app);
    const started = await stranger.get(
      pathOf(
        client.buildAuthorizationUrl(rp, {
          redirect_uri: REDIRECT_URI,
          scope: 'openid',
          code_challenge: await client.calculatePKCECodeChallenge(client.randomPKCECodeVerifier()),
          code_challenge_method: 'S256',
          state: 'st',
        }).href,
        base,
      )!,
    );
    expect(started.statusCode).toBe(303);
    const signInPage = new URL(started.headers.location as string, base);
    expect(signInPage.pathname).toBe('/sign-in');
    const returnTo = signInPage.searchParams.get('returnTo')!;
    expect(returnTo).toMatch(/^\/oidc\/auth\/[\w-]+\/interaction$/);

    // The return path without the provider's cookies of that browser is refused: it hands nobody a code.
    const otherBrowser = await signInAs(t, officer);
    const refused = await otherBrowser.get(returnTo);
    expect(refused.statusCode).toBe(400);

    const signedIn = await signInAs(t, officer);
    signedIn.cookies = new Map([...stranger.cookies, ...signedIn.cookies]);
    const back = await signedIn.get(returnTo);
    expect(back.statusCode).toBe(303);
    const code = new URL(back.headers.location as string);
    expect(`${code.origin}${code.pathname}`).toBe(REDIRECT_URI);
    expect(code.searchParams.get('state')).toBe('st');
    expect(code.searchParams.get('code')).toBeTruthy();
    // Used once: the same return path again finds no interaction.
    expect((await signedIn.get(returnTo)).statusCode).toBe(400);
  });

  it('an application that is disabled cannot exchange its codes', async () => {
    const a = await authorise(browser, rp, base);
    await t.services.applications.setDisabled({ kind: 'system', label: 'test' }, clientId, true, SYSTEM_CONTEXT);
    try {
      const refused = await exchange(rp, a).catch((e: unknown) => e);
      // 401 with a Basic challenge naming the error (RFC 6749 §5.2).
      expect(refused).toBeInstanceOf(client.WWWAuthenticateChallengeError);
      expect((refused as client.WWWAuthenticateChallengeError).cause[0]?.parameters.error).toBe('invalid_client');
    } finally {
      await t.services.applications.setDisabled({ kind: 'system', label: 'test' }, clientId, false, SYSTEM_CONTEXT);
    }
  });
});

describe('an application disabled in another process', () => {
  it('is refused at its next authorization request, although this process read it enabled a moment ago', async () => {
    await authorise(browser, rp, base);
    const interactions = async () =>
      Number(
        (
          await t.handle.db
            .selectFrom('oidc_state')
            .select((eb) => eb.fn.countAll().as('n'))
            .where('model', '=', 'Interaction')
            .executeTakeFirstOrThrow()
        ).n,
      );
    const before = await interactions();
    // As another process does it: in the database, not through this process's services.
    await setOidcClientDisabled(t.handle.db, clientId, t.clock.now());
    try {
      const start = new URL(`${base}/oidc/auth`);
      start.search = new URLSearchParams({
        client_id: clientId,
        redirect_uri: REDIRECT_URI,
        response_type: 'code',
        scope: 'openid',
        state: 'xyz',
        code_challenge: await client.calculatePKCECodeChallenge(client.randomPKCECodeVerifier()),
        code_challenge_method: 'S256',
      }).toString();
      for (const attempt of ['first', 'second']) {
        const refused = await browser.get(pathOf(start.href, base)!);
        expect(refused.statusCode, attempt).toBe(400);
        expect(refused.headers.location, attempt).toBeUndefined();
        expect(String(refused.headers['set-cookie'] ?? ''), attempt).not.toContain('_interaction');
        expect(refused.body, attempt).toContain('invalid_client');
      }
      expect(await interactions()).toBe(before);
    } finally {
      await setOidcClientDisabled(t.handle.db, clientId, null);
    }
    expect((await authorise(browser, rp, base)).location.startsWith(`${REDIRECT_URI}?`)).toBe(true);
  });
});

describe('claims by scope', () => {
  it('openid alone gives the account id and nothing about the person', async () => {
    const { tokens } = await signIn({ scope: 'openid' });
    const info = await client.fetchUserInfo(rp, tokens.access_token, officer.id);
    expect(info).toEqual({ sub: officer.id });
  });

  it('profile and email give the name, username and email', async () => {
    const { tokens } = await signIn({ scope: 'openid profile email' });
    const info = await client.fetchUserInfo(rp, tokens.access_token, officer.id);
    expect(info).toEqual({
      sub: officer.id,
      name: 'Olu Officer',
      preferred_username: 'olu.officer',
      email: 'olu.officer@camden.example',
    });
  });

  it('nexus gives the LA, Type of User, privileges, My Schools and the Default School Group with its schools', async () => {
    const { tokens } = await signIn({ scope: 'openid nexus' });
    const info = await client.fetchUserInfo(rp, tokens.access_token, officer.id);
    expect(info).toEqual({
      sub: officer.id,
      nexus_la: { code: '202', name: 'Camden' },
      nexus_user_type: 'la_officer',
      nexus_privileges: ['summary_reports', 'pupil_level'],
      nexus_schools: [{ urn: 100001, name: 'Acorn Primary', role: 'headteacher' }],
      nexus_default_school_group: {
        name: 'North cluster',
        schools: [
          { urn: 100001, name: 'Acorn Primary' },
          { urn: 100002, name: 'Birch Academy' },
        ],
      },
    });
    // The ID token carries the same claims (read with the code), so a refresh brings them up to date.
    expect(tokens.claims()).toMatchObject(info);
  });
});

describe('refresh tokens', () => {
  it('rotate on every use; reusing an old one revokes the whole family', async () => {
    const { tokens } = await signIn({ scope: 'openid nexus' });
    const first = tokens.refresh_token!;
    const second = await client.refreshTokenGrant(rp, first);
    expect(second.refresh_token).toBeTypeOf('string');
    expect(second.refresh_token).not.toBe(first);

    const reused = await client.refreshTokenGrant(rp, first).catch((e: unknown) => e);
    expect((reused as client.ResponseBodyError).error).toBe('invalid_grant');
    // The newer token went with it.
    const after = await client.refreshTokenGrant(rp, second.refresh_token!).catch((e: unknown) => e);
    expect((after as client.ResponseBodyError).error).toBe('invalid_grant');
  });

  it('return the current claims, and are refused once the account is archived', async () => {
    const { tokens } = await signIn({ scope: 'openid nexus' });
    await t.handle.db
      .deleteFrom('account_privileges')
      .where('account_id', '=', officer.id)
      .where('privilege', '=', 'pupil_level')
      .execute();
    const refreshed = await client.refreshTokenGrant(rp, tokens.refresh_token!);
    expect(refreshed.claims()!.nexus_privileges).toEqual(['summary_reports']);

    await t.handle.db
      .updateTable('accounts')
      .set({ status: 'archived', archived_at: t.clock.now(), archive_reason: 'manual' })
      .where('id', '=', officer.id)
      .execute();
    try {
      const refused = await client.refreshTokenGrant(rp, refreshed.refresh_token!).catch((e: unknown) => e);
      expect((refused as client.ResponseBodyError).error).toBe('invalid_grant');
      const info = await client.fetchUserInfo(rp, refreshed.access_token, officer.id).catch((e: unknown) => e);
      expect(info).toBeInstanceOf(client.WWWAuthenticateChallengeError);
    } finally {
      await t.handle.db
        .updateTable('accounts')
        .set({ status: 'active', archived_at: null, archive_reason: null })
        .where('id', '=', officer.id)
        .execute();
      await t.handle.db
        .insertInto('account_privileges')
        .values({ account_id: officer.id, privilege: 'pupil_level' })
        .execute();
    }
  });
});

describe('key rotation', () => {
  it('an ID token verifies against the key set before and after a rotation, until the old key retires', async () => {
    const before = (await signIn()).tokens.id_token!;
    const beforeKeys = await publicKeySet();
    await jwtVerify(before, createLocalJWKSet(beforeKeys), { issuer: `${base}/oidc`, audience: clientId });

    const rotation = await t.services.oidcKeys.rotate({ accountId: null, label: 'test' });
    await t.app.oidc.refresh();
    const afterKeys = await publicKeySet();
    expect(afterKeys.keys.map((k) => k.kid)).toEqual([rotation.kid, rotation.previousKid]);

    // openid-client checks the new token's signature against the key set it fetches.
    client.enableNonRepudiationChecks(rp);
    const after = (await signIn()).tokens.id_token!;
    expect(decodeProtectedHeader(after).kid).toBe(rotation.kid);
    for (const token of [before, after])
      await jwtVerify(token, createLocalJWKSet(afterKeys), { issuer: `${base}/oidc`, audience: clientId });

    t.clock.set(rotation.previousRetiresAt!);
    await t.app.oidc.refresh();
    const laterKeys = await publicKeySet();
    expect(laterKeys.keys.map((k) => k.kid)).toEqual([rotation.kid]);
    await expect(jwtVerify(before, createLocalJWKSet(laterKeys))).rejects.toThrow();
  });
});
