import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateTotp } from '../../src/domain/totp.ts';
import { FormClient } from '../support/browser.ts';
import { createAccount, createOrganisation, TEST_PASSWORD, type FixtureAccount } from '../support/fixtures.ts';
import { signInAs } from '../support/sign-in.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';

/**
 * Back to where you were (issue 13, item 4), without a browser: the way back travels through the
 * sign-in steps as a same-site path only; "Stay signed in" records a use of the session.
 */
let t: TestApp;
let ada: FixtureAccount;

beforeAll(async () => {
  t = await createTestApp({ now: '2026-12-02T10:00:00Z' });
  const camden = await createOrganisation(t.handle.db, '202', 'Camden');
  ada = await createAccount(t.handle.db, t.config.secretKey, {
    organisationId: camden,
    username: 'ada.admin',
    userType: 'la_admin',
  });
});
afterAll(async () => t?.close());

/** Password then code, posting `returnTo` as the pages' hidden fields do; the final redirect. */
async function signInWith(returnTo: string): Promise<string | undefined> {
  // Past the throttle's window: these are many sign-ins of one account.
  t.clock.advance(t.config.throttle.windowMinutes * 60_000);
  const client = new FormClient(t.app);
  await client.get(`/sign-in?returnTo=${encodeURIComponent(returnTo)}`);
  const first = await client.post('/sign-in', { username: ada.username, password: TEST_PASSWORD, returnTo });
  expect(first.statusCode).toBe(303);
  const next = first.headers.location as string;
  expect(next.startsWith('/sign-in/two-factor')).toBe(true);
  const page = await client.get(next);
  const carried = /name="returnTo" value="([^"]*)"/.exec(page.body)?.[1];
  t.clock.advance(30_000);
  const done = await client.post('/sign-in/two-factor', {
    code: generateTotp(ada.totpSecret!, t.clock.now()),
    ...(carried ? { returnTo: carried.replace(/&amp;/g, '&') } : {}),
  });
  expect(done.statusCode).toBe(303);
  t.clock.advance(30_000);
  return done.headers.location;
}

describe('signing in comes back to the page that was opened', () => {
  it('sends a signed-out GET to sign in with its path, and a form post without one', async () => {
    const visitor = new FormClient(t.app);
    const page = await visitor.get('/admin/users?status=warned&la=202');
    expect(page.statusCode).toBe(302);
    expect(page.headers.location).toBe('/sign-in?returnTo=%2Fadmin%2Fusers%3Fstatus%3Dwarned%26la%3D202');
    const post = await visitor.post('/admin/users/new', { username: 'x' });
    expect([302, 403]).toContain(post.statusCode);
    if (post.statusCode === 302) expect(post.headers.location).toBe('/sign-in');
  });

  it('lands on the same-site path after both steps', async () => {
    expect(await signInWith('/admin/users?status=warned&la=202')).toBe('/admin/users?status=warned&la=202');
  });

  it.each(['//evil.example/x', 'https://evil.example/', '/\\evil.example', '/sign-out', '/admin\r\nX: y'])(
    'lands on Home for %j',
    async (returnTo) => {
      expect(await signInWith(returnTo)).toBe('/');
    },
  );

  it('an already signed-in person opening sign-in with a way back goes there', async () => {
    t.clock.advance(t.config.throttle.windowMinutes * 60_000);
    const client = await signInAs(t, ada);
    const response = await client.get('/sign-in?returnTo=%2Fadmin%2Faudit');
    expect(response.statusCode).toBe(302);
    expect(response.headers.location).toBe('/admin/audit');
  });
});

describe('"Stay signed in"', () => {
  it('records a use of the session now and answers when it ends (script), or comes back to the page (form)', async () => {
    t.clock.advance(t.config.throttle.windowMinutes * 60_000);
    const client = await signInAs(t, ada);
    t.clock.advance(20 * 60_000);
    // What the warning's script sends: the page's form token, asking for JSON.
    const answer = await t.app.inject({
      method: 'POST',
      url: '/session/keep-alive',
      headers: {
        cookie: client.cookieHeader(),
        'content-type': 'application/x-www-form-urlencoded',
        accept: 'application/json',
      },
      payload: new URLSearchParams({ _csrf: client.csrf! }).toString(),
    });
    expect(answer.statusCode).toBe(200);
    expect(answer.headers['cache-control']).toBe('no-store');
    expect(JSON.parse(answer.body)).toEqual({ expiresInSeconds: t.config.sessionIdleMinutes * 60 });
    const sessions = await t.handle.db
      .selectFrom('sessions')
      .select('last_seen_at')
      .where('account_id', '=', ada.id)
      .orderBy('last_seen_at', 'desc')
      .execute();
    expect(sessions[0]!.last_seen_at.getTime()).toBe(t.clock.now().getTime());

    const back = await client.post('/session/keep-alive', { returnTo: '/admin/users/abc?page=2' });
    expect(back.statusCode).toBe(303);
    expect(back.headers.location).toBe('/admin/users/abc?page=2');
    const home = await client.post('/session/keep-alive', { returnTo: '//evil.example' });
    expect(home.headers.location).toBe('/');
  });

  it('is refused without the form token and when signed out', async () => {
    t.clock.advance(t.config.throttle.windowMinutes * 60_000);
    const client = await signInAs(t, ada);
    const forged = await client.post('/session/keep-alive', {}, { csrf: null });
    expect(forged.statusCode).toBe(403);
    const visitor = new FormClient(t.app);
    await visitor.get('/sign-in');
    const signedOut = await visitor.post('/session/keep-alive', {});
    expect(signedOut.statusCode).toBe(302);
  });
});
