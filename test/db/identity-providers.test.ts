import { createServer } from 'node:http';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { buildServer } from '../../src/http/server.ts';
import { createServices } from '../../src/services/index.ts';
import { SecretBox } from '../../src/services/sign-in/secrets.ts';
import { testProviderConnection } from '../../src/services/identity-providers/connection-test.ts';
import type { FormClient } from '../support/browser.ts';
import { createAccount, createOrganisation, type FixtureAccount } from '../support/fixtures.ts';
import {
  closedPort,
  discoveryDocument,
  sendJson,
  startFakeProvider,
  startOidcStandIn,
  type StandIn,
} from '../support/oidc-stand-in.ts';
import { signInAs } from '../support/sign-in.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';

/**
 * An LA's own identity provider (R64, issue 15 item 1), through the pages: an administrator saves
 * its settings (the secret sealed at rest, never shown again), tests the connection against a
 * real OpenID Connect provider started here (panva's oidc-provider as the LA's Entra ID) and
 * against providers that get something wrong, turns it on (tested first), makes it required with
 * break-glass accounts; every change audited without the secret; a stale form refused; bad input
 * a 400 that names the field and writes nothing.
 */

const PAGE = '/admin/sign-in-settings';
const SECRET = 'Zq8~Entra.Secret_value-42';

let t: TestApp;
let standIn: StandIn;
let camden: number;
let admin: FixtureAccount;
let deputy: FixtureAccount;
let officer: FixtureAccount;
let kentAdmin: FixtureAccount;
let support: FixtureAccount;

beforeAll(async () => {
  t = await createTestApp();
  const db = t.handle.db;
  camden = await createOrganisation(db, '202', 'Camden');
  const kent = await createOrganisation(db, '886', 'Kent');
  const central = await createOrganisation(db, 'central', 'NCER Support');
  admin = await createAccount(db, t.config.secretKey, {
    organisationId: camden,
    username: 'camden.admin',
    userType: 'la_admin',
  });
  deputy = await createAccount(db, t.config.secretKey, {
    organisationId: camden,
    username: 'camden.deputy',
    userType: 'la_admin',
    firstName: 'Dee',
    lastName: 'Deputy',
  });
  officer = await createAccount(db, t.config.secretKey, { organisationId: camden, username: 'camden.officer' });
  kentAdmin = await createAccount(db, t.config.secretKey, {
    organisationId: kent,
    username: 'kent.admin',
    userType: 'la_admin',
  });
  support = await createAccount(db, t.config.secretKey, {
    organisationId: central,
    username: 'support',
    userType: 'support',
  });
  standIn = await startOidcStandIn();
}, 60_000);
afterAll(async () => {
  await standIn?.close();
  await t?.close();
});

const signIn = (account: FixtureAccount): Promise<FormClient> => signInAs(t, account);

async function providerRow(organisationId = camden) {
  return t.handle.db
    .selectFrom('la_identity_providers')
    .selectAll()
    .where('organisation_id', '=', organisationId)
    .executeTakeFirst();
}

async function breakGlass(organisationId = camden): Promise<string[]> {
  const rows = await t.handle.db
    .selectFrom('la_identity_provider_break_glass')
    .select('account_id')
    .where('organisation_id', '=', organisationId)
    .execute();
  return rows.map((r) => r.account_id).sort();
}

/** The audit events of Camden written since the test began, oldest first. */
let mark = '0';
async function events(action: string) {
  return t.handle.db
    .selectFrom('audit_events')
    .selectAll()
    .where('action', '=', action)
    .where('organisation_id', '=', camden)
    .where('id', '>', mark)
    .orderBy('id')
    .execute();
}

