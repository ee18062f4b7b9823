import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYSTEM_CONTEXT } from '../../src/services/request-context.ts';
import { REDIRECT_URI } from '../support/oidc-client.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';

/**
 * Bad input on every endpoint of the OpenID Connect provider (issue 16): an OAuth error (or, where
 * there is nobody to send it back to, a plain page), never a 500 and never a stack trace.
 */

let t: TestApp;
let host: string;
let basic: string;
let clientId: string;

beforeAll(async () => {
  t = await createTestApp();
  host = new URL(t.config.baseUrl).host;
  const registered = await t.services.applications.register(
    { kind: 'system', label: 'test' },
    { name: 'Pupil reports', redirectUris: [REDIRECT_URI] },
    SYSTEM_CONTEXT,
  );
  clientId = registered.application.clientId;
  basic = `Basic ${Buffer.from(`${clientId}:${registered.clientSecret}`).toString('base64')}`;
});
afterAll(async () => {
  await t.close();
});

interface Case {
  name: string;
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  url: string;
  headers?: Record<string, string>;
  body?: string;
  /** The OAuth error expected in a JSON body, if the endpoint answers in JSON. */
  error?: string;
  /** Answered 200 on purpose: an unknown token's revocation (RFC 7009 §2.2), an unknown parameter ignored. */
  ok?: true;
}

const form = { 'content-type': 'application/x-www-form-urlencoded' };

const CASES: Case[] = [
  {
    name: 'token without client credentials',
    method: 'POST',
    url: '/oidc/token',
    headers: form,
    body: 'grant_type=authorization_code&code=x',
    error: 'invalid_request',
  },
  {
    name: 'token with a wrong secret',
    method: 'POST',
    url: '/oidc/token',
    headers: { ...form, authorization: 'Basic eDp5' },
    body: 'grant_type=authorization_code&code=x',
    error: 'invalid_client',
  },
  {
    name: 'token with an unknown grant type',
    method: 'POST',
    url: '/oidc/token',
    body: 'grant_type=password&username=a&password=b',
    error: 'unsupported_grant_type',
  },
  {
    name: 'token with a made-up code',
    method: 'POST',
    url: '/oidc/token',
    body: `grant_type=authorization_code&code=nope&redirect_uri=${encodeURIComponent(REDIRECT_URI)}&code_verifier=${'a'.repeat(43)}`,
    error: 'invalid_grant',
  },
  {
    name: 'token with a made-up refresh token',
    method: 'POST',
    url: '/oidc/token',
    body: 'grant_type=refresh_token&refresh_token=nope',
    error: 'invalid_grant',
  },
  {
    name: 'token with parameters twice',
    method: 'POST',
    url: '/oidc/token',
    body: 'grant_type=refresh_token&grant_type=refresh_token&refresh_token=x',
    error: 'invalid_request',
  },
  {
    name: 'token with a JSON body',
    method: 'POST',
    url: '/oidc/token',
    headers: { 'content-type': 'application/json' },
    body: '{"grant_type":"refresh_token"}',
    error: 'invalid_request',
  },
  {
    name: 'token with a broken form',
    method: 'POST',
    url: '/oidc/token',
    body: '%%%&&&=%zz',
    error: 'invalid_request',
  },
  {
    name: 'token with a body too large',
    method: 'POST',
    url: '/oidc/token',
    body: `grant_type=refresh_token&refresh_token=${'x'.repeat(70_000)}`,
    error: 'invalid_request',
  },
  { name: 'token by GET', method: 'GET', url: '/oidc/token' },
  { name: 'userinfo without a token', method: 'GET', url: '/oidc/me', error: 'invalid_token' },
  {
    name: 'userinfo with a made-up token',
    method: 'GET',
    url: '/oidc/me',
    headers: { authorization: 'Bearer nope' },
    error: 'invalid_token',
  },
  {
    name: 'userinfo with a broken header',
    method: 'GET',
    url: '/oidc/me',
    headers: { authorization: 'Bearer' },
    error: 'invalid_request',
  },
  {
    name: 'revocation of a made-up token',
    method: 'POST',
    url: '/oidc/token/revocation',
    body: 'token=nope',
    ok: true,
  },
  {
    name: 'revocation without a token',
    method: 'POST',
    url: '/oidc/token/revocation',
    body: '',
    error: 'invalid_request',
  },
  { name: 'authorization without a client', method: 'GET', url: '/oidc/auth?response_type=code&scope=openid' },
  {
    name: 'authorization of an unknown client',
    method: 'GET',
    url: `/oidc/auth?client_id=nobody&response_type=code&scope=openid&redirect_uri=${encodeURIComponent(REDIRECT_URI)}`,
  },
  {
    name: 'authorization with an unregistered return address',
    method: 'GET',
    url: `/oidc/auth?client_id=CLIENT&response_type=code&scope=openid&redirect_uri=https%3A%2F%2Fevil.example%2F`,
  },
  {
    name: 'authorization with a client id of 5,000 characters',
    method: 'GET',
    url: `/oidc/auth?client_id=${'x'.repeat(5000)}&response_type=code`,
  },
  {
    name: 'authorization with a NUL in a parameter',
    method: 'GET',
    url: '/oidc/auth?client_id=a%00b&response_type=code',
    error: 'invalid_request',
  },
  { name: 'authorization by DELETE', method: 'DELETE', url: '/oidc/auth' },
  { name: 'an interaction that does not exist', method: 'GET', url: '/oidc/auth/nope/interaction' },
  { name: 'a resume that does not exist', method: 'GET', url: '/oidc/auth/nope' },
  { name: 'end session with a made-up ID token hint', method: 'GET', url: '/oidc/session/end?id_token_hint=a.b.c' },
  {
    name: 'end session confirmation without its form',
    method: 'POST',
    url: '/oidc/session/end/confirm',
    body: 'logout=yes',
  },
  { name: 'the key set by POST', method: 'POST', url: '/oidc/jwks', body: 'x=1' },
  {
    name: 'discovery with a strange query',
    method: 'GET',
    url: '/oidc/.well-known/openid-configuration?%zz=1',
    ok: true,
  },
  { name: 'a path the provider does not have', method: 'GET', url: '/oidc/nothing-here' },
  { name: 'a broken %-encoding in the path', method: 'GET', url: '/oidc/%zz', error: 'invalid_request' },
  { name: 'the mount point itself', method: 'PUT', url: '/oidc' },
];

