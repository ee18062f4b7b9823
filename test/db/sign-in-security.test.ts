import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { GENERIC_SIGN_IN_FAILURE } from '../../src/domain/errors.ts';
import { codeForStep, generateTotp, totpStep } from '../../src/domain/totp.ts';
import { createServices } from '../../src/services/index.ts';
import { verifyPassword } from '../../src/services/sign-in/password-hasher.ts';
import { SecretBox } from '../../src/services/sign-in/secrets.ts';
import { buildServer } from '../../src/http/server.ts';
import { FormClient } from '../support/browser.ts';
import { createAccount, createOrganisation, TEST_PASSWORD, type FixtureAccount } from '../support/fixtures.ts';
import { createTestApp, testConfig, type TestApp } from '../support/test-app.ts';

// Counts argon2id verifications without timing anything: the real function, wrapped in a spy.
vi.mock('../../src/services/sign-in/password-hasher.ts', async (importOriginal) => {
  const original = await importOriginal<typeof import('../../src/services/sign-in/password-hasher.ts')>();
  return { ...original, verifyPassword: vi.fn(original.verifyPassword) };
});
const verifySpy = vi.mocked(verifyPassword);
/** The OWASP argon2id parameters every verification must run with (R51, R53). */
const ARGON2ID_OWASP = /^\$argon2id\$v=19\$m=19456,t=2,p=1\$/;

let t: TestApp;
let la: number;
let nextIp = 1;
/** Every test talks from its own addresses, so per-address throttling never leaks between tests. */
const freshIp = () => `10.1.${Math.floor(nextIp / 250)}.${(nextIp++ % 250) + 1}`;

beforeAll(async () => {
  t = await createTestApp();
  la = await createOrganisation(t.handle.db, '202', 'Camden');
  await createAccount(t.handle.db, t.config.secretKey, {
    organisationId: la,
    username: 'alice.admin',
    userType: 'la_admin',
    firstName: 'Alice',
    lastName: 'Adeyemi',
    email: 'alice.adeyemi@camden.gov.uk',
  });
  await createAccount(t.handle.db, t.config.secretKey, {
    organisationId: la,
    username: 'bob.admin',
    userType: 'la_admin',
    firstName: 'Bob',
    lastName: 'Brennan',
    email: 'bob.brennan@camden.gov.uk',
  });
  await createAccount(t.handle.db, t.config.secretKey, {
    organisationId: la,
    username: 'gone.admin',
    userType: 'la_admin',
    status: 'archived',
    firstName: 'Gwen',
    lastName: 'Gone',
    email: 'gwen.gone@camden.gov.uk',
  });
  await createAccount(t.handle.db, t.config.secretKey, {
    organisationId: la,
    username: 'olly.officer',
    userType: 'la_officer',
    firstName: 'Olly',
    lastName: 'Officer',
    email: 'olly.officer@camden.gov.uk',
  });
});
afterAll(async () => t?.close());
beforeEach(() => {
  verifySpy.mockClear();
});

async function client(ip = freshIp()): Promise<FormClient> {
  const c = new FormClient(t.app, { ip });
  await c.get('/sign-in');
  return c;
}

async function account(
  username: string,
  options: Partial<Parameters<typeof createAccount>[2]> = {},
): Promise<FixtureAccount> {
  return createAccount(t.handle.db, t.config.secretKey, { organisationId: la, username, ...options });
}

/** Signs in with the password and returns the client on the two-factor page. */
async function atTwoFactor(username: string, ip = freshIp()): Promise<FormClient> {
  const c = await client(ip);
  const response = await c.post('/sign-in', { username, password: TEST_PASSWORD });
  expect(response.statusCode).toBe(303);
  expect(response.headers.location).toBe('/sign-in/two-factor');
  expect((await c.get('/sign-in/two-factor')).statusCode).toBe(200);
  return c;
}

