import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateTotp } from '../../src/domain/totp.ts';
import { createServices } from '../../src/services/index.ts';
import { hashToken } from '../../src/services/sign-in/secrets.ts';
import { buildServer } from '../../src/http/server.ts';
import { FormClient } from '../support/browser.ts';
import { createAccount, createOrganisation, TEST_PASSWORD, type FixtureAccount } from '../support/fixtures.ts';
import { createTestApp, testConfig, type TestApp } from '../support/test-app.ts';

const COOKIE = 'nexus_session';
const NEW_PASSWORD = 'Quietly-Marching-Otters-1987';

let t: TestApp;
let la: number;
let nextIp = 1;
const freshIp = () => `10.2.${Math.floor(nextIp / 250)}.${(nextIp++ % 250) + 1}`;

beforeAll(async () => {
  t = await createTestApp();
  la = await createOrganisation(t.handle.db, '330', 'Birmingham');
});
afterAll(async () => t?.close());

interface SignedIn {
  client: FormClient;
  account: FixtureAccount;
  /** The half-signed-in session's cookie value (after the password, before the code). */
  pendingToken: string;
  /** The signed-in session's cookie value. */
  token: string;
  passwordResponse: LightMyRequestResponse;
  codeResponse: LightMyRequestResponse;
}

async function signIn(username: string, app: FastifyInstance = t.app, cookieName = COOKIE): Promise<SignedIn> {
  const account = await createAccount(t.handle.db, t.config.secretKey, { organisationId: la, username });
  const client = new FormClient(app, { ip: freshIp() });
  await client.get('/sign-in');
  const passwordResponse = await client.post('/sign-in', { username, password: TEST_PASSWORD });
  expect(passwordResponse.headers.location).toBe('/sign-in/two-factor');
  const pendingToken = client.cookies.get(cookieName)!;
  expect(pendingToken).toBeTruthy();
  await client.get('/sign-in/two-factor');
  const codeResponse = await client.post('/sign-in/two-factor', {
    code: generateTotp(account.totpSecret!, t.clock.now()),
  });
  expect(codeResponse.statusCode).toBe(303);
  expect(codeResponse.headers.location).toBe('/');
  const token = client.cookies.get(cookieName)!;
  expect((await client.get('/my-account')).statusCode).toBe(200);
  return { client, account, pendingToken, token, passwordResponse, codeResponse };
}

/** A browser that has never seen this session, presenting a stolen or remembered cookie value. */
async function withCookie(token: string, app: FastifyInstance = t.app, cookieName = COOKIE): Promise<FormClient> {
  const client = new FormClient(app, { ip: freshIp() });
  await client.get('/sign-in');
  client.cookies.set(cookieName, token);
  return client;
}

async function sessionRow(token: string) {
  return t.handle.db.selectFrom('sessions').selectAll().where('id_hash', '=', hashToken(token)).executeTakeFirst();
}

function cookieFrom(response: LightMyRequestResponse, name: string) {
  const cookie = response.cookies.find((c) => c.name === name);
  expect(cookie, `Set-Cookie ${name}`).toBeDefined();
  return cookie as {
    name: string;
    value: string;
    httpOnly?: boolean;
    secure?: boolean;
    sameSite?: string;
    path?: string;
    domain?: string;
    expires?: Date;
    maxAge?: number;
  };
}

