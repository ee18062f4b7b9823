import { Writable } from 'node:stream';
import type { LightMyRequestResponse } from 'fastify';
import Fastify from 'fastify';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/data/database.ts';
import type { Actor } from '../../src/domain/access.ts';
import { generateTotp } from '../../src/domain/totp.ts';
import { createServices } from '../../src/services/index.ts';
import { SYSTEM_CONTEXT } from '../../src/services/request-context.ts';
import { buildServer } from '../../src/http/server.ts';
import { frameworkErrorPage } from '../../src/web/plugins/error-handler.ts';
import { FormClient } from '../support/browser.ts';
import { createAccount, createOrganisation, TEST_PASSWORD, type FixtureAccount } from '../support/fixtures.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';

/**
 * Every form and endpoint of issue 2, given empty, over-long, unicode, markup and SQL-metacharacter
 * input, answers with a GOV.UK error message (4xx), never 500, and writes nothing.
 *
 * "Writes nothing": accounts (with their password hashes), account_privileges, sessions,
 * account_tokens and email_outbox are identical, row for row, before and after each request.
 * audit_events may grow by at most one row per request, and only by a failed-authentication
 * record: `sign-in.failed` (no actor, no security alert, reason unknown-username, wrong-password
 * or wrong-code) or `password.change-refused` for the signed-in account itself (a wrong current
 * password on My Account). sign_in_throttle counts attempts by design and is not checked here.
 */

const WRONG_PASSWORD = 'Wrong-Password-For-Sure-123';
const STRONG_PASSWORD = 'Marmalade-Walrus-Tuba-93';
const MARKUP = '<script>alert(1)</script>';

/** The bad inputs: each is put, in turn, into every field of every form. */
const BAD_INPUTS: Record<string, string | string[]> = {
  empty: '',
  'over-long (10 000 characters)': 'Q'.repeat(10_000),
  unicode: 'Zoë 👩🏽‍💻 مرحبا שלום \u202Egnp.exe\u202C e\u0301\u0308 NUL:\u0000 ﷽',
  markup: MARKUP,
  'SQL OR': "' OR 1=1 --",
  'SQL DROP': '"; DROP TABLE accounts; --',
  'repeated field': [MARKUP, "' OR 1=1 --"],
};

/** Titles of the plain problem pages (no form to mark up). */
const PROBLEM_PAGES = [
  'This link has expired',
  'Page not found',
  'There is a problem',
  'Your form has expired',
  'What you sent is too long',
];

/** What a stack trace or internal error would leave on a page. */
const INTERNALS = /\n\s+at |node_modules|\/work\/|\.ts:\d+|\b[A-Z][a-z]*Error\b|FST_/;

let t: TestApp;
let user: FixtureAccount;
let clients: Record<'anonymous' | 'signedIn' | 'pendingTwoFactor' | 'pendingSetup', FormClient>;
let resetToken: string;
let invitationToken: string;
let nextIp = 1;

function browser(): FormClient {
  const n = nextIp++;
  return new FormClient(t.app, { ip: `10.9.${Math.floor(n / 250)}.${(n % 250) + 1}` });
}

