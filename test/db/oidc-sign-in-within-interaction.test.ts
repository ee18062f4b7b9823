import * as client from 'openid-client';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { generateTotp } from '../../src/domain/totp.ts';
import { SYSTEM_CONTEXT } from '../../src/services/request-context.ts';
import { FormClient } from '../support/browser.ts';
import { createAccount, createOrganisation, TEST_PASSWORD, type FixtureAccount } from '../support/fixtures.ts';
import { authorise, exchange, pathOf, REDIRECT_URI, relyingParty, type Authorisation } from '../support/oidc-client.ts';
import { formsOf } from '../support/route-fuzz-routes.ts';
import { signInAs } from '../support/sign-in.ts';
import {
  pageOptions,
  SoftwareAuthenticator,
  type CreationOptions,
  type RequestOptions,
} from '../support/software-authenticator.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';

/**
 * Signing in to an application (issue 16): the step that signs the person in posts below the
 * provider's interaction (/oidc/auth/:uid/interaction/…), so the browser brings the provider's
 * cookies and the one answer is the application's redirect with the code. Everything else is the
 * sign-in pages' as ever: the same throttling, CSRF, new session, audit, and the same page again
 * on a wrong code; an interaction that is not this browser's, or has gone, changes nothing.
 */

let t: TestApp;
let base: string;
let camden: number;
let rp: client.Configuration;
let counter = 0;
const ORIGIN = 'http://localhost:3000';

beforeAll(async () => {
  t = await createTestApp();
  base = t.config.baseUrl;
  camden = await createOrganisation(t.handle.db, '202', 'Camden');
  const { application, clientSecret } = await t.services.applications.register(
    { kind: 'system', label: 'test' },
    { name: 'Pupil reports', redirectUris: [REDIRECT_URI] },
    SYSTEM_CONTEXT,
  );
  rp = await relyingParty(t.app, base, application.clientId, clientSecret);
});
afterAll(async () => t?.close());

// Each test a fresh TOTP step and throttling window.
beforeEach(() =>
  t.clock.advance((Math.max(t.config.throttle.windowMinutes, t.config.throttle.lockMinutes) + 1) * 60_000),
);

async function newPerson(options: { enrolled?: boolean } = {}) {
  counter += 1;
  return createAccount(t.handle.db, t.config.secretKey, {
    organisationId: camden,
    username: `ivy.interaction${counter}`,
    ...options,
  });
}

/**
 * A fresh browser sent by the application to sign in: at the password step's answer, with the
 * interaction's path and the paths the provider gave its cookies.
 */
async function atSecondStep(person: FixtureAccount) {
  const browser = new FormClient(t.app);
  const a = {
    codeVerifier: client.randomPKCECodeVerifier(),
    state: client.randomState(),
    nonce: client.randomNonce(),
  };
  const url = client.buildAuthorizationUrl(rp, {
    redirect_uri: REDIRECT_URI,
    scope: 'openid',
    code_challenge: await client.calculatePKCECodeChallenge(a.codeVerifier),
    code_challenge_method: 'S256',
    state: a.state,
    nonce: a.nonce,
  });
  const started = await browser.get(pathOf(url.href, base)!);
  expect(started.statusCode).toBe(303);
  const cookiePaths = new Map(started.cookies.map((c) => [c.name, typeof c.path === 'string' ? c.path : '/']));
  const signInPage = new URL(started.headers.location as string, base);
  expect(signInPage.pathname).toBe('/sign-in');
  expect((await browser.get(`${signInPage.pathname}${signInPage.search}`)).statusCode).toBe(200);
  const returnTo = signInPage.searchParams.get('returnTo')!;
  const uid = /^\/oidc\/auth\/([\w-]+)\/interaction$/.exec(returnTo)![1]!;
  const passwordStep = await browser.post('/sign-in', { username: person.username, password: TEST_PASSWORD, returnTo });
  expect(passwordStep.statusCode).toBe(303);
  return {
    browser,
    a: { ...a, location: signInPage.href } as Authorisation,
    returnTo,
    uid,
    cookiePaths,
    next: passwordStep.headers.location as string,
  };
}

/** Whether a browser sends a cookie of this path with a request for this one (RFC 6265 §5.1.4). */
const pathMatches = (cookiePath: string, requestPath: string) =>
  requestPath === cookiePath || requestPath.startsWith(cookiePath.endsWith('/') ? cookiePath : `${cookiePath}/`);