/** The error summary's messages, in order. */
function errorSummary(body: string): string[] {
  const summary = /<div class="govuk-error-summary"[\s\S]*?<\/ul>/.exec(body)?.[0] ?? '';
  const unescape = (text: string) =>
    text
      .replace(/&lt;/g, '<')
      .replace(/&gt;/g, '>')
      .replace(/&quot;/g, '"')
      .replace(/&#39;/g, "'")
      .replace(/&amp;/g, '&');
  return [...summary.matchAll(/<a href="#([A-Za-z]+)"[^>]*>([^<]+)<\/a>/g)].map(
    (m) => `${m[1]}: ${unescape(m[2]!.trim())}`,
  );
}

function versionOf(body: string): string | undefined {
  return /name="version" value="(\d+)"/.exec(body)?.[1];
}

const settings = (changes: Record<string, string | string[]> = {}): Record<string, string | string[]> => ({
  issuer: standIn.issuer,
  clientId: standIn.clientId,
  clientSecret: SECRET,
  claim: 'preferred_username',
  signIn: 'off',
  ...changes,
});

/** Each test starts with Camden having no provider. */
beforeEach(async () => {
  await t.handle.db.deleteFrom('la_identity_providers').execute();
  const last = await t.handle.db
    .selectFrom('audit_events')
    .select((eb) => eb.fn.max('id').as('id'))
    .executeTakeFirst();
  mark = last?.id ?? '0';
});

describe('saving the settings', () => {
  it('stores the secret sealed, never shows it again, and audits the setup without it', async () => {
    const client = await signIn(admin);
    const empty = await client.get(PAGE);
    expect(empty.statusCode).toBe(200);
    expect(empty.body).toContain('Set up the provider');
    expect(empty.body).toContain('It is stored encrypted and never shown again.');
    expect(versionOf(empty.body)).toBeUndefined();

    const saved = await client.post(PAGE, settings());
    expect(saved.statusCode).toBe(303);
    expect(saved.headers.location).toBe(PAGE);

    const row = (await providerRow())!;
    expect(row).toMatchObject({
      issuer: standIn.issuer,
      client_id: standIn.clientId,
      identifying_claim: 'preferred_username',
      enabled: false,
      required: false,
      archive_on_refusal: false,
      version: 1,
      updated_by: admin.id,
    });
    // Sealed at rest: AES-256-GCM under SECRET_KEY, a fresh nonce each time; opened only with the key.
    expect(row.client_secret_sealed).toMatch(/^v1\./);
    expect(row.client_secret_sealed).not.toContain(SECRET);
    expect(row.client_secret_sealed).not.toContain(Buffer.from(SECRET).toString('base64url'));
    expect(new SecretBox(t.config.secretKey).open(row.client_secret_sealed)).toBe(SECRET);
    expect(() => new SecretBox('another-secret-key-of-at-least-32-chars').open(row.client_secret_sealed)).toThrow();

    const page = await client.get(PAGE);
    expect(page.body).toContain('Sign-in settings saved.');
    expect(page.body).toContain('A secret is stored. It is never shown again');
    expect(page.body).not.toContain(SECRET);
    expect(page.body).not.toContain(row.client_secret_sealed);
    expect(page.headers['cache-control']).toBe('no-store');
    expect(versionOf(page.body)).toBe('1');

    const [event] = await events('identity-provider.configured');
    expect(event).toMatchObject({ actor_account_id: admin.id, subject_account_id: null });
    expect(event!.details).toEqual({
      issuer: standIn.issuer,
      clientId: standIn.clientId,
      claim: 'preferred_username',
      signIn: 'off',
      archiveOnRefusal: false,
      breakGlass: [],
      mfaAcr: null,
    });
    const everything = JSON.stringify(await t.handle.db.selectFrom('audit_events').selectAll().execute());
    expect(everything).not.toContain(SECRET);
  });

  it('keeps the stored secret when the field is left empty, and replaces it when a new one is entered', async () => {
    const client = await signIn(admin);
    await client.get(PAGE);
    await client.post(PAGE, settings());
    const first = (await providerRow())!.client_secret_sealed;

    await client.get(PAGE);
    const kept = await client.post(PAGE, settings({ clientSecret: '', claim: 'email', version: '1' }));
    expect(kept.statusCode).toBe(303);
    const afterKeep = (await providerRow())!;
    expect(afterKeep.client_secret_sealed).toBe(first);
    expect(afterKeep).toMatchObject({ identifying_claim: 'email', version: 2 });

    const replaced = await client.post(
      PAGE,
      settings({ clientSecret: 'A-brand-new secret', claim: 'email', version: '2' }),
    );
    expect(replaced.statusCode).toBe(303);
    const afterReplace = (await providerRow())!;
    expect(new SecretBox(t.config.secretKey).open(afterReplace.client_secret_sealed)).toBe('A-brand-new secret');
    expect(afterReplace.version).toBe(3);

    const changed = await events('identity-provider.changed');
    expect(changed.map((e) => e.details)).toEqual([
      { changes: { claim: ['preferred_username', 'email'] } },
      { changes: {}, secretReplaced: true },
    ]);
    expect(JSON.stringify(changed)).not.toContain('A-brand-new secret');

    // The same settings again, no secret: nothing written, and the page says so.
    const same = await client.post(PAGE, settings({ clientSecret: '', claim: 'email', version: '3' }));
    expect(same.statusCode).toBe(303);
    expect((await providerRow())!.version).toBe(3);
    expect(await events('identity-provider.changed')).toHaveLength(2);
    expect((await client.get(PAGE)).body).toContain('Nothing was changed.');
  });

  it('never writes the secret to the log, even at its most detailed level and for a refused form', async () => {
    const lines: string[] = [];
    const stream = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        lines.push(chunk.toString());
        callback();
      },
    });
    const services = createServices({ db: t.handle.db, clock: t.clock, config: t.config, databaseKind: t.handle.kind });
    const app = await buildServer(services, { logger: { level: 'trace', stream } });
    await app.ready();
    try {
      const client = await signInAs({ app, clock: t.clock }, admin);
      await client.get(PAGE);
      expect((await client.post(PAGE, settings({ claim: 'nonsense' }))).statusCode).toBe(400);
      expect((await client.post(PAGE, settings())).statusCode).toBe(303);
      await client.get(PAGE);
      expect((await client.post(PAGE, settings({ clientSecret: `${SECRET}-2`, version: '1' }))).statusCode).toBe(303);
      expect((await client.post(`${PAGE}/test`, {})).statusCode).toBe(200);
      expect(lines.some((line) => line.includes(`"url":"${PAGE}"`))).toBe(true);
      expect(lines.filter((line) => line.includes(SECRET))).toEqual([]);
    } finally {
      await app.close();
    }
  });

  it('refuses a form shown before someone else saved (optimistic concurrency), keeping what they saved', async () => {
    const mine = await signIn(admin);
    const theirs = await signIn(deputy);
    await mine.get(PAGE);
    await mine.post(PAGE, settings());
    const seenByMe = versionOf((await mine.get(PAGE)).body)!;
    const seenByThem = versionOf((await theirs.get(PAGE)).body)!;
    expect(seenByMe).toBe('1');

    expect(
      (await theirs.post(PAGE, settings({ clientSecret: '', claim: 'oid', version: seenByThem }))).statusCode,
    ).toBe(303);
    const stale = await mine.post(PAGE, settings({ clientSecret: '', claim: 'email', version: seenByMe }));
    expect(stale.statusCode).toBe(409);
    expect(errorSummary(stale.body)).toEqual([
      'issuer: Someone else changed these settings after you opened them. The page now shows them as they are: make your change again.',
    ]);
    // The page shows the settings as they are now, with their new version.
    expect(versionOf(stale.body)).toBe('2');
    expect(stale.body).toMatch(/value="oid" checked/);
    expect((await providerRow())!).toMatchObject({ identifying_claim: 'oid', version: 2 });

    // A form shown before the first save, posted after it: stale too, not a second provider.
    await t.handle.db.deleteFrom('la_identity_providers').execute();
    const blank = await signIn(deputy);
    await blank.get(PAGE);
    await mine.post(PAGE, settings());
    const late = await blank.post(PAGE, settings({ claim: 'email' }));
    expect(late.statusCode).toBe(409);
    expect((await providerRow())!.identifying_claim).toBe('preferred_username');
  });
});