beforeAll(async () => {
  // Throttling is tested elsewhere; here it would turn later cases into 429s and hide what they test.
  t = await createTestApp({ env: { THROTTLE_ACCOUNT_LIMIT: '1000000', THROTTLE_ADDRESS_LIMIT: '1000000' } });
  const la = await createOrganisation(t.handle.db, '202', 'Camden');
  user = await createAccount(t.handle.db, t.config.secretKey, { organisationId: la, username: 'jo.bloggs' });
  const twoFactorUser = await createAccount(t.handle.db, t.config.secretKey, {
    organisationId: la,
    username: 'sam.code',
  });
  const setupUser = await createAccount(t.handle.db, t.config.secretKey, {
    organisationId: la,
    username: 'new.phone',
    enrolled: false,
  });

  const anonymous = browser();
  await anonymous.get('/sign-in');

  const signedIn = browser();
  await signedIn.get('/sign-in');
  await signedIn.post('/sign-in', { username: user.username, password: TEST_PASSWORD });
  await signedIn.get('/sign-in/two-factor');
  expect(
    (await signedIn.post('/sign-in/two-factor', { code: generateTotp(user.totpSecret!, t.clock.now()) })).headers
      .location,
  ).toBe('/');
  await signedIn.get('/my-account/password');

  const pendingTwoFactor = browser();
  await pendingTwoFactor.get('/sign-in');
  expect(
    (await pendingTwoFactor.post('/sign-in', { username: twoFactorUser.username, password: TEST_PASSWORD })).headers
      .location,
  ).toBe('/sign-in/two-factor');
  await pendingTwoFactor.get('/sign-in/two-factor');

  const pendingSetup = browser();
  await pendingSetup.get('/sign-in');
  expect(
    (await pendingSetup.post('/sign-in', { username: setupUser.username, password: TEST_PASSWORD })).headers.location,
  ).toBe('/sign-in/two-factor/setup');
  // The first view of the set-up page stores the key to enrol; later views reuse it.
  expect((await pendingSetup.get('/sign-in/two-factor/setup')).statusCode).toBe(200);

  clients = { anonymous, signedIn, pendingTwoFactor, pendingSetup };

  await t.services.passwords.requestPasswordReset(user.username, SYSTEM_CONTEXT);
  resetToken = /\/reset-password\/([A-Za-z0-9_-]+)/.exec((await latestEmail('password_reset')).text_body)![1]!;
  const system: Actor = { kind: 'system', label: 'test' };
  await t.services.accounts.createAccount(
    system,
    {
      organisationId: la,
      username: 'invited.person',
      firstName: 'Ivy',
      lastName: 'Vited',
      email: 'ivy@camden.gov.uk',
      userType: 'read_only',
    },
    SYSTEM_CONTEXT,
  );
  invitationToken = /\/invitation\/([A-Za-z0-9_-]+)/.exec((await latestEmail('invitation')).text_body)![1]!;
});
afterAll(async () => t?.close());

async function latestEmail(template: string) {
  return t.handle.db.selectFrom('email_outbox').selectAll().where('template', '=', template).executeTakeFirstOrThrow();
}

async function snapshot() {
  const db = t.handle.db;
  return {
    state: {
      accounts: await db.selectFrom('accounts').selectAll().orderBy('id').execute(),
      privileges: await db
        .selectFrom('account_privileges')
        .selectAll()
        .orderBy('account_id')
        .orderBy('privilege')
        .execute(),
      sessions: await db.selectFrom('sessions').selectAll().orderBy('id_hash').execute(),
      tokens: await db.selectFrom('account_tokens').selectAll().orderBy('token_hash').execute(),
      outbox: await db.selectFrom('email_outbox').selectAll().orderBy('id').execute(),
    },
    audit: await db.selectFrom('audit_events').selectAll().orderBy('id').execute(),
  };
}

type AuditRow = Awaited<ReturnType<typeof snapshot>>['audit'][number];

function isFailedAuthentication(row: AuditRow): boolean {
  if (row.action === 'sign-in.failed') {
    return (
      row.actor_account_id === null &&
      !row.security_alert &&
      ['unknown-username', 'wrong-password', 'wrong-code'].includes(String(row.details.reason))
    );
  }
  if (row.action === 'password.change-refused') {
    return row.actor_account_id === user.id && row.subject_account_id === user.id && !row.security_alert;
  }
  return false;
}

/** Sends one request and checks that it wrote nothing but, at most, one failed-authentication record. */
async function unchanged(label: string, send: () => Promise<LightMyRequestResponse>): Promise<LightMyRequestResponse> {
  const before = await snapshot();
  const response = await send();
  const after = await snapshot();
  expect(after.state, `${label}: nothing written`).toEqual(before.state);
  const known = new Set(before.audit.map((a) => a.id));
  const added = after.audit.filter((a) => !known.has(a.id));
  expect(added.length, `${label}: audit rows added`).toBeLessThanOrEqual(1);
  for (const row of added) {
    expect(
      isFailedAuthentication(row),
      `${label}: unexpected audit event ${row.action} ${JSON.stringify(row.details)}`,
    ).toBe(true);
    expect(JSON.stringify(row), `${label}: a typed password in the audit log`).not.toContain(WRONG_PASSWORD);
  }
  return response;
}

function expectSafe(label: string, body: string): void {
  expect(body, `${label}: raw markup`).not.toContain('<script>alert');
  expect(body, `${label}: internals`).not.toMatch(INTERNALS);
}

