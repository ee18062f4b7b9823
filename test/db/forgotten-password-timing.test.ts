import type { LightMyRequestResponse } from 'fastify';
import { PostgresQueryCompiler, type KyselyPlugin } from 'kysely';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { DatabaseHandle } from '../../src/data/connect.ts';
import { ManualClock } from '../../src/domain/clock.ts';
import { passwordResetEmail } from '../../src/mail/templates/account-emails.ts';
import { createServices } from '../../src/services/index.ts';
import { dummyHash, hashPassword, verifyPassword } from '../../src/services/sign-in/password-hasher.ts';
import { hashToken, newToken } from '../../src/services/sign-in/secrets.ts';
import { buildServer } from '../../src/http/server.ts';
import { FormClient } from '../support/browser.ts';
import { createAccount, createOrganisation } from '../support/fixtures.ts';
import { testConfig } from '../support/test-app.ts';
import { createTestDatabase } from '../support/test-db.ts';

/**
 * R53, issue 11: "forgot password answers known usernames about 45 ms slower than unknown ones".
 * Tested by behaviour, never by a clock: for a known, an unknown, an archived and a not-yet-set-up
 * name, the request must run the same SQL statements in the same order, the same expensive steps
 * (token generation and hashing, the email rendered, argon2id) the same number of times, and give
 * the same response. Only the active account gets a token and an email. `npm run
 * bench:forgot-password` measures the time.
 */

// The real functions, wrapped in spies that count calls.
vi.mock('../../src/services/sign-in/password-hasher.ts', async (importOriginal) => {
  const original = await importOriginal<typeof import('../../src/services/sign-in/password-hasher.ts')>();
  return {
    ...original,
    hashPassword: vi.fn(original.hashPassword),
    verifyPassword: vi.fn(original.verifyPassword),
    dummyHash: vi.fn(original.dummyHash),
  };
});
vi.mock('../../src/services/sign-in/secrets.ts', async (importOriginal) => {
  const original = await importOriginal<typeof import('../../src/services/sign-in/secrets.ts')>();
  return { ...original, hashToken: vi.fn(original.hashToken), newToken: vi.fn(original.newToken) };
});
vi.mock('../../src/mail/templates/account-emails.ts', async (importOriginal) => {
  const original = await importOriginal<typeof import('../../src/mail/templates/account-emails.ts')>();
  return { ...original, passwordResetEmail: vi.fn(original.passwordResetEmail) };
});

const spies = {
  hashPassword: vi.mocked(hashPassword),
  verifyPassword: vi.mocked(verifyPassword),
  dummyHash: vi.mocked(dummyHash),
  hashToken: vi.mocked(hashToken),
  newToken: vi.mocked(newToken),
  passwordResetEmail: vi.mocked(passwordResetEmail),
};

/** Every statement the services send, as SQL without its parameters, in order. */
const statements: string[] = [];
const compiler = new PostgresQueryCompiler();
const recorder: KyselyPlugin = {
  transformQuery(args) {
    statements.push(compiler.compileQuery(args.node, { queryId: 'recorded' }).sql);
    return args.node;
  },
  transformResult: (args) => Promise.resolve(args.result),
};

let handle: DatabaseHandle;
let app: Awaited<ReturnType<typeof buildServer>>;
let secretKey: string;
let nextIp = 1;

beforeAll(async () => {
  handle = await createTestDatabase();
  const config = testConfig();
  secretKey = config.secretKey;
  const services = createServices({
    db: handle.db.withPlugin(recorder),
    clock: new ManualClock('2026-11-02T10:00:00Z'),
    config,
    databaseKind: handle.kind,
  });
  app = await buildServer(services);
  await app.ready();
  const la = await createOrganisation(handle.db, '202', 'Camden');
  await createAccount(handle.db, secretKey, {
    organisationId: la,
    username: 'known.person',
    email: 'known.person@camden.gov.uk',
  });
  await createAccount(handle.db, secretKey, { organisationId: la, username: 'gone.person', status: 'archived' });
  await createAccount(handle.db, secretKey, {
    organisationId: la,
    username: 'new.person',
    password: null,
    enrolled: false,
  });
});
afterAll(async () => {
  await app?.close();
  await handle?.close();
});

interface Observed {
  response: LightMyRequestResponse;
  statements: string[];
  calls: Record<keyof typeof spies, number>;
}

/** One request, with a fresh browser from its own address; what it did, counted. */
async function observe(
  send: (client: FormClient) => Promise<LightMyRequestResponse>,
  prepare: (client: FormClient) => Promise<unknown>,
): Promise<Observed> {
  const n = nextIp++;
  const client = new FormClient(app, { ip: `10.9.${Math.floor(n / 250)}.${(n % 250) + 1}` });
  await prepare(client);
  statements.length = 0;
  for (const spy of Object.values(spies)) spy.mockClear();
  const response = await send(client);
  const calls = Object.fromEntries(
    Object.entries(spies).map(([name, spy]) => [name, spy.mock.calls.length]),
  ) as Observed['calls'];
  return { response, statements: [...statements], calls };
}