describe('session cookie (R54)', () => {
  it('over HTTP: HttpOnly, SameSite=Lax, Path=/, not persistent, and only a hash is stored', async () => {
    const s = await signIn('cookie.plain');
    for (const response of [s.passwordResponse, s.codeResponse]) {
      const cookie = cookieFrom(response, COOKIE);
      expect(cookie.httpOnly).toBe(true);
      expect(cookie.sameSite).toBe('Lax');
      expect(cookie.path).toBe('/');
      expect(cookie.secure).toBeFalsy();
      expect(cookie.domain).toBeUndefined();
      // A session cookie: gone when the browser closes; the server enforces the timeouts.
      expect(cookie.expires).toBeUndefined();
      expect(cookie.maxAge).toBeUndefined();
      expect(cookie.value.length).toBeGreaterThanOrEqual(40);
    }
    const rows = await t.handle.db
      .selectFrom('sessions')
      .select('id_hash')
      .where('account_id', '=', s.account.id)
      .execute();
    expect(rows).toEqual([{ id_hash: hashToken(s.token) }]);
    expect(rows[0]!.id_hash).not.toBe(s.token);
  });

  it('over HTTPS (BASE_URL https://…): Secure and the __Host- prefix, for the session and the CSRF cookie', async () => {
    const config = testConfig({ BASE_URL: 'https://accounts.example.gov.uk', SECRET_KEY: t.config.secretKey });
    expect(config.secureCookies).toBe(true);
    const services = createServices({ db: t.handle.db, clock: t.clock, config, databaseKind: t.handle.kind });
    const app = await buildServer(services);
    await app.ready();
    try {
      const s = await signIn('cookie.secure', app, '__Host-nexus_session');
      for (const response of [s.passwordResponse, s.codeResponse]) {
        expect(response.cookies.map((c) => c.name)).not.toContain(COOKIE);
        const cookie = cookieFrom(response, '__Host-nexus_session');
        expect(cookie).toMatchObject({ httpOnly: true, secure: true, sameSite: 'Lax', path: '/' });
        expect(cookie.domain).toBeUndefined();
      }
      const csrf = cookieFrom(await new FormClient(app).get('/sign-in'), '__Host-nexus_csrf');
      expect(csrf).toMatchObject({ httpOnly: true, secure: true, sameSite: 'Lax', path: '/' });
      const page = await s.client.get('/my-account');
      expect(page.statusCode).toBe(200);
      expect(page.headers['strict-transport-security']).toMatch(/max-age=\d+/);
      // Over HTTPS only the __Host- cookie is read: the same value under the plain name is no session.
      expect((await (await withCookie(s.token, app, COOKIE)).get('/my-account')).headers.location).toBe(
        '/sign-in?returnTo=%2Fmy-account',
      );
      expect((await (await withCookie(s.token, app, '__Host-nexus_session')).get('/my-account')).statusCode).toBe(200);
    } finally {
      await app.close();
    }
  });
});