/** The POST forms of a page, by action. */
const postActions = (html: string, url: string) =>
  formsOf(html, url)
    .filter((f) => f.method === 'POST')
    .map((f) => f.action);

const codeOf = (person: FixtureAccount) => generateTotp(person.totpSecret!, t.clock.now());
const formAction = (csp: unknown) => /form-action ([^;]*)/.exec(String(csp))?.[1];

const sessionsOf = (accountId: string) =>
  t.handle.db.selectFrom('sessions').select(['stage']).where('account_id', '=', accountId).execute();
const eventsOf = (accountId: string, action: string) =>
  t.handle.db
    .selectFrom('audit_events')
    .select('action')
    .where('subject_account_id', '=', accountId)
    .where('action', '=', action)
    .execute();
const interactionRow = (uid: string) =>
  t.handle.db
    .selectFrom('oidc_state')
    .select(['payload'])
    .where('model', '=', 'Interaction')
    .where('id', '=', uid)
    .executeTakeFirst();

/** The application's redirect with its code, state and the ID token's subject once exchanged. */
async function expectCode(answer: { statusCode: number; headers: Record<string, unknown> }, a: Authorisation) {
  expect(answer.statusCode).toBe(303);
  const back = new URL(answer.headers.location as string);
  expect(`${back.origin}${back.pathname}`).toBe(REDIRECT_URI);
  expect(back.searchParams.get('state')).toBe(a.state);
  const tokens = await exchange(rp, { ...a, location: back.href });
  return tokens.claims()!.sub;
}