/** The page with what legitimately differs per response (CSRF token, CSP nonce, the typed username) masked. */
function masked(body: string): string {
  return body
    .replace(/name="_csrf" value="[^"]*"/g, 'name="_csrf" value="CSRF"')
    .replace(/nonce="[^"]*"/g, 'nonce="NONCE"')
    .replace(/(id="username" name="username" type="text"[^>]*?value=")[^"]*"/, '$1USERNAME"');
}

/** A well-formed code that is valid neither for the current step nor for the one before. */
function wrongCodeFor(secret: string): string {
  const step = totpStep(t.clock.now());
  const accepted = new Set([codeForStep(secret, step), codeForStep(secret, step - 1)]);
  let n = 0;
  while (accepted.has(String(n).padStart(6, '0'))) n++;
  return String(n).padStart(6, '0');
}

function errorSummary(body: string): string[] {
  return [...body.matchAll(/<a href="#[a-z]+"[^>]*>([^<]+)<\/a>/g)].map((m) => m[1]!.trim());
}

function headerNames(response: LightMyRequestResponse): string[] {
  return Object.keys(response.headers)
    .filter((h) => h !== 'date' && h !== 'content-length')
    .sort();
}

async function failures(subjectOrUsername: { subject?: string; username?: string }) {
  let query = t.handle.db.selectFrom('audit_events').selectAll().where('action', '=', 'sign-in.failed');
  if (subjectOrUsername.subject) query = query.where('subject_account_id', '=', subjectOrUsername.subject);
  const rows = await query.orderBy('id').execute();
  return subjectOrUsername.username
    ? rows.filter((r) => (r.details as { username?: string }).username === subjectOrUsername.username)
    : rows;
}

describe('every failure looks the same (R53)', () => {
  it('wrong password, unknown username, wrong code and reused code: same status, message and page', async () => {
    await account('uniform.user');
    const codeUser = await account('code.user');
    const reuseUser = await account('reuse.user');

    const ipWrongPassword = freshIp();
    const wrongPassword = await (
      await client(ipWrongPassword)
    ).post('/sign-in', { username: 'uniform.user', password: 'not-the-password-at-all' });
    const ipUnknown = freshIp();
    const unknown = await (
      await client(ipUnknown)
    ).post('/sign-in', { username: 'nobody.here', password: 'not-the-password-at-all' });

    const ipWrongCode = freshIp();
    const codeClient = await atTwoFactor('code.user', ipWrongCode);
    const wrongCode = await codeClient.post('/sign-in/two-factor', { code: wrongCodeFor(codeUser.totpSecret!) });

    // A code that signed in once is refused the second time, while still inside its window.
    const reuse = generateTotp(reuseUser.totpSecret!, t.clock.now());
    const first = await (await atTwoFactor('reuse.user')).post('/sign-in/two-factor', { code: reuse });
    expect(first.statusCode).toBe(303);
    expect(first.headers.location).toBe('/');
    const ipReused = freshIp();
    const reused = await (await atTwoFactor('reuse.user', ipReused)).post('/sign-in/two-factor', { code: reuse });

    for (const response of [wrongPassword, unknown, wrongCode, reused]) {
      expect(response.statusCode).toBe(401);
      expect(errorSummary(response.body)).toEqual([GENERIC_SIGN_IN_FAILURE]);
      expect(response.headers['content-type']).toBe('text/html; charset=utf-8');
    }
    // The password page: byte-identical apart from the per-response token, nonce and typed username.
    expect(masked(unknown.body)).toBe(masked(wrongPassword.body));
    expect(headerNames(unknown)).toEqual(headerNames(wrongPassword));
    // The code page: the same for a wrong and a reused code.
    expect(masked(reused.body)).toBe(masked(wrongCode.body));
    expect(headerNames(reused)).toEqual(headerNames(wrongCode));
    // No session was handed out by any failure.
    for (const response of [wrongPassword, unknown, wrongCode, reused]) {
      expect(response.cookies.map((c) => c.name)).not.toContain('nexus_session');
    }

    // Each failure is an audit event with its address and the real reason (R50).
    const expected: [string, string, string][] = [
      ['uniform.user', 'wrong-password', ipWrongPassword],
      ['nobody.here', 'unknown-username', ipUnknown],
      ['code.user', 'wrong-code', ipWrongCode],
      ['reuse.user', 'reused-code', ipReused],
    ];
    for (const [username, reason, ip] of expected) {
      const rows = await failures({ username });
      expect(rows, username).toHaveLength(1);
      expect(rows[0]!.ip).toBe(ip);
      expect(rows[0]!.details).toMatchObject({ reason, username });
      expect(rows[0]!.occurred_at.toISOString()).toBe(t.clock.now().toISOString());
    }
    const unknownRow = (await failures({ username: 'nobody.here' }))[0]!;
    expect(unknownRow.subject_account_id).toBeNull();
    expect(unknownRow.security_alert).toBe(false);
  });

  it('an unknown username, an account without a password, a wrong password and a wrong code each cost exactly one argon2id verification', async () => {
    await account('costly.user');
    await account('invited.user', { password: null, enrolled: false });
    const coded = await account('costly.coder');

    const cases: [string, () => Promise<LightMyRequestResponse>][] = [
      [
        'unknown username',
        async () => (await client()).post('/sign-in', { username: 'ghost.of.nobody', password: 'whatever-password-1' }),
      ],
      [
        'no password yet',
        async () => (await client()).post('/sign-in', { username: 'invited.user', password: 'whatever-password-1' }),
      ],
      [
        'wrong password',
        async () => (await client()).post('/sign-in', { username: 'costly.user', password: 'whatever-password-1' }),
      ],
      [
        'right password',
        async () => (await client()).post('/sign-in', { username: 'costly.user', password: TEST_PASSWORD }),
      ],
    ];
    for (const [label, attempt] of cases) {
      verifySpy.mockClear();
      const response = await attempt();
      expect(response.statusCode, label).toBe(label === 'right password' ? 303 : 401);
      expect(verifySpy, label).toHaveBeenCalledTimes(1);
      expect(verifySpy.mock.calls[0]![0], label).toMatch(ARGON2ID_OWASP);
      await expect(verifySpy.mock.results[0]!.value, label).resolves.toBe(label === 'right password');
    }

    const codeClient = await atTwoFactor('costly.coder');
    verifySpy.mockClear();
    const wrong = await codeClient.post('/sign-in/two-factor', { code: wrongCodeFor(coded.totpSecret!) });
    expect(wrong.statusCode).toBe(401);
    expect(verifySpy).toHaveBeenCalledTimes(1);
    expect(verifySpy.mock.calls[0]![0]).toMatch(ARGON2ID_OWASP);
  });
});

describe('archived accounts (R30, R52)', () => {
  it('a wrong password gets the generic failure; the right one names the LA administrators and raises a security alert', async () => {
    const leaver = await account('left.employee', { status: 'archived', firstName: 'Lee', lastName: 'Leaver' });

    const wrongIp = freshIp();
    const wrong = await (
      await client(wrongIp)
    ).post('/sign-in', { username: 'left.employee', password: 'not-the-password-at-all' });
    const unknown = await (
      await client()
    ).post('/sign-in', { username: 'never.existed', password: 'not-the-password-at-all' });
    expect(wrong.statusCode).toBe(401);
    expect(errorSummary(wrong.body)).toEqual([GENERIC_SIGN_IN_FAILURE]);
    expect(masked(wrong.body)).toBe(masked(unknown.body));
    expect(wrong.body).not.toContain('archived');
    expect(wrong.body).not.toContain('Alice');
    const [failure] = await failures({ subject: leaver.id });
    expect(failure).toMatchObject({ ip: wrongIp, organisation_id: la, security_alert: true });
    expect(failure!.details).toMatchObject({ reason: 'wrong-password' });

    const rightIp = freshIp();
    const right = await (
      await client(rightIp)
    ).post('/sign-in', { username: 'Left.Employee', password: TEST_PASSWORD });
    expect(right.statusCode).toBe(403);
    expect(right.body).toContain('Your account has been archived');
    expect(right.body).toContain('Camden');
    for (const text of ['Alice Adeyemi', 'alice.adeyemi@camden.gov.uk', 'Bob Brennan', 'bob.brennan@camden.gov.uk']) {
      expect(right.body).toContain(text);
    }
    // Only active administrators: not an archived one, not a non-administrator.
    for (const text of ['Gwen', 'gwen.gone@camden.gov.uk', 'Olly', 'olly.officer@camden.gov.uk']) {
      expect(right.body).not.toContain(text);
    }
    expect(right.cookies.map((c) => c.name)).not.toContain('nexus_session');
    const sessions = await t.handle.db
      .selectFrom('sessions')
      .select('id_hash')
      .where('account_id', '=', leaver.id)
      .execute();
    expect(sessions).toHaveLength(0);

    const alerts = await t.handle.db
      .selectFrom('audit_events')
      .selectAll()
      .where('action', '=', 'sign-in.archived-account')
      .where('subject_account_id', '=', leaver.id)
      .execute();
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ security_alert: true, organisation_id: la, ip: rightIp });
    expect(JSON.stringify(alerts[0]!.details)).toContain('Information Governance');
  });
});