describe('CSRF (R54)', () => {
  it('a form post without a valid token is refused with 403 and writes nothing', async () => {
    const s = await signIn('csrf.target');
    const before = await t.handle.db
      .selectFrom('accounts')
      .select(['password_hash', 'password_changed_at'])
      .where('id', '=', s.account.id)
      .executeTakeFirstOrThrow();
    const auditCount = async () =>
      Number(
        (
          await t.handle.db
            .selectFrom('audit_events')
            .select((eb) => eb.fn.countAll().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      );
    const throttleCount = async () =>
      Number(
        (
          await t.handle.db
            .selectFrom('sign_in_throttle')
            .select((eb) => eb.fn.countAll().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      );
    const audits = await auditCount();
    const throttles = await throttleCount();

    // A token from another browser (its own CSRF secret) is as good as none.
    const other = new FormClient(t.app, { ip: freshIp() });
    await other.get('/sign-in');
    const foreign = other.csrf!;
    expect(foreign).toBeTruthy();

    for (const csrf of [null, '', 'forged-token', foreign]) {
      const signOut = await s.client.post('/sign-out', {}, { csrf });
      expect(signOut.statusCode, `sign-out with ${JSON.stringify(csrf)}`).toBe(403);
      expect(signOut.body).toContain('Your form has expired');

      const change = await s.client.post(
        '/my-account/password',
        { currentPassword: TEST_PASSWORD, password: NEW_PASSWORD, confirmPassword: NEW_PASSWORD },
        { csrf },
      );
      expect(change.statusCode).toBe(403);

      const signInPost = await other.post(
        '/sign-in',
        { username: 'csrf.target', password: 'wrong-password-z' },
        { csrf: csrf === foreign ? s.client.csrf! : csrf },
      );
      expect(signInPost.statusCode).toBe(403);
    }

    // Nothing happened: still signed in, same password, no audit events, no throttle counts.
    expect((await s.client.get('/my-account')).statusCode).toBe(200);
    expect(await sessionRow(s.token)).toBeDefined();
    const after = await t.handle.db
      .selectFrom('accounts')
      .select(['password_hash', 'password_changed_at'])
      .where('id', '=', s.account.id)
      .executeTakeFirstOrThrow();
    expect(after).toEqual(before);
    expect(await auditCount()).toBe(audits);
    expect(await throttleCount()).toBe(throttles);

    // Control: with its token the same change goes through, so the 403s above were the CSRF check.
    await s.client.get('/my-account/password');
    const changed = await s.client.post('/my-account/password', {
      currentPassword: TEST_PASSWORD,
      password: NEW_PASSWORD,
      confirmPassword: NEW_PASSWORD,
    });
    expect(changed.statusCode).toBe(303);
    const finalRow = await t.handle.db
      .selectFrom('accounts')
      .select('password_hash')
      .where('id', '=', s.account.id)
      .executeTakeFirstOrThrow();
    expect(finalRow.password_hash).not.toBe(before.password_hash);
  });
});

describe('sign-out and timeouts (R54)', () => {
  it('after sign-out the old cookie value no longer works, and the session row is gone', async () => {
    const s = await signIn('sign.out');
    const response = await s.client.post('/sign-out', {});
    expect(response.statusCode).toBe(303);
    expect(response.headers.location).toBe('/sign-in');
    const cleared = cookieFrom(response, COOKIE);
    expect(cleared.value).toBe('');
    expect(await sessionRow(s.token)).toBeUndefined();

    const replay = await withCookie(s.token);
    for (const url of ['/', '/my-account']) {
      const page = await replay.get(url);
      expect(page.statusCode, url).toBe(302);
      // Home needs no way back; any other page is returned to after signing in again.
      expect(page.headers.location).toBe(url === '/' ? '/sign-in' : `/sign-in?returnTo=${encodeURIComponent(url)}`);
    }
    const events = await t.handle.db
      .selectFrom('audit_events')
      .selectAll()
      .where('action', '=', 'sign-out')
      .where('subject_account_id', '=', s.account.id)
      .execute();
    expect(events).toHaveLength(1);
  });

  it('after 30 minutes idle the session is gone and its row deleted; activity keeps it alive', async () => {
    const s = await signIn('idle.user');
    expect(t.config.sessionIdleMinutes).toBe(30);
    t.clock.advance(29 * 60_000);
    expect((await s.client.get('/my-account')).statusCode).toBe(200);
    t.clock.advance(29 * 60_000);
    expect((await s.client.get('/my-account')).statusCode).toBe(200);
    t.clock.advance(30 * 60_000);
    const page = await s.client.get('/my-account');
    expect(page.statusCode).toBe(302);
    expect(page.headers.location).toBe('/sign-in?returnTo=%2Fmy-account');
    expect(await sessionRow(s.token)).toBeUndefined();
  });

  it('after 12 hours the session ends even with constant activity', async () => {
    const s = await signIn('busy.user');
    expect(t.config.sessionAbsoluteHours).toBe(12);
    const start = t.clock.now().getTime();
    while (t.clock.now().getTime() + 20 * 60_000 < start + 12 * 3_600_000) {
      t.clock.advance(20 * 60_000);
      expect((await s.client.get('/my-account')).statusCode, t.clock.now().toISOString()).toBe(200);
    }
    t.clock.set(new Date(start + 12 * 3_600_000 - 1_000));
    expect((await s.client.get('/my-account')).statusCode).toBe(200);
    t.clock.advance(1_000);
    const page = await s.client.get('/my-account');
    expect(page.headers.location).toBe('/sign-in?returnTo=%2Fmy-account');
    expect(await sessionRow(s.token)).toBeUndefined();
  });

  it('a half-finished sign-in also expires after the idle timeout', async () => {
    const account = await createAccount(t.handle.db, t.config.secretKey, {
      organisationId: la,
      username: 'slow.typist',
    });
    const client = new FormClient(t.app, { ip: freshIp() });
    await client.get('/sign-in');
    await client.post('/sign-in', { username: 'slow.typist', password: TEST_PASSWORD });
    await client.get('/sign-in/two-factor');
    t.clock.advance(30 * 60_000);
    expect((await client.get('/sign-in/two-factor')).headers.location).toBe('/sign-in');
    const late = await client.post('/sign-in/two-factor', { code: generateTotp(account.totpSecret!, t.clock.now()) });
    expect(late.statusCode).toBe(401);
    expect(late.cookies.map((c) => c.name)).not.toContain(COOKIE);
  });
});

describe('session identity (R54, R18)', () => {
  it('signing in issues a new session id; the half-signed-in one stops working', async () => {
    const s = await signIn('new.id');
    expect(s.token).not.toBe(s.pendingToken);
    expect(await sessionRow(s.pendingToken)).toBeUndefined();
    expect((await sessionRow(s.token))?.stage).toBe('signed_in');

    const replay = await withCookie(s.pendingToken);
    expect((await replay.get('/sign-in/two-factor')).headers.location).toBe('/sign-in');
    expect((await replay.get('/my-account')).headers.location).toBe('/sign-in?returnTo=%2Fmy-account');
    const code = await replay.post('/sign-in/two-factor', { code: generateTotp(s.account.totpSecret!, t.clock.now()) });
    expect(code.statusCode).toBe(401);
    expect(code.cookies.map((c) => c.name)).not.toContain(COOKIE);
  });

  it('the first sign-in (2FA set-up) also ends under a new session id', async () => {
    const account = await createAccount(t.handle.db, t.config.secretKey, {
      organisationId: la,
      username: 'first.enrol',
      enrolled: false,
    });
    const client = new FormClient(t.app, { ip: freshIp() });
    await client.get('/sign-in');
    expect((await client.post('/sign-in', { username: 'first.enrol', password: TEST_PASSWORD })).headers.location).toBe(
      '/sign-in/two-factor/setup',
    );
    const pending = client.cookies.get(COOKIE)!;
    const setup = await client.get('/sign-in/two-factor/setup');
    const key = /<code>([A-Z2-7 ]+)<\/code>/.exec(setup.body)![1]!.replace(/ /g, '');
    expect(
      (await client.post('/sign-in/two-factor/setup', { code: generateTotp(key, t.clock.now()) })).headers.location,
    ).toBe('/');
    const token = client.cookies.get(COOKIE)!;
    expect(token).not.toBe(pending);
    expect(await sessionRow(pending)).toBeUndefined();
    expect((await (await withCookie(pending)).get('/sign-in/two-factor/setup')).headers.location).toBe('/sign-in');
    expect((await sessionRow(token))?.account_id).toBe(account.id);
  });

  it('archiving an account in the database stops its very next request (R18)', async () => {
    const s = await signIn('soon.archived');
    await t.handle.db
      .updateTable('accounts')
      .set({ status: 'archived', archived_at: t.clock.now(), archive_reason: 'manual' })
      .where('id', '=', s.account.id)
      .execute();
    const page = await s.client.get('/my-account');
    expect(page.statusCode).toBe(302);
    expect(page.headers.location).toBe('/sign-in?returnTo=%2Fmy-account');
    expect(await sessionRow(s.token)).toBeUndefined();
    // A restore does not bring the old session back.
    await t.handle.db
      .updateTable('accounts')
      .set({ status: 'active', archived_at: null, archive_reason: null })
      .where('id', '=', s.account.id)
      .execute();
    expect((await s.client.get('/my-account')).headers.location).toBe('/sign-in?returnTo=%2Fmy-account');
  });
});

describe('security headers (R54)', () => {
  it('every kind of page sends a strict CSP and the other security headers', async () => {
    const s = await signIn('headers.user');
    const anonymous = new FormClient(t.app, { ip: freshIp() });
    const pages: [string, LightMyRequestResponse][] = [
      ['sign-in', await anonymous.get('/sign-in')],
      ['signed-in page', await s.client.get('/my-account')],
      ['home', await s.client.get('/')],
      ['404', await anonymous.get('/no-such-page')],
      ['403 CSRF', await anonymous.post('/sign-out', {}, { csrf: null })],
      [
        '401 sign-in failure',
        await anonymous.post('/sign-in', { username: 'nobody.at.all', password: 'wrong-password-q' }),
      ],
    ];
    for (const [label, response] of pages) {
      const csp = response.headers['content-security-policy'] as string;
      expect(csp, label).toBeTruthy();
      const directives = new Map(
        csp
          .split(';')
          .map((d) => d.trim().split(/\s+/))
          .map(([name, ...values]) => [name!, values]),
      );
      const scriptSrc = directives.get('script-src') ?? directives.get('default-src')!;
      expect(scriptSrc, label).not.toContain("'unsafe-inline'");
      expect(scriptSrc, label).not.toContain("'unsafe-eval'");
      expect(
        scriptSrc.some((v) => v === '*' || v.startsWith('http:') || v === 'https:'),
        label,
      ).toBe(false);
      expect(directives.get('default-src'), label).toEqual(["'self'"]);
      expect(directives.get('object-src'), label).toEqual(["'none'"]);
      expect(directives.get('base-uri'), label).toEqual(["'none'"]);
      const frameAncestors = directives.get('frame-ancestors');
      const xfo = String(response.headers['x-frame-options'] ?? '').toUpperCase();
      expect(frameAncestors?.join(' ') === "'none'" || xfo === 'DENY', label).toBe(true);
      expect(response.headers['x-content-type-options'], label).toBe('nosniff');
      expect(response.headers['referrer-policy'], label).toBe('no-referrer');
      expect(response.headers['cache-control'], label).toBe('no-store');

      // The one inline script carries the nonce the header allows, and there is no other inline script.
      const nonce = /'nonce-([^']+)'/.exec(scriptSrc.join(' '))?.[1];
      const inlineScripts = [...response.body.matchAll(/<script(?![^>]*\bsrc=)([^>]*)>/g)];
      for (const [, attributes] of inlineScripts) expect(attributes, label).toContain(`nonce="${nonce}"`);
      expect(response.body, label).not.toMatch(/\son[a-z]+="/);
    }
  });
});