const forgot = (username: string) =>
  observe(
    (c) => c.post('/forgot-password', { username }),
    (c) => c.get('/forgot-password'),
  );
const signIn = (username: string, password: string) =>
  observe(
    (c) => c.post('/sign-in', { username, password }),
    (c) => c.get('/sign-in'),
  );

/** The body without what differs on every response anyway (CSP nonce, CSRF token). */
function comparableBody(body: string): string {
  return body.replace(/nonce="[^"]*"/g, 'nonce=""').replace(/name="_csrf" value="[^"]*"/g, 'name="_csrf" value=""');
}

/** Headers, with the values that differ on every response anyway (date, nonce, request id, cookie values) masked. */
function comparableHeaders(response: LightMyRequestResponse): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(response.headers)) {
    if (name === 'date' || name === 'x-request-id') out[name] = '*';
    else if (name === 'content-security-policy') out[name] = String(value).replace(/'nonce-[^']*'/g, "'nonce-*'");
    else if (name === 'set-cookie')
      out[name] = (Array.isArray(value) ? value : [String(value)]).map((c) => c.replace(/=[^;]*/, '=*'));
    else out[name] = value;
  }
  return out;
}

async function rowsFor(username: string) {
  const account = await handle.db
    .selectFrom('accounts')
    .select('id')
    .where('username', '=', username)
    .executeTakeFirstOrThrow();
  const [tokens, emails] = await Promise.all([
    handle.db.selectFrom('account_tokens').select('token_hash').where('account_id', '=', account.id).execute(),
    handle.db.selectFrom('email_outbox').select('id').where('account_id', '=', account.id).execute(),
  ]);
  return { tokens: tokens.length, emails: emails.length };
}

describe('forgotten password does the same work for every name (R53)', () => {
  it('a known, an unknown, an archived and a not-yet-set-up name: the same statements, steps and response; only the active account gets a link', async () => {
    const known = await forgot('known.person');
    expect(known.response.statusCode).toBe(200);
    expect(known.response.body).toContain('Check your email');
    // The steps a reset link costs, each once: a token made, hashed, its email rendered.
    expect(known.calls).toMatchObject({ newToken: 1, passwordResetEmail: 1 });
    expect(known.calls.hashToken).toBeGreaterThanOrEqual(1);
    expect(known.statements.some((s) => /insert into "account_tokens"/.test(s))).toBe(true);
    expect(known.statements.some((s) => /insert into "email_outbox"/.test(s))).toBe(true);
    expect(await rowsFor('known.person')).toEqual({ tokens: 1, emails: 1 });

    for (const username of ['nobody.at.all', 'gone.person', 'new.person']) {
      const other = await forgot(username);
      expect(other.statements, username).toEqual(known.statements);
      expect(other.calls, username).toEqual(known.calls);
      expect(other.response.statusCode, username).toBe(known.response.statusCode);
      expect(comparableHeaders(other.response), username).toEqual(comparableHeaders(known.response));
      expect(comparableBody(other.response.body), username).toBe(comparableBody(known.response.body));
    }
    // Nothing was written for the names that get no email.
    expect(await rowsFor('gone.person')).toEqual({ tokens: 0, emails: 0 });
    expect(await rowsFor('new.person')).toEqual({ tokens: 0, emails: 0 });
    expect(await handle.db.selectFrom('email_outbox').select('id').execute()).toHaveLength(1);
    expect(await handle.db.selectFrom('account_tokens').select('token_hash').execute()).toHaveLength(1);
  });

  it('a second request for a known name replaces its link by the same statements as an unknown name', async () => {
    const again = await forgot('known.person');
    const unknown = await forgot('still.nobody');
    expect(unknown.statements).toEqual(again.statements);
    expect(unknown.calls).toEqual(again.calls);
    const tokens = await handle.db
      .selectFrom('account_tokens')
      .innerJoin('accounts', 'accounts.id', 'account_tokens.account_id')
      .select(['account_tokens.used_at'])
      .where('accounts.username', '=', 'known.person')
      .execute();
    expect(tokens.map((r) => r.used_at === null).sort()).toEqual([false, true]);
  });
});

describe('sign-in does the same work for an unknown name and a wrong password (R53)', () => {
  it('the same statements, one argon2id verification each, the same response', async () => {
    // The page gives the username back in its field: two names of the same length, so that the
    // responses can be compared byte for byte once the names are masked.
    const wrong = await signIn('known.person', 'not-the-right-password-1');
    const unknown = await signIn('nobody.perso', 'not-the-right-password-1');
    expect(wrong.response.statusCode).toBe(401);
    expect(unknown.response.statusCode).toBe(401);
    expect(wrong.calls.verifyPassword).toBe(1);
    expect(unknown.calls).toEqual(wrong.calls);
    expect(unknown.statements).toEqual(wrong.statements);
    expect(comparableHeaders(unknown.response)).toEqual(comparableHeaders(wrong.response));
    expect(comparableBody(unknown.response.body.replaceAll('nobody.perso', 'NAME'))).toBe(
      comparableBody(wrong.response.body.replaceAll('known.person', 'NAME')),
    );
  });
});
