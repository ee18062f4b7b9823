import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildReportingApp } from '../../examples/reporting-app/app.ts';
import type { SessionStore } from '../../examples/reporting-app/sessions.ts';
import { deliverDueLogouts } from '../../src/services/oidc/logout-delivery.ts';
import { SYSTEM_CONTEXT } from '../../src/services/request-context.ts';
import { endProviderSessions } from '../../src/services/sign-in/end-sessions.ts';
import { FormClient } from '../support/browser.ts';
import { createAccount, supportAndCamdenAdmin, type FixtureAccount } from '../support/fixtures.ts';
import { startLogoutReceiver } from '../support/logout-receiver.ts';
import { follow, injectFetch, pathOf } from '../support/oidc-client.ts';
import { signInAs } from '../support/sign-in.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';

/**
 * The example application (examples/reporting-app) signing a person in through Nexus, both in this
 * process (Nexus answers the app's requests through inject): a new session id at the callback, a
 * log without the callback's code and state, its security headers, and a logout token refused the
 * second time.
 */

const APP_URL = 'https://reports.nexus.example';
let t: TestApp;
let officer: FixtureAccount;
let nexusBrowser: FormClient;
let reporting: FastifyInstance;
let sessions: SessionStore;
let receiver: Awaited<ReturnType<typeof startLogoutReceiver>>;
const log: string[] = [];

beforeAll(async () => {
  // Nexus's clock a little behind the real one, which the app checks a logout token's age against.
  t = await createTestApp({ now: new Date(Date.now() - 60_000).toISOString() });
  const people = await supportAndCamdenAdmin(t.handle.db, t.config.secretKey);
  officer = await createAccount(t.handle.db, t.config.secretKey, {
    organisationId: people.camden,
    username: 'olu.officer',
    userType: 'la_officer',
    privileges: ['summary_reports'],
  });
  receiver = await startLogoutReceiver();
  const { application, clientSecret } = await t.services.applications.register(
    { kind: 'system', label: 'test' },
    { name: 'Reporting (example)', redirectUris: [`${APP_URL}/callback`], backchannelLogoutUri: receiver.url },
    SYSTEM_CONTEXT,
  );
  ({ app: reporting, sessions } = await buildReportingApp({
    issuer: new URL(`${t.config.baseUrl}/oidc`),
    clientId: application.clientId,
    clientSecret,
    appUrl: new URL(APP_URL),
    fetch: injectFetch(t.app),
    logger: true,
    logStream: { write: (line) => void log.push(line) },
  }));
  nexusBrowser = await signInAs(t, officer);
});
afterAll(async () => {
  await reporting?.close();
  await receiver?.close();
  await t?.close();
});

const COOKIE = 'reporting_app_session';

/** A request to the app with the given session cookie (or none). */
const get = (url: string, cookie?: string) =>
  reporting.inject({ url, headers: cookie ? { cookie: `${COOKIE}=${cookie}` } : {} });
const cookieOf = (response: Awaited<ReturnType<typeof get>>) => response.cookies.find((c) => c.name === COOKIE)?.value;
const headingOf = (body: string) => /<h1[^>]*>([^<]*)</.exec(body)?.[1]?.trim();

/** GET /sign-in, Nexus's redirects, and the callback: the cookies before and after, and the callback's address. */
async function signIn() {
  const start = await get('/sign-in');
  expect(start.statusCode).toBe(303);
  const before = cookieOf(start)!;
  const callback = new URL(await follow(nexusBrowser, t.config.baseUrl, start.headers.location as string));
  expect(`${callback.origin}${callback.pathname}`).toBe(`${APP_URL}/callback`);
  expect(pathOf(callback.href, t.config.baseUrl)).toBeUndefined();
  const back = await get(`${callback.pathname}${callback.search}`, before);
  return { before, callback, back };
}

describe('the example application signing in through Nexus', () => {
  it('gives the signed-in person a new session id, and the pre-sign-in one names nothing', async () => {
    const { before, callback, back } = await signIn();
    expect(back.statusCode).toBe(303);
    expect(back.headers.location).toBe('/');
    const after = cookieOf(back)!;
    expect(after).toBeDefined();
    expect(after).not.toBe(before);

    const reports = await get('/', after);
    expect(reports.statusCode).toBe(200);
    expect(headingOf(reports.body)).toBe('Your reports');
    // Whoever held the cookie before the sign-in is not signed in by it.
    expect(headingOf((await get('/', before)).body)).toBe('You have been signed out');
    // The callback runs once: its session is gone.
    const again = await get(`${callback.pathname}${callback.search}`, before);
    expect(again.statusCode).toBe(400);
    expect(headingOf(again.body)).toBe('Sign-in did not complete');
    expect(sessions.size()).toEqual({ pending: 0, signedIn: 1 });
  });

  it('logs the callback without its code and state', () => {
    const urls = log.flatMap((line) => {
      const url = (JSON.parse(line) as { req?: { url?: string } }).req?.url;
      return url ? [url] : [];
    });
    expect(urls).toContain('/callback');
    expect(urls.filter((u) => u.includes('?'))).toEqual([]);
    expect(log.join('')).not.toMatch(/code=|state=|[?&]iss=/);
  });

  it('sends its security headers on every page, and lets only the stylesheet be cached', async () => {
    for (const url of ['/', '/sign-in', '/reports/x/1', '/callback']) {
      const response = await get(url);
      expect(response.headers, url).toMatchObject({
        'content-security-policy': `default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self' ${t.config.baseUrl}; frame-ancestors 'none'`,
        'x-frame-options': 'DENY',
        'x-content-type-options': 'nosniff',
        'referrer-policy': 'no-referrer',
        'cache-control': 'no-store',
      });
    }
    const css = await get('/styles.css');
    expect(css.headers['cache-control']).toBe('public, max-age=3600');
    expect(css.headers['content-security-policy']).toContain("frame-ancestors 'none'");
  });

  it('ends the session named by a back-channel logout, and refuses the same token again', async () => {
    const { back } = await signIn();
    const mine = cookieOf(back)!;
    expect(headingOf((await get('/', mine)).body)).toBe('Your reports');
    const signedInBefore = sessions.size().signedIn;

    expect(await endProviderSessions(t.handle.db, officer.id, t.clock.now())).toBeGreaterThan(0);
    const already = receiver.received.length;
    await deliverDueLogouts(t.handle.db, t.clock, () => t.app.oidc.provider());
    const tokens = receiver.received.slice(already).map((r) => r.token!);
    expect(tokens.length).toBeGreaterThan(0);

    const post = (token: string) =>
      reporting.inject({
        method: 'POST',
        url: '/backchannel-logout',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: new URLSearchParams({ logout_token: token }).toString(),
      });
    for (const token of tokens) expect((await post(token)).statusCode).toBe(200);
    expect(sessions.size().signedIn).toBeLessThan(signedInBefore);
    expect(headingOf((await get('/', mine)).body)).toBe('You have been signed out');

    const replay = await post(tokens[0]!);
    expect(replay.statusCode).toBe(400);
    expect(replay.json()).toEqual({
      error: 'invalid_request',
      error_description: 'This logout token was already used',
    });
    // The token is never written to the log.
    expect(log.join('')).not.toContain(tokens[0]!.split('.')[1]!);
  });
});