describe('throttling (R53)', () => {
  const { accountLimit, lockMinutes } = testConfig().throttle;

  it('after the limit even the right password is refused, until the lock has passed', async () => {
    await account('throttle.me');
    const ip = freshIp();
    for (let i = 0; i < accountLimit; i++) {
      const response = await (
        await client(ip)
      ).post('/sign-in', { username: 'throttle.me', password: `wrong-password-${i}` });
      expect(response.statusCode, `attempt ${i + 1}`).toBe(401);
    }
    verifySpy.mockClear();
    const locked = await (await client(ip)).post('/sign-in', { username: 'throttle.me', password: TEST_PASSWORD });
    expect(locked.statusCode).toBe(429);
    expect(Number(locked.headers['retry-after'])).toBe(lockMinutes * 60);
    expect(locked.body).toContain('Too many failed attempts');
    expect(locked.cookies.map((c) => c.name)).not.toContain('nexus_session');
    expect(verifySpy).not.toHaveBeenCalled();

    t.clock.advance(lockMinutes * 60_000 - 1_000);
    const stillLocked = await (
      await client(freshIp())
    ).post('/sign-in', { username: 'throttle.me', password: TEST_PASSWORD });
    expect(stillLocked.statusCode).toBe(429);
    expect(Number(stillLocked.headers['retry-after'])).toBe(1);

    t.clock.advance(1_000);
    const after = await (await client(ip)).post('/sign-in', { username: 'throttle.me', password: TEST_PASSWORD });
    expect(after.statusCode).toBe(303);
    expect(after.headers.location).toBe('/sign-in/two-factor');

    const throttled = await t.handle.db
      .selectFrom('audit_events')
      .selectAll()
      .where('action', '=', 'sign-in.throttled')
      .execute();
    const mine = throttled.filter((r) => (r.details as { username?: string }).username === 'throttle.me');
    expect(mine).toHaveLength(2);
    expect(mine[0]!.ip).toBe(ip);
    expect(mine[0]!.details).toMatchObject({ reason: 'throttled' });
  });

  it('a lock shorter than the counting window still ends when it says it does', async () => {
    // THROTTLE_LOCK_MINUTES < THROTTLE_WINDOW_MINUTES: the counter must start again after the lock.
    const config = testConfig({ THROTTLE_LOCK_MINUTES: '2', THROTTLE_WINDOW_MINUTES: '60' });
    const services = createServices({ db: t.handle.db, clock: t.clock, config, databaseKind: t.handle.kind });
    const app = await buildServer(services);
    await app.ready();
    try {
      await account('short.lock');
      const ip = freshIp();
      const post = async (password: string) => {
        const c = new FormClient(app, { ip });
        await c.get('/sign-in');
        return c.post('/sign-in', { username: 'short.lock', password });
      };
      for (let i = 0; i < config.throttle.accountLimit; i++)
        expect((await post('wrong-password-x')).statusCode).toBe(401);
      expect((await post(TEST_PASSWORD)).statusCode).toBe(429);
      t.clock.advance(2 * 60_000);
      expect((await post(TEST_PASSWORD)).statusCode).toBe(303);
    } finally {
      await app.close();
    }
  });

  it('case variants of a username count as one account, known or unknown', async () => {
    await account('case.variant');
    const variants = ['Case.Variant', 'CASE.VARIANT', '  case.variant ', 'cAsE.vArIaNt', 'case.variant'];
    expect(variants).toHaveLength(accountLimit);
    for (const username of variants) {
      // A new address each time: only the per-account counter can be what stops it.
      const response = await (await client()).post('/sign-in', { username, password: 'wrong-password-y' });
      expect(response.statusCode, username).toBe(401);
    }
    const locked = await (await client()).post('/sign-in', { username: 'CASE.variant', password: TEST_PASSWORD });
    expect(locked.statusCode).toBe(429);

    // An unknown name locks in just the same way, so the lock reveals nothing either.
    for (const username of ['Ghost.Variant', 'GHOST.VARIANT', 'ghost.variant', 'gHoSt.VaRiAnT', 'Ghost.variant']) {
      expect((await (await client()).post('/sign-in', { username, password: 'wrong-password-y' })).statusCode).toBe(
        401,
      );
    }
    const ghostLocked = await (
      await client()
    ).post('/sign-in', { username: 'ghost.VARIANT', password: 'wrong-password-y' });
    expect(ghostLocked.statusCode).toBe(429);
    expect(masked(ghostLocked.body)).toBe(masked(locked.body));
    expect(ghostLocked.headers['retry-after']).toBe(locked.headers['retry-after']);
  });

  it('complete sign-ins from one shared office address do not use up its allowance for failures', async () => {
    const { addressLimit } = t.config.throttle;
    const ip = freshIp();
    const staff = await Promise.all(
      Array.from({ length: addressLimit / 2 + 2 }, (_, i) => account(`office.worker${i}`)),
    );
    for (const person of staff) {
      const c = await atTwoFactor(person.username, ip);
      const done = await c.post('/sign-in/two-factor', { code: generateTotp(person.totpSecret!, t.clock.now()) });
      expect(done.statusCode, person.username).toBe(303);
      expect(done.headers.location).toBe('/');
    }
    const counter = async () =>
      (
        await t.handle.db
          .selectFrom('sign_in_throttle')
          .select('attempts')
          .where('key', '=', `address:${ip}`)
          .executeTakeFirstOrThrow()
      ).attempts;
    expect(await counter()).toBe(0);
    // A password without the code is not a complete sign-in: it stays counted.
    await atTwoFactor(staff[0]!.username, ip);
    expect(await counter()).toBe(1);
  });

  it('parallel wrong attempts on one account cannot slip past the limit', async () => {
    await account('parallel.target');
    const clients = await Promise.all(Array.from({ length: 20 }, () => client()));
    verifySpy.mockClear();
    const responses = await Promise.all(
      clients.map((c, i) =>
        c.post('/sign-in', {
          username: i % 2 ? 'Parallel.Target' : 'parallel.target',
          password: `wrong-password-${i}`,
        }),
      ),
    );
    const statuses = responses.map((r) => r.statusCode);
    expect(statuses.filter((s) => s === 401)).toHaveLength(accountLimit);
    expect(statuses.filter((s) => s === 429)).toHaveLength(20 - accountLimit);
    expect(verifySpy).toHaveBeenCalledTimes(accountLimit);
    const rows = await failures({ username: 'parallel.target' });
    expect(rows).toHaveLength(accountLimit);

    const after = await (await client()).post('/sign-in', { username: 'parallel.target', password: TEST_PASSWORD });
    expect(after.statusCode).toBe(429);
  });

  it('parallel attempts from one address on many names cannot slip past the address limit', async () => {
    const { addressLimit } = t.config.throttle;
    const ip = freshIp();
    const clients = await Promise.all(Array.from({ length: addressLimit + 5 }, () => client(ip)));
    verifySpy.mockClear();
    const responses = await Promise.all(
      clients.map((c, i) => c.post('/sign-in', { username: `spray.${i}`, password: 'Winter2026-password' })),
    );
    const statuses = responses.map((r) => r.statusCode);
    expect(statuses.filter((s) => s === 401)).toHaveLength(addressLimit);
    expect(statuses.filter((s) => s === 429)).toHaveLength(5);
    expect(verifySpy).toHaveBeenCalledTimes(addressLimit);
    // Another address is not affected.
    expect(
      (await (await client()).post('/sign-in', { username: 'spray.0', password: 'Winter2026-password' })).statusCode,
    ).toBe(401);
  });
});