describe('Test the connection', () => {
  async function savedWith(changes: Record<string, string>): Promise<FormClient> {
    const client = await signIn(admin);
    await client.get(PAGE);
    const saved = await client.post(PAGE, settings(changes));
    expect(saved.statusCode).toBe(303);
    await client.get(PAGE);
    return client;
  }

  it('against the stand-in for Entra ID: works, kept beside the settings and audited', async () => {
    const client = await savedWith({});
    const tested = await client.post(`${PAGE}/test`, {});
    expect(tested.statusCode).toBe(200);
    expect(tested.body).toContain('The connection works');
    const row = (await providerRow())!;
    expect(row).toMatchObject({ last_test_ok: true, last_test_message: null, version: 1 });
    expect(row.last_tested_at).toEqual(t.clock.now());
    const [event] = await events('identity-provider.tested');
    expect(event!.details).toEqual({ issuer: standIn.issuer, outcome: 'works' });
    expect((await client.get(PAGE)).body).toMatch(/Last connection test[\s\S]*Works/);
  });

  it.each([
    [
      'the issuer is not the one the provider names',
      () => Promise.resolve({ issuer: standIn.issuer.replace('127.0.0.1', 'localhost') }),
      () =>
        `The provider at that address says its issuer is ${standIn.issuer}, not ${standIn.issuer.replace('127.0.0.1', 'localhost')}. Enter the issuer URL exactly as the provider gives it.`,
    ],
    [
      'nothing answers at the address',
      async () => ({ issuer: `http://127.0.0.1:${await closedPort()}` }),
      (issuer: string) =>
        `Nexus could not read the provider’s discovery document at ${issuer}/.well-known/openid-configuration: the connection was refused (nothing is listening at that address).`,
    ],
    [
      'the address is not a provider (404)',
      () => Promise.resolve({ issuer: `${standIn.issuer}/not-a-tenant` }),
      () =>
        `The provider’s discovery document at ${standIn.issuer}/not-a-tenant/.well-known/openid-configuration could not be read: the server answered with HTTP status 404. Check the issuer URL.`,
    ],
  ])('fails in plain words when %s', async (_case, changes, message) => {
    const fields = await changes();
    const client = await savedWith(fields);
    const tested = await client.post(`${PAGE}/test`, {});
    expect(tested.statusCode).toBe(200);
    expect(tested.body).toContain('The connection test failed');
    const expected = message(fields.issuer);
    const row = (await providerRow())!;
    expect(row).toMatchObject({ last_test_ok: false, last_test_message: expected });
    expect(tested.body).toContain(expected);
    const [event] = await events('identity-provider.tested');
    expect(event!.details).toEqual({ issuer: fields.issuer, outcome: 'failed', problem: expected });
  });

  describe('against providers that get something wrong', () => {
    let fake: Awaited<ReturnType<typeof startFakeProvider>>;
    let metadata: (origin: string) => Record<string, unknown>;
    let jwks: { status: number; body: unknown };
    beforeAll(async () => {
      fake = await startFakeProvider((request, response, origin) => {
        if (request.url === '/.well-known/openid-configuration') return sendJson(response, metadata(origin));
        if (request.url === '/jwks') return sendJson(response, jwks.body, jwks.status);
        sendJson(response, { error: 'not found' }, 404);
      });
    });
    afterAll(async () => fake?.close());
    beforeEach(() => {
      metadata = (origin) => discoveryDocument(origin);
      jwks = { status: 200, body: { keys: [{ kty: 'RSA', use: 'sig', n: 'AQAB', e: 'AQAB' }] } };
    });

    const cases: [string, () => void, string][] = [
      ['a well-behaved fake (the control)', () => undefined, ''],
      [
        'no PKCE S256',
        () => (metadata = (o) => discoveryDocument(o, { code_challenge_methods_supported: ['plain'] })),
        'The provider does not say that it supports PKCE with S256 (code_challenge_methods_supported), which Nexus requires.',
      ],
      [
        'no PKCE at all',
        () => (metadata = (o) => discoveryDocument(o, { code_challenge_methods_supported: undefined })),
        'The provider does not say that it supports PKCE with S256 (code_challenge_methods_supported), which Nexus requires.',
      ],
      [
        'no authorization code flow',
        () => (metadata = (o) => discoveryDocument(o, { response_types_supported: ['id_token'] })),
        'The provider does not offer the authorization code flow, which Nexus uses to sign people in.',
      ],
      [
        'no signing keys published',
        () => (metadata = (o) => discoveryDocument(o, { jwks_uri: undefined })),
        'The provider does not publish its signing keys (jwks_uri), which Nexus needs to check who signed in.',
      ],
      [
        'signing keys not found',
        () => (jwks = { status: 404, body: {} }),
        'Nexus could not read the provider’s signing keys at ORIGIN/jwks: the server answered with HTTP status 404.',
      ],
      [
        'an empty key set',
        () => (jwks = { status: 200, body: { keys: [] } }),
        'The provider’s key set at ORIGIN/jwks holds no signing keys.',
      ],
      [
        'encryption keys only',
        () => (jwks = { status: 200, body: { keys: [{ kty: 'RSA', use: 'enc', n: 'AQAB', e: 'AQAB' }] } }),
        'The provider’s key set at ORIGIN/jwks holds no signing keys.',
      ],
    ];

    it.each(cases)('%s', async (_case, arrange, problem) => {
      arrange();
      const client = await savedWith({ issuer: fake.origin });
      const tested = await client.post(`${PAGE}/test`, {});
      expect(tested.statusCode).toBe(200);
      const row = (await providerRow())!;
      if (!problem) {
        expect(row.last_test_ok).toBe(true);
        return;
      }
      expect(row).toMatchObject({ last_test_ok: false, last_test_message: problem.replace('ORIGIN', fake.origin) });
    });
  });

  it('gives up on a provider that does not answer, saying how long it waited', async () => {
    const silent = createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as { port: number };
    try {
      const result = await testProviderConnection(
        { issuer: `http://127.0.0.1:${port}`, clientId: 'x' },
        { allowLoopbackHttp: true, timeoutSeconds: 1 },
      );
      expect(result).toEqual({
        ok: false,
        problem: `Nexus could not read the provider’s discovery document at http://127.0.0.1:${port}/.well-known/openid-configuration: it did not answer within 1 seconds.`,
      });
    } finally {
      silent.closeAllConnections();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  it('refuses plain http to anything but this machine, and everything but https when Nexus is not local', async () => {
    expect(
      await testProviderConnection({ issuer: standIn.issuer, clientId: 'x' }, { allowLoopbackHttp: false }),
    ).toEqual({ ok: false, problem: 'The issuer URL must start with https://.' });
  });

  it("never fetches from the platform's own network: a private, link-local or loopback https issuer is refused unfetched", async () => {
    for (const issuer of ['https://10.0.0.7/tenant', 'https://169.254.169.254/latest', 'https://127.0.0.1:9/'])
      expect(await testProviderConnection({ issuer, clientId: 'x' }, { allowLoopbackHttp: false })).toEqual({
        ok: false,
        problem: `${new URL(issuer).hostname} is an address inside a private network (${new URL(issuer).hostname}). The provider must be reachable on the internet.`,
      });
  });

  it('is refused before any settings are saved', async () => {
    const client = await signIn(admin);
    await client.get(PAGE);
    const refused = await client.post(`${PAGE}/test`, {});
    expect(refused.statusCode).toBe(409);
    expect(refused.body).toContain('Save the settings before testing the connection');
    expect(await events('identity-provider.tested')).toEqual([]);
  });
});

describe('turning it on, making it required', () => {
  it('tests the connection before turning it on; a failing provider is not turned on and nothing changes', async () => {
    const client = await signIn(admin);
    await client.get(PAGE);
    await client.post(PAGE, settings());
    await client.get(PAGE);
    const wrong = standIn.issuer.replace('127.0.0.1', 'localhost');
    const refused = await client.post(PAGE, settings({ issuer: wrong, signIn: 'optional', version: '1' }));
    expect(refused.statusCode).toBe(400);
    expect(errorSummary(refused.body)).toEqual([
      'clientSecret: Enter the client secret again: a secret is never shown on a page',
      `signIn: Sign-in with the LA account was not turned on, because the connection test failed. The provider at that address says its issuer is ${standIn.issuer}, not ${wrong}. Enter the issuer URL exactly as the provider gives it.`,
    ]);
    expect(refused.body).not.toContain(SECRET);
    expect((await providerRow())!).toMatchObject({ issuer: standIn.issuer, enabled: false, version: 1 });

    const on = await client.post(PAGE, settings({ signIn: 'optional', clientSecret: '', version: '1' }));
    expect(on.statusCode).toBe(303);
    expect((await client.get(PAGE)).body).toContain('Sign-in settings saved. The connection was tested and works.');
    expect((await providerRow())!).toMatchObject({ enabled: true, required: false, last_test_ok: true, version: 2 });
    const [changed] = await events('identity-provider.changed');
    expect(changed!.details).toEqual({ changes: { signIn: ['off', 'optional'] }, connectionTested: true });
  });

  it('needs a break-glass account to be required; they and the archive choice are kept and audited', async () => {
    const client = await signIn(admin);
    await client.get(PAGE);
    const none = await client.post(PAGE, settings({ signIn: 'required' }));
    expect(none.statusCode).toBe(400);
    expect(errorSummary(none.body)).toEqual([
      'clientSecret: Enter the client secret again: a secret is never shown on a page',
      'breakGlass: Choose at least one break-glass account: when sign-in with the LA account is required, they can still sign in if the provider is down',
    ]);
    expect(await providerRow()).toBeUndefined();

    // Only the LA's administrators are offered; an officer's id, or another LA's, is refused.
    const page = (await client.get(PAGE)).body;
    expect(page).toContain(`value="${deputy.id}"`);
    expect(page).toContain(`value="${admin.id}"`);
    expect(page).not.toContain(`value="${officer.id}"`);
    for (const id of [officer.id, kentAdmin.id, 'not-a-uuid']) {
      const refused = await client.post(PAGE, settings({ signIn: 'required', breakGlass: [deputy.id, id] }));
      expect(refused.statusCode).toBe(400);
      expect(errorSummary(refused.body)).toContain('breakGlass: Choose break-glass accounts from the list');
    }
    expect(await providerRow()).toBeUndefined();

    const saved = await client.post(
      PAGE,
      settings({
        signIn: 'required',
        // The same account twice, in two spellings: named once.
        breakGlass: [deputy.id, admin.id, deputy.id.toUpperCase()],
        archiveOnRefusal: 'yes',
        claim: 'oid',
      }),
    );
    expect(saved.statusCode).toBe(303);
    expect((await providerRow())!).toMatchObject({
      enabled: true,
      required: true,
      archive_on_refusal: true,
      identifying_claim: 'oid',
      last_test_ok: true,
    });
    expect(await breakGlass()).toEqual([admin.id, deputy.id].sort());
    const [event] = await events('identity-provider.configured');
    expect(event!.details).toMatchObject({
      signIn: 'required',
      archiveOnRefusal: true,
      claim: 'oid',
      connectionTested: true,
    });
    expect([...(event!.details.breakGlass as string[])].sort()).toEqual(['camden.admin', 'camden.deputy']);

    const shown = (await client.get(PAGE)).body;
    expect(shown).toMatch(new RegExp(`value="${deputy.id}" checked`));
    expect(shown).toMatch(/name="archiveOnRefusal" type="checkbox" value="yes" checked/);

    // Turned off again: no test needed (the provider may be down), and required goes with it.
    const off = await client.post(
      PAGE,
      settings({
        issuer: `http://127.0.0.1:${await closedPort()}`,
        clientSecret: '',
        signIn: 'off',
        breakGlass: [deputy.id],
        version: '1',
      }),
    );
    expect(off.statusCode).toBe(303);
    expect((await providerRow())!).toMatchObject({
      enabled: false,
      required: false,
      last_tested_at: null,
      last_test_ok: null,
    });
    expect(await breakGlass()).toEqual([deputy.id]);
  });
});

describe('when an account goes', () => {
  it('a deleted account is no longer named break-glass, and the settings it saved stay (saved by nobody now)', async () => {
    const leaver = await createAccount(t.handle.db, t.config.secretKey, {
      organisationId: camden,
      username: 'camden.leaver',
      userType: 'la_admin',
    });
    const client = await signIn(leaver);
    await client.get(PAGE);
    const saved = await client.post(PAGE, settings({ signIn: 'required', breakGlass: [leaver.id, admin.id] }));
    expect(saved.statusCode).toBe(303);
    expect((await providerRow())!.updated_by).toBe(leaver.id);

    await t.handle.db.deleteFrom('accounts').where('id', '=', leaver.id).execute();
    expect(await breakGlass()).toEqual([admin.id]);
    expect((await providerRow())!).toMatchObject({ updated_by: null, required: true, version: 1 });
  });
});

describe('bad input: a 400 naming the field, nothing written, never a 500', () => {
  const MARKUP = '<script>alert(1)</script>';
  const AGAIN = 'clientSecret: Enter the client secret again: a secret is never shown on a page';
  const cases: [string, Record<string, string | string[]>, string[]][] = [
    [
      'everything empty',
      { issuer: '', clientId: '', clientSecret: '' },
      [
        'issuer: Enter the issuer URL',
        'clientId: Enter the client ID (in Entra ID: the application (client) ID)',
        'clientSecret: Enter the client secret',
      ],
    ],
    [
      'an issuer too long',
      { issuer: `https://idp.example.com/${'a'.repeat(600)}` },
      ['issuer: The issuer URL must be 500 characters or fewer'],
    ],
    [
      'a plain http issuer elsewhere',
      { issuer: 'http://idp.example.com' },
      ['issuer: The issuer URL must start with https://'],
    ],
    ['another scheme', { issuer: 'ftp://idp.example.com' }, ['issuer: The issuer URL must start with https://']],
    [
      'not an address',
      { issuer: 'northshire' },
      ['issuer: Enter the issuer URL as a full web address starting with https://'],
    ],
    [
      'unicode',
      { issuer: 'https://ïdp.example.com', clientId: 'Zoë 👩🏽‍💻', clientSecret: 'sécret' },
      [
        'issuer: The issuer URL must be a web address as the provider gives it, without spaces, accented letters or symbols such as < and >',
        'clientId: The client ID can only contain letters, numbers, spaces and the symbols of a keyboard',
        'clientSecret: The client secret can only contain letters, numbers, spaces and the symbols of a keyboard',
      ],
    ],
    [
      'markup',
      { issuer: `https://idp.example.com/${MARKUP}`, clientId: `${MARKUP}\u0000` },
      [
        'issuer: The issuer URL must be a web address as the provider gives it, without spaces, accented letters or symbols such as < and >',
        'clientId: The client ID can only contain letters, numbers, spaces and the symbols of a keyboard',
      ],
    ],
    [
      'a query string',
      { issuer: 'https://idp.example.com/?tenant=1' },
      ['issuer: The issuer URL must not contain a ? or #'],
    ],
    [
      'a user and password',
      { issuer: 'https://me:pw@idp.example.com' },
      ['issuer: The issuer URL must not contain a user name or password'],
    ],
    [
      'the discovery address',
      { issuer: 'https://idp.example.com/.well-known/openid-configuration' },
      ['issuer: Enter the issuer URL itself, without /.well-known/openid-configuration'],
    ],
    [
      "Entra ID's shared tenant",
      { issuer: 'https://login.microsoftonline.com/common/v2.0' },
      [
        'issuer: Use your tenant’s own issuer URL (with its tenant ID), not common or organizations: otherwise people of any organisation could be offered',
      ],
    ],
    [
      'a client ID too long',
      { clientId: 'c'.repeat(256) },
      ['clientId: The client ID must be 255 characters or fewer'],
    ],
    [
      'a secret too long',
      { clientSecret: 's'.repeat(513) },
      ['clientSecret: The client secret must be 512 characters or fewer'],
    ],
    ['an unknown claim', { claim: 'sub' }, ['claim: Select the claim that identifies a person']],
    ['an unknown mode', { signIn: 'always' }, ['signIn: Select how staff sign in: off, on or required']],
    [
      'repeated fields (the first counts)',
      { issuer: [MARKUP, 'https://idp.example.com'], claim: ['x', 'email'] },
      [
        'issuer: The issuer URL must be a web address as the provider gives it, without spaces, accented letters or symbols such as < and >',
        'claim: Select the claim that identifies a person',
      ],
    ],
  ];

  it.each(cases)('%s', async (_case, fields, expected) => {
    const client = await signIn(admin);
    await client.get(PAGE);
    const before = await t.handle.db
      .selectFrom('audit_events')
      .select((eb) => eb.fn.countAll().as('n'))
      .executeTakeFirst();
    const response = await client.post(PAGE, settings(fields));
    expect(response.statusCode).toBe(400);
    const summary = errorSummary(response.body);
    expect(summary.filter((e) => e !== AGAIN)).toEqual(expected);
    // A secret typed into a refused form is not sent back: the form asks for it again.
    const typed = (settings(fields).clientSecret as string) !== '';
    expect(summary.includes(AGAIN)).toBe(typed && !expected.some((e) => e.startsWith('clientSecret:')));
    expect(response.body).not.toContain(SECRET);
    expect(response.body).toContain('<title>Error: Sign in with your LA account – Admin – Nexus</title>');
    expect(response.body).not.toContain('<script>alert(1)</script>');
    expect(response.body).not.toMatch(/\.ts:\d+|node_modules/);
    for (const error of expected) expect(response.body).toContain(`id="${error.split(':')[0]}`);
    expect(await providerRow()).toBeUndefined();
    const after = await t.handle.db
      .selectFrom('audit_events')
      .select((eb) => eb.fn.countAll().as('n'))
      .executeTakeFirst();
    expect(after).toEqual(before);
  });
});

describe('who may', () => {
  it('central support works in the LA it chose: sees and saves its settings, the read audited in that LA', async () => {
    const client = await signIn(support);
    const chooser = await client.get(PAGE);
    expect(chooser.statusCode).toBe(200);
    expect(chooser.body).toContain('Choose a Local Authority');
    expect(chooser.body).not.toContain('name="issuer"');
    // The central organisation has no provider of its own.
    expect((await client.post(PAGE, settings())).statusCode).toBe(404);

    const page = await client.get(`${PAGE}?la=202`);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain(`action="${PAGE}?la=202"`);
    const reads = await events('support.read');
    expect(reads.at(-1)!.details).toEqual({ read: 'Sign-in settings' });
    expect((await client.post(`${PAGE}?la=202`, settings())).statusCode).toBe(303);
    expect((await providerRow())!.updated_by).toBe(support.id);

    // The LA chosen once (here on the Users page) is the one the page opens in, its form posting there.
    await client.get('/admin/users?la=202');
    const kept = await client.get(PAGE);
    expect(kept.body).toContain('<span class="govuk-caption-l">Camden</span>');
    expect(kept.body).toContain(`action="${PAGE}?la=202"`);
    expect(versionOf(kept.body)).toBe('1');
    expect((await events('identity-provider.configured'))[0]!.actor_account_id).toBe(support.id);
  });

  it("an administrator of another LA cannot see or change Camden's (404); an officer may not (403)", async () => {
    const kent = await signIn(kentAdmin);
    expect((await kent.get(`${PAGE}?la=202`)).statusCode).toBe(404);
    await kent.get(PAGE);
    expect((await kent.post(`${PAGE}?la=202`, settings())).statusCode).toBe(404);
    expect((await kent.post(`${PAGE}/test?la=202`, {})).statusCode).toBe(404);
    expect(await providerRow()).toBeUndefined();

    const theirOwn = await kent.post(PAGE, settings());
    expect(theirOwn.statusCode).toBe(303);
    const kentId = (
      await t.handle.db.selectFrom('organisations').select('id').where('la_code', '=', '886').executeTakeFirstOrThrow()
    ).id;
    expect(await providerRow(kentId)).toBeDefined();
    expect(await providerRow()).toBeUndefined();

    const clerk = await signIn(officer);
    expect((await clerk.get(PAGE)).statusCode).toBe(403);
    expect((await clerk.post(PAGE, settings())).statusCode).toBe(403);
  });
});