describe('the two-factor code inside an interaction', () => {
  it('posts below the interaction, where the provider’s cookies reach, and answers with the code in one response', async () => {
    const person = await newPerson();
    const { browser, a, returnTo, uid, cookiePaths, next } = await atSecondStep(person);
    expect(cookiePaths.get('_interaction')).toBe(`/oidc/auth/${uid}/interaction`);
    expect(cookiePaths.get('_interaction_resume')).toBe(`/oidc/auth/${uid}`);
    const page = await browser.get(next);
    expect(page.statusCode).toBe(200);
    const action = `${returnTo}/two-factor`;
    expect(postActions(page.body, next)).toContain(action);
    expect(formAction(page.headers['content-security-policy'])).toBe(`'self' ${new URL(REDIRECT_URI).origin}`);
    // As a browser does: with the form, only the cookies whose path the action is below — both the provider's.
    for (const [name, path] of cookiePaths) if (!pathMatches(path, action)) browser.cookies.delete(name);
    expect([...browser.cookies.keys()]).toEqual(expect.arrayContaining(['_interaction', '_interaction_resume']));

    const halfSession = browser.cookies.get('nexus_session');
    const answer = await browser.post(action, { code: codeOf(person) });
    expect(await expectCode(answer, a)).toBe(person.id);
    // Signed in to Nexus too, with a new session id, audited once; the interaction is used up.
    expect(browser.cookies.get('nexus_session')).toBeDefined();
    expect(browser.cookies.get('nexus_session')).not.toBe(halfSession);
    expect(await sessionsOf(person.id)).toEqual([{ stage: 'signed_in' }]);
    expect(await eventsOf(person.id, 'sign-in.succeeded')).toHaveLength(1);
    expect(await interactionRow(uid)).toBeUndefined();
    const home = await browser.get('/');
    expect(home.statusCode).toBe(200);
    expect(home.body).toContain(person.username);
  });

  it('a wrong code shows the same page again, with its message and the same form, and changes nothing else', async () => {
    const person = await newPerson();
    const { browser, a, returnTo, uid, next } = await atSecondStep(person);
    await browser.get(next);
    const interactionBefore = await interactionRow(uid);
    const halfSession = browser.cookies.get('nexus_session');

    const wrong = await browser.post(`${returnTo}/two-factor`, {
      code: '000000' === codeOf(person) ? '111111' : '000000',
    });
    expect(wrong.statusCode).toBe(401);
    expect(wrong.headers.location).toBeUndefined();
    expect(wrong.body).toContain('Enter your security code');
    expect(wrong.body).toContain('govuk-error-summary');
    expect(postActions(wrong.body, `${returnTo}/two-factor`)).toContain(`${returnTo}/two-factor`);
    expect(formAction(wrong.headers['content-security-policy'])).toBe(`'self' ${new URL(REDIRECT_URI).origin}`);
    // Audited as any wrong code is; the interaction, the half-signed-in session and the cookie as they were.
    expect(await eventsOf(person.id, 'sign-in.failed')).toHaveLength(1);
    expect(await interactionRow(uid)).toEqual(interactionBefore);
    expect(await sessionsOf(person.id)).toEqual([{ stage: 'two_factor' }]);
    expect(browser.cookies.get('nexus_session')).toBe(halfSession);

    // The right code then finishes it.
    expect(await expectCode(await browser.post(`${returnTo}/two-factor`, { code: codeOf(person) }), a)).toBe(person.id);
  });

  it('an interaction that is not this browser’s, or has gone, gets the timed-out page, and the code stays unused', async () => {
    const person = await newPerson();
    const { browser, a, returnTo, uid, next } = await atSecondStep(person);
    await browser.get(next);
    const code = codeOf(person);

    // Another uid, made up or another browser's real interaction: this browser's cookie names neither.
    const elsewhere = (await atSecondStep(await newPerson())).returnTo;
    for (const other of [returnTo.replace(uid, `${uid}x`), elsewhere]) {
      const refused = await browser.post(`${other}/two-factor`, { code });
      expect(refused.statusCode).toBe(400);
      expect(refused.body).toContain('This sign-in has timed out');
    }
    expect(await sessionsOf(person.id)).toEqual([{ stage: 'two_factor' }]);
    expect(await eventsOf(person.id, 'sign-in.succeeded')).toHaveLength(0);

    // Gone (expired, or used in another window): the same page, nothing written.
    const row = await t.handle.db
      .selectFrom('oidc_state')
      .selectAll()
      .where('model', '=', 'Interaction')
      .where('id', '=', uid)
      .executeTakeFirstOrThrow();
    await t.handle.db.deleteFrom('oidc_state').where('model', '=', 'Interaction').where('id', '=', uid).execute();
    const gone = await browser.post(`${returnTo}/two-factor`, { code });
    expect(gone.statusCode).toBe(400);
    expect(gone.body).toContain('This sign-in has timed out');
    expect(await sessionsOf(person.id)).toEqual([{ stage: 'two_factor' }]);
    expect(await eventsOf(person.id, 'sign-in.succeeded')).toHaveLength(0);

    // The code was never spent: with the interaction back, the same code signs the person in.
    await t.handle.db.insertInto('oidc_state').values(row).execute();
    expect(await expectCode(await browser.post(`${returnTo}/two-factor`, { code }), a)).toBe(person.id);
  });

  it('a form without its CSRF token is refused and changes nothing', async () => {
    const person = await newPerson();
    const { browser, a, returnTo, next } = await atSecondStep(person);
    await browser.get(next);
    const code = codeOf(person);
    const refused = await browser.post(`${returnTo}/two-factor`, { code }, { csrf: null });
    expect(refused.statusCode).toBe(403);
    expect(refused.body).toContain('Your form has expired');
    const forged = await browser.post(`${returnTo}/two-factor`, { code }, { csrf: 'not-the-token' });
    expect(forged.statusCode).toBe(403);
    expect(await sessionsOf(person.id)).toEqual([{ stage: 'two_factor' }]);
    expect(await eventsOf(person.id, 'sign-in.failed')).toHaveLength(0);
    // The router decodes %-escapes: the step's address spelt with them (a browser still sends the
    // interaction's cookie, the raw path being below the cookie's) is the same step, checked the same.
    for (const spelt of [`${returnTo}/two-f%61ctor`, `${returnTo}/two%2Dfactor/p%61sskey`]) {
      const escaped = await browser.post(spelt, { code }, { csrf: null });
      expect(escaped.statusCode).toBe(403);
    }
    expect(await sessionsOf(person.id)).toEqual([{ stage: 'two_factor' }]);
    // The code was not spent by the refused forms.
    expect(await expectCode(await browser.post(`${returnTo}/two-factor`, { code }), a)).toBe(person.id);
  });

  it('is throttled as the sign-in page is: over the limit, the page again with 429, and no code', async () => {
    const person = await newPerson();
    const { browser, returnTo, next } = await atSecondStep(person);
    await browser.get(next);
    let last = await browser.post(`${returnTo}/two-factor`, { code: 'abcdef' });
    for (let i = 0; i < t.config.throttle.accountLimit + 1 && last.statusCode !== 429; i++)
      last = await browser.post(`${returnTo}/two-factor`, { code: 'abcdef' });
    expect(last.statusCode).toBe(429);
    expect(last.headers['retry-after']).toBeDefined();
    expect(last.body).toContain('Enter your security code');
    const locked = await browser.post(`${returnTo}/two-factor`, { code: codeOf(person) });
    expect(locked.statusCode).toBe(429);
    expect(await sessionsOf(person.id)).toEqual([{ stage: 'two_factor' }]);
  });
});

