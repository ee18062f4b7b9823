import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import * as client from 'openid-client';
import type { Db } from '../../src/data/database.ts';
import { loadPrincipal } from '../../src/services/sign-in/principal.ts';
import type { FormClient } from './browser.ts';
import { createAccount, supportAndCamdenAdmin } from './fixtures.ts';

/**
 * An application signing people in through Nexus with openid-client, as the platform's reporting
 * applications do: every request it makes (discovery, token, userinfo, key set) goes to the test's
 * app through Fastify's inject, under the host of BASE_URL.
 */

export const REDIRECT_URI = 'https://reports.nexus.example/callback';

/** openid-client's fetch, answered by the app in this process. */
export function injectFetch(app: FastifyInstance): client.CustomFetch {
  return async (url, options) => {
    const target = new URL(url);
    const body = options.body;
    const response = await app.inject({
      method: options.method as 'GET' | 'POST',
      url: `${target.pathname}${target.search}`,
      headers: { ...options.headers, host: target.host },
      ...(body === undefined || body === null
        ? {}
        : { payload: body instanceof URLSearchParams ? body.toString() : (body as string) }),
    });
    const headers = new Headers();
    for (const [name, value] of Object.entries(response.headers))
      for (const v of [value].flat()) if (v !== undefined) headers.append(name, String(v));
    return new Response(response.statusCode === 204 ? null : new Uint8Array(response.rawPayload), {
      status: response.statusCode,
      headers,
    });
  };
}

export async function relyingParty(
  app: FastifyInstance,
  baseUrl: string,
  clientId: string,
  clientSecret: string,
): Promise<client.Configuration> {
  const config = await client.discovery(
    new URL(`${baseUrl}/oidc`),
    clientId,
    { redirect_uris: [REDIRECT_URI], id_token_signed_response_alg: 'ES256' },
    client.ClientSecretBasic(clientSecret),
    { execute: [client.allowInsecureRequests], [client.customFetch]: injectFetch(app) },
  );
  return config;
}

/** The path and query of an address on BASE_URL, for the browser (inject) to open. */
export function pathOf(location: string, baseUrl: string): string | undefined {
  if (location.startsWith('/')) return location;
  // The browser (inject) names no port, so the provider's own addresses come back on BASE_URL's host without it.
  const url = URL.parse(location);
  return url && url.hostname === new URL(baseUrl).hostname ? `${url.pathname}${url.search}` : undefined;
}

export interface Authorisation {
  /** Where the browser was last sent: the application's callback, or a page of Nexus it stopped at. */
  readonly location: string;
  readonly codeVerifier: string;
  readonly state: string;
  readonly nonce: string;
}

/**
 * Starts a sign-in at the application (PKCE S256, state, nonce) and follows the browser's redirects
 * through Nexus until they leave it (the callback) or stop at a page.
 */
export async function authorise(
  browser: FormClient,
  config: client.Configuration,
  baseUrl: string,
  params: Record<string, string> = {},
): Promise<Authorisation> {
  const codeVerifier = client.randomPKCECodeVerifier();
  const state = randomBytes(12).toString('base64url');
  const nonce = randomBytes(12).toString('base64url');
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: REDIRECT_URI,
    scope: 'openid',
    code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
    code_challenge_method: 'S256',
    state,
    nonce,
    ...params,
  });
  return { location: await follow(browser, baseUrl, url.href), codeVerifier, state, nonce };
}

/** Follows the browser's redirects from an address of Nexus until they leave it or stop at a page; where they went. */
export async function follow(browser: FormClient, baseUrl: string, from: string): Promise<string> {
  let location = from;
  for (let hops = 0; hops < 10; hops++) {
    const path = pathOf(location, baseUrl);
    if (!path) break;
    const response = await browser.get(path);
    const next = response.headers.location;
    if (response.statusCode < 300 || response.statusCode >= 400 || typeof next !== 'string') break;
    location = next;
  }
  return location;
}

/** The code of an authorisation exchanged at the token endpoint. */
export function exchange(config: client.Configuration, a: Authorisation) {
  return client.authorizationCodeGrant(config, new URL(a.location), {
    pkceCodeVerifier: a.codeVerifier,
    expectedState: a.state,
    expectedNonce: a.nonce,
  });
}

/** Who an application test needs: central support, to register it, and an LA officer of Camden to sign in to it. */
export async function supportAndOfficer(db: Db, secretKey: string) {
  const people = await supportAndCamdenAdmin(db, secretKey);
  const officer = await createAccount(db, secretKey, {
    organisationId: people.camden,
    username: 'olu.officer',
    userType: 'la_officer',
  });
  return { support: (await loadPrincipal(db, people.support.id))!, officer };
}