describe('bad input on the provider endpoints (issue 16)', () => {
  it.each(CASES)('$name: a 4xx answer, an OAuth error where the endpoint speaks JSON', async (c) => {
    const tokenEndpoint = c.url.startsWith('/oidc/token');
    const headers: Record<string, string> = {
      host,
      ...(c.method === 'POST' && c.body !== undefined ? form : {}),
      ...(tokenEndpoint && !(c.name.includes('without client') || c.name.includes('wrong secret'))
        ? { authorization: basic }
        : {}),
      ...(typeof c.headers === 'object' ? c.headers : {}),
    };
    const response = await t.app.inject({
      method: c.method,
      url: c.url.replace('CLIENT', clientId),
      headers,
      ...(c.body === undefined ? {} : { payload: c.body }),
    });
    expect(response.statusCode, response.body.slice(0, 300)).toBeLessThan(500);
    expect(response.body).not.toMatch(/^\s+at .+:\d+|node_modules|Error: /m);
    if (c.ok) expect(response.statusCode).toBe(200);
    else expect(response.statusCode, c.name).toBeGreaterThanOrEqual(400);
    if (c.error) expect(response.json<{ error: string }>().error).toBe(c.error);
  });
});

describe('prompts the provider does not have (review, 2026-12-03)', () => {
  it('refuses prompt=consent with an OAuth error at the application instead of sending the browser round for ever', async () => {
    const query = new URLSearchParams({
      client_id: clientId,
      response_type: 'code',
      scope: 'openid',
      redirect_uri: REDIRECT_URI,
      code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
      code_challenge_method: 'S256',
      state: 'st',
      prompt: 'consent',
    });
    const response = await t.app.inject({ method: 'GET', url: `/oidc/auth?${query.toString()}`, headers: { host } });
    expect(response.statusCode).toBe(303);
    const back = new URL(response.headers.location as string);
    expect(back.origin + back.pathname).toBe(REDIRECT_URI);
    expect(back.searchParams.get('error')).toBe('invalid_request');
    expect(back.searchParams.get('error_description')).toMatch(/prompt/);
    expect(back.searchParams.get('state')).toBe('st');
  });
});