describe('every other step that signs the person in', () => {
  it('setting up two-factor authentication answers with the code too', async () => {
    const person = await newPerson({ enrolled: false });
    const { browser, a, returnTo, next } = await atSecondStep(person);
    expect(new URL(next, base).pathname).toBe('/sign-in/two-factor/setup');
    const page = await browser.get(next);
    expect(page.statusCode).toBe(200);
    expect(postActions(page.body, next)).toContain(`${returnTo}/two-factor/setup`);
    const secret = /data-secret="([A-Z2-7]+)"|<code[^>]*>([A-Z2-7 ]+)<\/code>/.exec(page.body);
    const key = (secret?.[1] ?? secret?.[2] ?? '').replace(/\s/g, '');
    expect(key).not.toBe('');

    const wrong = await browser.post(`${returnTo}/two-factor/setup`, { code: '12' });
    expect(wrong.statusCode).toBe(400);
    expect(postActions(wrong.body, next)).toContain(`${returnTo}/two-factor/setup`);

    const answer = await browser.post(`${returnTo}/two-factor/setup`, { code: generateTotp(key, t.clock.now()) });
    expect(await expectCode(answer, a)).toBe(person.id);
    expect(await eventsOf(person.id, 'two-factor.enrolled')).toHaveLength(1);
    // The set-up's message waits for the next Nexus page, as it does without an application.
    expect((await browser.get('/')).body).toContain('Two-factor authentication is set up');
  });

  it('a passkey instead of the code, and a passkey alone, answer with the code too', async () => {
    const person = await newPerson();
    const authenticator = new SoftwareAuthenticator(ORIGIN);
    const own = await signInAs(t, person);
    const passkeys = await own.get('/my-account/passkeys');
    const created = authenticator.create(pageOptions<CreationOptions>(passkeys.body));
    expect(
      (await own.post('/my-account/passkeys', { name: 'Phone', response: JSON.stringify(created.response) }))
        .statusCode,
    ).toBe(303);
    await own.post('/sign-out', {});
    t.clock.advance(30_000);

    // Instead of the code.
    const second = await atSecondStep(person);
    const page = await second.browser.get(second.next);
    expect(postActions(page.body, second.next)).toContain(`${second.returnTo}/two-factor/passkey`);
    const answer = await second.browser.post(`${second.returnTo}/two-factor/passkey`, {
      response: JSON.stringify(authenticator.get(pageOptions<RequestOptions>(page.body))),
    });
    expect(await expectCode(answer, second.a)).toBe(person.id);

    // Alone, where the LA allows it: from the first page of the sign-in.
    await t.handle.db.updateTable('organisations').set({ passkey_sign_in: true }).where('id', '=', camden).execute();
    try {
      const browser = new FormClient(t.app);
      const a = await authorise(browser, rp, base);
      const returnTo = new URL(a.location, base).searchParams.get('returnTo')!;
      const first = await browser.get(a.location);
      expect(postActions(first.body, a.location)).toContain(`${returnTo}/passkey`);
      const sealed = /name="challenge" value="([^"]+)"/.exec(first.body)![1]!;
      const refused = await browser.post(`${returnTo}/passkey`, { challenge: sealed, response: '' });
      expect(refused.statusCode).toBe(400);
      expect(postActions(refused.body, a.location)).toContain(`${returnTo}/passkey`);
      // Shown again, its form still leads on to the application (the answer redirects there).
      expect(formAction(refused.headers['content-security-policy'])).toBe(`'self' ${new URL(REDIRECT_URI).origin}`);
      const again = await browser.get(a.location);
      const alone = await browser.post(`${returnTo}/passkey`, {
        challenge: /name="challenge" value="([^"]+)"/.exec(again.body)![1]!,
        response: JSON.stringify(authenticator.get(pageOptions<RequestOptions>(again.body))),
      });
      expect(await expectCode(alone, a)).toBe(person.id);
    } finally {
      await t.handle.db.updateTable('organisations').set({ passkey_sign_in: false }).where('id', '=', camden).execute();
    }
  });
});