describe('two-factor codes (R53)', () => {
  it('a code one step old is accepted; two steps old is refused', async () => {
    const user = await account('drift.user');
    // A fixed key and time (mid-step), so that the steps and codes below are what they say.
    const secret = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';
    await t.handle.db
      .updateTable('accounts')
      .set({ totp_secret: new SecretBox(t.config.secretKey).seal(secret) })
      .where('id', '=', user.id)
      .execute();
    t.clock.set('2026-11-03T12:00:15Z');
    const step = totpStep(t.clock.now());
    const codes = [step - 2, step - 1, step].map((s) => codeForStep(secret, s));
    expect(new Set(codes).size).toBe(3);

    const tooOld = await (await atTwoFactor('drift.user')).post('/sign-in/two-factor', { code: codes[0]! });
    expect(tooOld.statusCode).toBe(401);
    expect(errorSummary(tooOld.body)).toEqual([GENERIC_SIGN_IN_FAILURE]);

    const oneOld = await (await atTwoFactor('drift.user')).post('/sign-in/two-factor', { code: codes[1]! });
    expect(oneOld.statusCode).toBe(303);
    expect(oneOld.headers.location).toBe('/');
    const row = await t.handle.db
      .selectFrom('accounts')
      .select('totp_last_step')
      .where('id', '=', user.id)
      .executeTakeFirstOrThrow();
    expect(Number(row.totp_last_step)).toBe(step - 1);

    // Once a step is used, an older step is refused too (never go back), the current one still works.
    t.clock.advance(30_000);
    const older = await (await atTwoFactor('drift.user')).post('/sign-in/two-factor', { code: codes[1]! });
    expect(older.statusCode).toBe(401);
    const current = await (await atTwoFactor('drift.user')).post('/sign-in/two-factor', { code: codes[2]! });
    expect(current.statusCode).toBe(303);
  });

  it('two sign-ins racing with the same code: exactly one succeeds', async () => {
    const user = await account('race.user');
    const contenders = await Promise.all([atTwoFactor('race.user'), atTwoFactor('race.user')]);
    const code = generateTotp(user.totpSecret!, t.clock.now());
    const responses = await Promise.all(contenders.map((c) => c.post('/sign-in/two-factor', { code })));
    const statuses = responses.map((r) => r.statusCode).sort();
    expect(statuses).toEqual([303, 401]);
    const winner = contenders[responses.findIndex((r) => r.statusCode === 303)]!;
    const loser = contenders[responses.findIndex((r) => r.statusCode === 401)]!;
    expect((await winner.get('/my-account')).statusCode).toBe(200);
    expect((await loser.get('/my-account')).headers.location).toBe('/sign-in?returnTo=%2Fmy-account');

    const signedIn = await t.handle.db
      .selectFrom('sessions')
      .select('stage')
      .where('account_id', '=', user.id)
      .where('stage', '=', 'signed_in')
      .execute();
    expect(signedIn).toHaveLength(1);
    const rows = await failures({ subject: user.id });
    expect(rows).toHaveLength(1);
    expect(rows[0]!.details).toMatchObject({ reason: 'reused-code' });
  });
});