/** A 4xx GOV.UK page: a form with error summary or error message, or a plain problem page. */
function expectGovukError(label: string, response: LightMyRequestResponse): void {
  expect(response.statusCode, `${label}: status`).toBeGreaterThanOrEqual(400);
  expect(response.statusCode, `${label}: status`).toBeLessThan(500);
  expect(response.headers['content-type'], label).toMatch(/^text\/html/);
  const heading = /<h1 class="govuk-heading-l">([^<]+)<\/h1>/.exec(response.body)?.[1]?.trim() ?? '';
  const marked =
    response.body.includes('govuk-error-summary') ||
    response.body.includes('govuk-error-message') ||
    PROBLEM_PAGES.includes(heading);
  expect(marked, `${label}: GOV.UK error markup (heading "${heading}")`).toBe(true);
  expectSafe(label, response.body);
}

function cookieHeader(client: FormClient): string {
  return [...client.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
}

function raw(client: FormClient, url: string, payload: string, contentType: string): Promise<LightMyRequestResponse> {
  return t.app.inject({
    method: 'POST',
    url,
    payload,
    headers: { cookie: cookieHeader(client), 'content-type': contentType },
    remoteAddress: client.ip,
  });
}

type Fields = Record<string, string | string[]>;

interface FormSpec {
  name: string;
  url: () => string;
  client: keyof typeof clients;
  /** Field sets that must be refused: each bad input goes into one field while the others are plausible. */
  variants: (bad: string | string[]) => Fields[];
  /** Sign-out has no fields: whatever it is sent is ignored and it answers with a redirect. */
  ignoresInput?: boolean;
}

const FORMS: FormSpec[] = [
  {
    name: 'sign-in',
    url: () => '/sign-in',
    client: 'anonymous',
    variants: (bad) => [
      { username: bad, password: WRONG_PASSWORD },
      { username: 'jo.bloggs', password: bad },
    ],
  },
  {
    name: 'two-factor code',
    url: () => '/sign-in/two-factor',
    client: 'pendingTwoFactor',
    variants: (bad) => [{ code: bad }],
  },
  {
    name: 'two-factor code without a sign-in',
    url: () => '/sign-in/two-factor',
    client: 'anonymous',
    variants: (bad) => [{ code: bad }],
  },
  {
    name: 'two-factor set-up',
    url: () => '/sign-in/two-factor/setup',
    client: 'pendingSetup',
    variants: (bad) => [{ code: bad }],
  },
  {
    name: 'two-factor set-up without a sign-in',
    url: () => '/sign-in/two-factor/setup',
    client: 'anonymous',
    variants: (bad) => [{ code: bad }],
  },
  {
    name: 'forgotten password',
    url: () => '/forgot-password',
    client: 'anonymous',
    variants: (bad) => [{ username: bad }],
  },
  {
    name: 'reset password',
    url: () => `/reset-password/${resetToken}`,
    client: 'anonymous',
    variants: (bad) => [
      { password: bad, confirmPassword: STRONG_PASSWORD.toUpperCase() },
      { password: STRONG_PASSWORD, confirmPassword: bad },
    ],
  },
  {
    name: 'invitation',
    url: () => `/invitation/${invitationToken}`,
    client: 'anonymous',
    variants: (bad) => [
      { password: bad, confirmPassword: STRONG_PASSWORD.toUpperCase() },
      { password: STRONG_PASSWORD, confirmPassword: bad },
    ],
  },
  {
    name: 'my account password',
    url: () => '/my-account/password',
    client: 'signedIn',
    variants: (bad) => [
      { currentPassword: bad, password: STRONG_PASSWORD, confirmPassword: STRONG_PASSWORD },
      { currentPassword: TEST_PASSWORD, password: bad, confirmPassword: STRONG_PASSWORD.toUpperCase() },
      { currentPassword: TEST_PASSWORD, password: STRONG_PASSWORD, confirmPassword: bad },
    ],
  },
  {
    name: 'sign-out',
    url: () => '/sign-out',
    client: 'anonymous',
    variants: (bad) => [{ anything: bad }],
    ignoresInput: true,
  },
];

function expectAnswer(form: FormSpec, label: string, response: LightMyRequestResponse): void {
  if (form.ignoresInput) {
    expect(response.statusCode, label).toBe(303);
    expect(response.headers.location, label).toBe('/sign-in');
  } else {
    expectGovukError(label, response);
  }
}

describe.each(FORMS)('POST form: $name', (form) => {
  it('refuses every bad input in every field with a GOV.UK error and writes nothing', async () => {
    const client = clients[form.client];
    for (const [inputName, bad] of Object.entries(BAD_INPUTS)) {
      for (const fields of form.variants(bad)) {
        const field = Object.keys(fields).find((k) => fields[k] === bad);
        const label = `${form.name} ${field}=${inputName}`;
        const response = await unchanged(label, () => client.post(form.url(), fields));
        expectAnswer(form, label, response);
      }
    }
    const missing = await unchanged(`${form.name} with no fields`, () => client.post(form.url(), {}));
    expectAnswer(form, `${form.name} with no fields`, missing);
  });

  it('refuses other body types: multipart, plain text, an oversized form; JSON never gets further than a form would', async () => {
    const client = clients[form.client];
    const csrf = client.csrf!;
    const url = form.url();
    const boundary = 'nexus-test-boundary';
    const fields = { ...form.variants(MARKUP)[0]!, _csrf: csrf };
    const multipart =
      Object.entries(fields)
        .map(([k, v]) => `--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${String(v)}\r\n`)
        .join('') + `--${boundary}--\r\n`;

    const multi = await unchanged(`${form.name} multipart`, () =>
      raw(client, url, multipart, `multipart/form-data; boundary=${boundary}`),
    );
    expect(multi.statusCode).toBe(415);
    expectGovukError(`${form.name} multipart`, multi);

    const text = await unchanged(`${form.name} text/plain`, () =>
      raw(client, url, new URLSearchParams(fields).toString(), 'text/plain'),
    );
    expectGovukError(`${form.name} text/plain`, text);

    const oversized = `${Object.keys(fields)[0]}=${'a'.repeat(70_000)}&_csrf=${encodeURIComponent(csrf)}`;
    const big = await unchanged(`${form.name} oversized`, () =>
      raw(client, url, oversized, 'application/x-www-form-urlencoded'),
    );
    expect(big.statusCode).toBe(413);
    expectGovukError(`${form.name} oversized`, big);

    // JSON: nested objects, arrays and a lone surrogate (which PostgreSQL's jsonb refuses) in place of text.
    const shapes: Record<string, unknown>[] = [
      fields,
      Object.fromEntries(Object.keys(fields).map((k) => [k, k === '_csrf' ? csrf : { $ne: null, toString: MARKUP }])),
      Object.fromEntries(Object.keys(fields).map((k) => [k, k === '_csrf' ? csrf : [MARKUP, ['nested']]])),
      Object.fromEntries(Object.keys(fields).map((k) => [k, k === '_csrf' ? csrf : 'LONE-SURROGATE'])),
    ];
    for (const [i, shape] of shapes.entries()) {
      const payload = JSON.stringify(shape).replaceAll('LONE-SURROGATE', 'a\\ud800b');
      const label = `${form.name} JSON #${i}`;
      const response = await unchanged(label, () => raw(client, url, payload, 'application/json'));
      if (form.ignoresInput) expect([303, 415], label).toContain(response.statusCode);
      else expectGovukError(label, response);
    }
  });

  it('refuses a missing, tampered or repeated CSRF token with a 403 page and no stack trace', async () => {
    const client = clients[form.client];
    const fields = form.variants(MARKUP)[0]!;
    const cases: [string, () => Promise<LightMyRequestResponse>][] = [
      ['missing', () => client.post(form.url(), fields, { csrf: null })],
      ['tampered', () => client.post(form.url(), fields, { csrf: `${client.csrf!.slice(0, -4)}AAAA` })],
      [
        'from another browser',
        async () => {
          const other = browser();
          await other.get('/sign-in');
          return client.post(form.url(), fields, { csrf: other.csrf! });
        },
      ],
      ['repeated', () => client.post(form.url(), { ...fields, _csrf: [client.csrf!, client.csrf!] })],
    ];
    for (const [name, send] of cases) {
      const response = await unchanged(`${form.name} CSRF ${name}`, send);
      expect(response.statusCode, name).toBe(403);
      expect(response.body).toContain('Your form has expired');
      expectGovukError(`${form.name} CSRF ${name}`, response);
    }
    // A tampered signed CSRF cookie is refused the same way.
    const forged = browser();
    await forged.get('/sign-in');
    forged.cookies.set('nexus_csrf', `${forged.cookies.get('nexus_csrf')!}x`);
    const response = await unchanged(`${form.name} forged CSRF cookie`, () => forged.post(form.url(), fields));
    expect(response.statusCode).toBe(403);
    expectGovukError(`${form.name} forged CSRF cookie`, response);
  });
});

describe('POST form details', () => {
  it('shows what was typed back escaped, never as markup', async () => {
    const response = await unchanged('sign-in markup echo', () =>
      clients.anonymous.post('/sign-in', { username: MARKUP, password: WRONG_PASSWORD }),
    );
    expect(response.statusCode).toBe(401);
    expect(response.body).toContain('value="&lt;script&gt;alert(1)&lt;/script&gt;"');
    const forgot = await unchanged('forgot markup echo', () =>
      clients.anonymous.post('/forgot-password', { username: MARKUP }),
    );
    expect(forgot.statusCode).toBe(400);
    expect(forgot.body).toContain('value="&lt;script&gt;alert(1)&lt;/script&gt;"');
    expect(forgot.body).toContain(
      'Username must only include letters a to z, numbers, full stops, underscores, hyphens and @',
    );
  });

  it('leaves the password hash and the links untouched after all of the above', async () => {
    const row = await t.handle.db
      .selectFrom('accounts')
      .select(['password_hash', 'password_changed_at'])
      .where('id', '=', user.id)
      .executeTakeFirstOrThrow();
    expect(row.password_changed_at).toBeNull();
    expect(row.password_hash).toMatch(/^\$argon2id\$/);
    // Both links still work: none of the refused posts used them up.
    expect((await browser().get(`/reset-password/${resetToken}`)).statusCode).toBe(200);
    expect((await browser().get(`/invitation/${invitationToken}`)).statusCode).toBe(200);
    expect((await clients.signedIn.get('/my-account')).statusCode).toBe(200);
  });
});

describe('GET with bad parameters', () => {
  const badTokens: Record<string, string> = {
    unicode: encodeURIComponent('Zoë👩🏽‍💻שלום\u202E\u0000e\u0301'),
    markup: encodeURIComponent(MARKUP),
    'SQL OR': encodeURIComponent("' OR 1=1 --"),
    'SQL DROP': encodeURIComponent('"; DROP TABLE accounts; --'),
    'token-shaped but unknown': 'A'.repeat(43),
    'too short': 'abc',
    NUL: '%00',
    'path traversal': '..%2F..%2Fetc%2Fpasswd',
  };

  it.each(['reset-password', 'invitation'])(
    '/%s/<bad token> shows the expired-link page and writes nothing',
    async (path) => {
      for (const [name, token] of Object.entries(badTokens)) {
        const label = `/${path}/ ${name}`;
        const response = await unchanged(label, () => browser().get(`/${path}/${token}`));
        expect(response.statusCode, label).toBe(410);
        expect(response.body).toContain('This link has expired');
        expectGovukError(label, response);
      }
      const empty = await unchanged(`/${path}/ empty`, () => browser().get(`/${path}/`));
      expect(empty.statusCode).toBe(404);
      expectGovukError(`/${path}/ empty`, empty);
    },
  );

  it.each(['reset-password', 'invitation'])(
    '/%s/<over-long or broken address> is a 4xx that writes nothing',
    async (path) => {
      // Found while routing, before any hook: app.ts's `frameworkErrors` answers with a GOV.UK page.
      const long = await unchanged(`/${path}/ 10 000 characters`, () =>
        browser().get(`/${path}/${'Q'.repeat(10_000)}`),
      );
      expect(long.statusCode).toBe(414);
      expect(long.body).toContain('The web address is not complete or not correct');
      expect(long.body).not.toContain('QQQQ');
      expect(long.body).not.toContain('FST_');
      const broken = await unchanged(`/${path}/ broken %-encoding`, () =>
        browser().get(`/${path}/%E0%A4%A${encodeURIComponent(MARKUP)}`),
      );
      expect(broken.statusCode).toBe(400);
      expect(broken.body).toContain('The web address is not complete or not correct');
      expect(broken.body).not.toContain('<script>alert');
    },
  );

  it('ignores bad query strings on every page: the page itself, escaped, nothing written', async () => {
    const query =
      `?username=${encodeURIComponent(MARKUP)}&code=${encodeURIComponent("' OR 1=1 --")}&x=${'Q'.repeat(5000)}` +
      `&x=${encodeURIComponent('"; DROP TABLE accounts; --')}&u=${encodeURIComponent('שלום👩🏽‍💻\u0000')}&%E0%A4%A=1&token=${encodeURIComponent(MARKUP)}`;
    const pages: [keyof typeof clients, string][] = [
      ['anonymous', '/sign-in'],
      ['anonymous', '/forgot-password'],
      ['anonymous', `/reset-password/${resetToken}`],
      ['anonymous', `/invitation/${invitationToken}`],
      ['pendingTwoFactor', '/sign-in/two-factor'],
      ['pendingSetup', '/sign-in/two-factor/setup'],
      ['signedIn', '/my-account'],
      ['signedIn', '/my-account/password'],
      ['signedIn', '/my-account/two-factor'],
      ['signedIn', '/'],
    ];
    for (const [who, url] of pages) {
      const response = await unchanged(`${url}${query.slice(0, 30)}`, () => clients[who].get(`${url}${query}`));
      expect(response.statusCode, url).toBe(200);
      expectSafe(url, response.body);
    }
  });
});

describe('unexpected errors', () => {
  it('show the 500 page with a reference that is in the log, never a stack trace', async () => {
    const logLines: string[] = [];
    const stream = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        logLines.push(chunk.toString());
        callback();
      },
    });
    const services = createServices({ db: t.handle.db, clock: t.clock, config: t.config, databaseKind: t.handle.kind });
    const app = await buildServer(services, { logger: { level: 'error', stream } });
    app.get('/explode', () => Promise.reject(new TypeError('secret internal detail at /work/main/src/x.ts:12:3')));
    await app.ready();
    try {
      const response = await unchanged('500', () => app.inject({ method: 'GET', url: '/explode' }));
      expect(response.statusCode).toBe(500);
      expect(response.headers['content-type']).toMatch(/^text\/html/);
      expect(response.body).toContain('Sorry, there is a problem with the service');
      const reference = /Reference: <strong[^>]*>([0-9a-f-]{36})<\/strong>/.exec(response.body)?.[1];
      expect(reference).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      expect(response.body).not.toContain('secret internal detail');
      expectSafe('500', response.body);
      const logged = logLines
        .map((line) => JSON.parse(line) as { requestId?: string; err?: { message?: string; stack?: string } })
        .find((entry) => entry.requestId === reference);
      expect(logged?.err?.message).toContain('secret internal detail');
      expect(logged?.err?.stack).toContain('TypeError');
    } finally {
      await app.close();
    }
  });

  it('show the same safe 500 page when the database cannot be reached', async () => {
    // A pool pointing at a port nothing listens on: every query fails, as with a database that is down.
    const unreachable = new Kysely<Database>({
      dialect: new PostgresDialect({
        pool: new pg.Pool({ connectionString: 'postgres://nobody@127.0.0.1:1/none', connectionTimeoutMillis: 2000 }),
      }),
    });
    const services = createServices({ db: unreachable, clock: t.clock, config: t.config, databaseKind: 'postgres' });
    const app = await buildServer(services);
    await app.ready();
    try {
      const response = await app.inject({
        method: 'GET',
        url: '/my-account',
        cookies: { nexus_session: 'A'.repeat(43) },
      });
      expect(response.statusCode).toBe(500);
      expect(response.body).toContain('Sorry, there is a problem with the service');
      expect(response.body).toMatch(
        /Reference: <strong[^>]*>[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}<\/strong>/,
      );
      expect(response.body).not.toContain('ECONNREFUSED');
      expectSafe('500 database unreachable', response.body);
    } finally {
      await app.close();
      await unreachable.destroy();
    }
  });

  it('frameworkErrorPage answers routing errors with a GOV.UK page, not JSON repeating the address', async () => {
    const app = Fastify({ frameworkErrors: frameworkErrorPage('Nexus'), routerOptions: { maxParamLength: 300 } });
    app.get('/reset-password/:token', () => 'never');
    await app.ready();
    try {
      for (const url of [
        `/reset-password/${'Q'.repeat(10_000)}`,
        `/reset-password/%E0%A4%A${encodeURIComponent(MARKUP)}`,
      ]) {
        const response = await app.inject({ method: 'GET', url });
        expect([400, 414]).toContain(response.statusCode);
        expect(response.headers['content-type']).toMatch(/^text\/html/);
        expect(response.headers['content-security-policy']).toContain("default-src 'self'");
        expect(response.body).toContain('The web address is not complete or not correct');
        expect(response.body).not.toContain('QQQQ');
        expectSafe(url.slice(0, 30), response.body);
      }
    } finally {
      await app.close();
    }
  });
});
