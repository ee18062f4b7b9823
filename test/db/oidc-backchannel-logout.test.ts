import { createLocalJWKSet, jwtVerify, type JSONWebKeySet } from 'jose';
import * as client from 'openid-client';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startLogoutDelivery } from '../../src/jobs/logout-delivery.ts';
import { deliverDueLogouts } from '../../src/services/oidc/logout-delivery.ts';
import { SYSTEM_CONTEXT } from '../../src/services/request-context.ts';
import { loadPrincipal, type Principal } from '../../src/services/sign-in/principal.ts';
import { endProviderSessions } from '../../src/services/sign-in/end-sessions.ts';
import { FormClient } from '../support/browser.ts';
import { createAccount, supportAndCamdenAdmin, TEST_PASSWORD, type FixtureAccount } from '../support/fixtures.ts';
import { startLogoutReceiver } from '../support/logout-receiver.ts';
import { authorise, exchange, pathOf, REDIRECT_URI, relyingParty } from '../support/oidc-client.ts';
import { signInAs } from '../support/sign-in.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';

/**
 * Back-channel logout when access ends (issue 16 item 4, R63): each way an account's access ends
 * or its credentials change ends its sessions at the provider, refuses its refresh tokens at once,
 * and sends each application that had a session and registered a sign-out address one logout token,
 * through the logout outbox. openid-client is the application; a local HTTP server its endpoint.
 */

let t: TestApp;
let base: string;
let camden: number;
let support: Principal;
let admin: Principal;
let receiver: Awaited<ReturnType<typeof startLogoutReceiver>>;
/** An application with a back-channel logout address, and one without. */
const listening = { clientId: '', rp: undefined as unknown as client.Configuration };
const silent = { clientId: '', rp: undefined as unknown as client.Configuration };
let bystander: SignedIn;
let people = 0;

interface SignedIn {
  account: FixtureAccount;
  browser: FormClient;
  atListening: client.TokenEndpointResponse & client.TokenEndpointResponseHelpers;
  atSilent: client.TokenEndpointResponse & client.TokenEndpointResponseHelpers;
}

beforeAll(async () => {
  t = await createTestApp({ env: { OIDC_KEY_PROPAGATION_SECONDS: '0' } });
  base = t.config.baseUrl;
  const db = t.handle.db;
  const fixtures = await supportAndCamdenAdmin(db, t.config.secretKey);
  camden = fixtures.camden;
  support = (await loadPrincipal(db, fixtures.support.id))!;
  admin = (await loadPrincipal(db, fixtures.admin.id))!;
  receiver = await startLogoutReceiver();
  for (const [app, name, backchannelLogoutUri] of [
    [listening, 'Pupil reports', receiver.url],
    [silent, 'Attendance', undefined],
  ] as const) {
    const registered = await t.services.applications.register(
      support.actor,
      { name, redirectUris: [REDIRECT_URI], backchannelLogoutUri },
      SYSTEM_CONTEXT,
    );
    app.clientId = registered.application.clientId;
    app.rp = await relyingParty(t.app, base, app.clientId, registered.clientSecret);
  }
  bystander = await signedInToBoth(await person());
});
afterAll(async () => {
  await receiver.close();
  await t.close();
});

function person(): Promise<FixtureAccount> {
  people += 1;
  return createAccount(t.handle.db, t.config.secretKey, {
    organisationId: camden,
    username: `person.${people}`,
    userType: 'la_officer',
  });
}

/** Signs the account in to Nexus, then to both applications in the same browser (one provider session). */
async function signedInToBoth(account: FixtureAccount): Promise<SignedIn> {
  const browser = await signInAs(t, account);
  const tokensAt = async (rp: client.Configuration) => {
    const a = await authorise(browser, rp, base);
    expect(a.location.startsWith(`${REDIRECT_URI}?`)).toBe(true);
    return exchange(rp, a);
  };
  return { account, browser, atListening: await tokensAt(listening.rp), atSilent: await tokensAt(silent.rp) };
}

const deliver = () => deliverDueLogouts(t.handle.db, t.clock, () => t.app.oidc.provider());

async function keySet() {
  const response = await t.app.inject({ url: '/oidc/jwks', headers: { host: new URL(base).host } });
  return createLocalJWKSet(response.json<JSONWebKeySet>());
}

/** The logout tokens the application has accepted for this account, verified as an application would. */
async function logoutTokensFor(account: FixtureAccount) {
  const jwks = await keySet();
  const tokens = [];
  for (const r of receiver.received.filter((x) => x.status === 200)) {
    expect(r.contentType).toBe('application/x-www-form-urlencoded');
    const { payload, protectedHeader } = await jwtVerify(r.token!, jwks, {
      issuer: `${base}/oidc`,
      audience: listening.clientId,
      typ: 'logout+jwt',
      algorithms: ['ES256'],
    });
    expect(protectedHeader.alg).toBe('ES256');
    if (payload.sub === account.id) tokens.push(payload);
  }
  return tokens;
}

async function expectRefused(refreshToken: string | undefined, rp: client.Configuration) {
  expect(refreshToken).toBeTypeOf('string');
  await expect(client.refreshTokenGrant(rp, refreshToken!)).rejects.toMatchObject({ error: 'invalid_grant' });
}

async function providerRowsNaming(accountId: string): Promise<number> {
  const rows = await t.handle.db
    .selectFrom('oidc_state')
    .select('id')
    .where((eb) => eb.or([eb('account_id', '=', accountId), eb(eb.cast('payload', 'text'), 'like', `%${accountId}%`)]))
    .execute();
  return rows.length;
}

const triggers: [string, (s: SignedIn) => Promise<unknown>][] = [
  [
    'an administrator archives the account',
    (s) => t.services.userStatus.archive(admin.actor, s.account.id, SYSTEM_CONTEXT),
  ],
  [
    'the lifecycle job archives it (its access end date)',
    async (s) => {
      const today = t.clock.now().toISOString().slice(0, 10);
      await t.handle.db
        .updateTable('accounts')
        .set({ access_end_date: today, lifecycle_due_at: t.clock.now() })
        .where('id', '=', s.account.id)
        .execute();
      await t.services.lifecycle.run({ now: t.clock.now() });
      const row = await t.handle.db
        .selectFrom('accounts')
        .select('status')
        .where('id', '=', s.account.id)
        .executeTakeFirstOrThrow();
      expect(row.status).toBe('archived');
    },
  ],
  ['central support deletes it', (s) => t.services.userStatus.delete(support.actor, s.account.id, SYSTEM_CONTEXT)],
  [
    'an administrator resets its two-factor authentication',
    (s) => t.services.userStatus.resetTwoFactor(admin.actor, s.account.id, SYSTEM_CONTEXT),
  ],
  [
    'the person changes their password',
    async (s) => {
      const self = (await loadPrincipal(t.handle.db, s.account.id))!;
      await t.services.passwords.changePassword(
        self.actor,
        {
          currentPassword: TEST_PASSWORD,
          password: 'a quite different passphrase 42',
          confirmPassword: 'a quite different passphrase 42',
        },
        SYSTEM_CONTEXT,
      );
    },
  ],
  [
    'the person signs out of Nexus',
    async (s) => {
      await s.browser.get('/');
      expect((await s.browser.post('/sign-out', {})).statusCode).toBe(303);
    },
  ],
];

describe('ending access sends one back-channel logout to each application with a session', () => {
  it.each(triggers)('%s', async (_name, trigger) => {
    const s = await signedInToBoth(await person());
    const sid = s.atListening.claims()!.sid;
    expect(sid).toBeTypeOf('string');

    await trigger(s);
    // Nothing is sent in the change's own transaction: the outbox row waits for the delivery.
    expect(await logoutTokensFor(s.account)).toEqual([]);
    // Refused at once, at both applications, before any logout is delivered.
    await expectRefused(s.atListening.refresh_token, listening.rp);
    await expectRefused(s.atSilent.refresh_token, silent.rp);
    expect(await providerRowsNaming(s.account.id)).toBe(0);

    expect(await deliver()).toBe(1);
    const [token, ...more] = await logoutTokensFor(s.account);
    expect(more).toEqual([]);
    expect(token).toMatchObject({
      sub: s.account.id,
      sid,
      aud: listening.clientId,
      events: { 'http://schemas.openid.net/event/backchannel-logout': {} },
    });
    expect(token).not.toHaveProperty('nonce');
    expect(token!.jti).toBeTypeOf('string');
    expect(token!.exp! > token!.iat!).toBe(true);

    // Once: another pass sends nothing, and ending the same access again queues nothing.
    expect(await deliver()).toBe(0);
    expect(await endProviderSessions(t.handle.db, s.account.id, t.clock.now())).toBe(0);
    expect(await logoutTokensFor(s.account)).toHaveLength(1);
  });
});

describe('delivery', () => {
  it('retries an application that answered 500, with backoff, and delivers exactly once', async () => {
    const s = await signedInToBoth(await person());
    await t.services.userStatus.archive(admin.actor, s.account.id, SYSTEM_CONTEXT);
    receiver.failNext(1);
    const before = receiver.received.length;

    expect(await deliver()).toBe(0);
    expect(receiver.received.slice(before).map((r) => r.status)).toEqual([500]);
    const row = await t.handle.db
      .selectFrom('oidc_logout_outbox')
      .selectAll()
      .where('account_id', '=', s.account.id)
      .executeTakeFirstOrThrow();
    expect(row).toMatchObject({ status: 'pending', attempts: 1, client_id: listening.clientId });
    expect(row.last_error).toContain('500');
    // Not again until the backoff has passed.
    expect(await deliver()).toBe(0);
    t.clock.advance(31_000);
    expect(await deliver()).toBe(1);
    expect(await deliver()).toBe(0);
    expect(receiver.received.slice(before).map((r) => r.status)).toEqual([500, 200]);
    expect(await logoutTokensFor(s.account)).toHaveLength(1);
  });

  it('is sent by the delivery loop the server and each worker run, within moments', async () => {
    const s = await signedInToBoth(await person());
    const errors: string[] = [];
    const stop = startLogoutDelivery(
      t.handle.db,
      t.clock,
      () => t.app.oidc.provider(),
      { error: (m) => errors.push(m) },
      20,
    );
    try {
      await t.services.userStatus.archive(admin.actor, s.account.id, SYSTEM_CONTEXT);
      for (let waited = 0; waited < 5000 && (await logoutTokensFor(s.account)).length === 0; waited += 20)
        await new Promise((resolve) => setTimeout(resolve, 20));
    } finally {
      await stop();
    }
    expect(await logoutTokensFor(s.account)).toHaveLength(1);
    expect(errors).toEqual([]);
  });

  it('gives up after the last attempt, and audits it', async () => {
    const s = await signedInToBoth(await person());
    await t.services.userStatus.archive(admin.actor, s.account.id, SYSTEM_CONTEXT);
    receiver.failNext(2);
    const before = receiver.received.length;
    const twoAttempts = { maxAttempts: 2, leaseSeconds: 60, batchSize: 20 };
    const provider = () => t.app.oidc.provider();
    expect(await deliverDueLogouts(t.handle.db, t.clock, provider, twoAttempts)).toBe(0);
    t.clock.advance(31_000);
    expect(await deliverDueLogouts(t.handle.db, t.clock, provider, twoAttempts)).toBe(0);
    t.clock.advance(3_600_000);
    expect(await deliverDueLogouts(t.handle.db, t.clock, provider, twoAttempts)).toBe(0);
    expect(receiver.received.slice(before).map((r) => r.status)).toEqual([500, 500]);
    const row = await t.handle.db
      .selectFrom('oidc_logout_outbox')
      .selectAll()
      .where('account_id', '=', s.account.id)
      .executeTakeFirstOrThrow();
    expect(row).toMatchObject({ status: 'failed', attempts: 2 });
    const events = await t.handle.db
      .selectFrom('audit_events')
      .select(['details', 'subject_account_id'])
      .where('action', '=', 'application.backchannel-logout-failed')
      .execute();
    expect(events).toHaveLength(1);
    expect(events[0]!.details).toMatchObject({ clientId: listening.clientId, attempts: 2 });
    expect(events[0]!.subject_account_id).toBeNull();
  });

  it('sends one logout per provider session: two browsers, two sids', async () => {
    const account = await person();
    const first = await signedInToBoth(account);
    const second = await signedInToBoth(account);
    await t.services.userStatus.archive(admin.actor, account.id, SYSTEM_CONTEXT);
    expect(await deliver()).toBe(2);
    const sids = (await logoutTokensFor(account)).map((p) => p.sid).sort();
    expect(sids).toEqual([first.atListening.claims()!.sid, second.atListening.claims()!.sid].sort());
    expect(new Set(sids).size).toBe(2);
  });

  it('leaves other accounts alone: their sessions, refresh tokens and no logout', async () => {
    expect(await logoutTokensFor(bystander.account)).toEqual([]);
    const refreshed = await client.refreshTokenGrant(listening.rp, bystander.atListening.refresh_token!);
    expect(refreshed.claims()!.sub).toBe(bystander.account.id);
    // The application without a sign-out address was never sent anything: every token was for the other.
    for (const r of receiver.received) expect(r.token).toBeTypeOf('string');
    expect(
      await t.handle.db
        .selectFrom('oidc_logout_outbox')
        .select('id')
        .where('client_id', '=', silent.clientId)
        .execute(),
    ).toEqual([]);
  });
});

describe('RP-initiated logout (openid-client buildEndSessionUrl)', () => {
  it('asks, ends the provider session and its grants, tells the other application and signs out of Nexus', async () => {
    const s = await signedInToBoth(await person());
    const url = client.buildEndSessionUrl(silent.rp, { id_token_hint: s.atSilent.id_token! });
    const question = await s.browser.get(pathOf(url.href, base)!);
    expect(question.statusCode).toBe(200);
    expect(question.body).toContain('Do you want to sign out of Attendance?');
    const xsrf = /name="xsrf" value="([^"]+)"/.exec(question.body)?.[1];
    expect(xsrf).toBeTypeOf('string');
    const action = /<form[^>]*id="op.logoutForm"[^>]*action="([^"]+)"/.exec(question.body)?.[1];
    const answered = await s.browser.post(pathOf(action!, base)!, { xsrf: xsrf!, logout: 'yes' });
    expect(answered.statusCode).toBe(303);
    const done = await s.browser.get(pathOf(answered.headers.location as string, base)!);
    expect(done.statusCode).toBe(200);
    expect(done.body).toContain('You have signed out');

    await expectRefused(s.atSilent.refresh_token, silent.rp);
    await expectRefused(s.atListening.refresh_token, listening.rp);
    // The library itself tells the application with a sign-out address, at once; nothing more is queued.
    expect(await deliver()).toBe(0);
    const [token, ...more] = await logoutTokensFor(s.account);
    expect(token).toMatchObject({ sub: s.account.id, sid: s.atListening.claims()!.sid });
    expect(more).toEqual([]);
    // And of Nexus: the next sign-in anywhere asks for the password again.
    const home = await s.browser.get('/');
    expect(home.statusCode).toBe(302);
    expect(home.headers.location).toMatch(/^\/sign-in/);
    const again = await authorise(s.browser, listening.rp, base);
    expect(new URL(again.location, base).pathname).toBe('/sign-in');
  });

  it('"No, stay signed in" ends only that application\'s session', async () => {
    const s = await signedInToBoth(await person());
    const url = client.buildEndSessionUrl(silent.rp, { id_token_hint: s.atSilent.id_token! });
    const question = await s.browser.get(pathOf(url.href, base)!);
    const xsrf = /name="xsrf" value="([^"]+)"/.exec(question.body)![1]!;
    const action = /<form[^>]*id="op.logoutForm"[^>]*action="([^"]+)"/.exec(question.body)![1]!;
    expect((await s.browser.post(pathOf(action, base)!, { xsrf })).statusCode).toBe(303);
    await expectRefused(s.atSilent.refresh_token, silent.rp);
    const refreshed = await client.refreshTokenGrant(listening.rp, s.atListening.refresh_token!);
    expect(refreshed.claims()!.sub).toBe(s.account.id);
    expect(await logoutTokensFor(s.account)).toEqual([]);
    expect((await s.browser.get('/')).statusCode).toBe(200);
  });

  it("a page elsewhere cannot sign a person out: the library's own logout=yes, for a browser with no provider session, leaves Nexus alone", async () => {
    const s = await signedInToBoth(await person());
    // The same person in a second browser, signed in to Nexus but to no application there.
    const other = await signInAs(t, s.account);
    const url = client.buildEndSessionUrl(silent.rp, { client_id: silent.clientId });
    const page = await other.get(pathOf(url.href, base)!);
    expect(page.statusCode).toBe(200);
    // No question: the library's page submits logout=yes by itself (as a link from any site would make it).
    expect(page.body).not.toContain('Do you want to sign out');
    const xsrf = /name="xsrf" value="([^"]+)"/.exec(page.body)![1]!;
    const action = /<form method="post" action="([^"]+)"/.exec(page.body)![1]!;
    expect((await other.post(pathOf(action, base)!, { xsrf, logout: 'yes' })).statusCode).toBe(303);
    // Still signed in to Nexus, in both browsers, and to the applications of the first.
    expect((await other.get('/')).statusCode).toBe(200);
    expect((await s.browser.get('/')).statusCode).toBe(200);
    const refreshed = await client.refreshTokenGrant(listening.rp, s.atListening.refresh_token!);
    expect(refreshed.claims()!.sub).toBe(s.account.id);
    expect(await deliver()).toBe(0);
    expect(await logoutTokensFor(s.account)).toEqual([]);
  });

  it('a logout the application did not take at once is retried through the logout outbox', async () => {
    const s = await signedInToBoth(await person());
    const before = receiver.received.length;
    receiver.failNext(1);
    const url = client.buildEndSessionUrl(silent.rp, { id_token_hint: s.atSilent.id_token! });
    const question = await s.browser.get(pathOf(url.href, base)!);
    const xsrf = /name="xsrf" value="([^"]+)"/.exec(question.body)![1]!;
    const action = /<form[^>]*id="op.logoutForm"[^>]*action="([^"]+)"/.exec(question.body)![1]!;
    expect((await s.browser.post(pathOf(action, base)!, { xsrf, logout: 'yes' })).statusCode).toBe(303);
    expect(receiver.received.slice(before).map((r) => r.status)).toEqual([500]);
    // Queued by the provider's error event, which the answer does not wait for.
    await vi.waitFor(async () => {
      const queued = await t.handle.db
        .selectFrom('oidc_logout_outbox')
        .selectAll()
        .where('account_id', '=', s.account.id)
        .execute();
      expect(queued).toMatchObject([
        { status: 'pending', client_id: listening.clientId, sid: s.atListening.claims()!.sid },
      ]);
    });
    expect(await deliver()).toBe(1);
    expect(receiver.received.slice(before).map((r) => r.status)).toEqual([500, 200]);
    const [token, ...more] = await logoutTokensFor(s.account);
    expect(token).toMatchObject({ sub: s.account.id, sid: s.atListening.claims()!.sid });
    expect(more).toEqual([]);
  });
});

describe('housekeeping', () => {
  it('forgets logouts a month after they were sent or given up, and keeps those still pending', async () => {
    const s = await signedInToBoth(await person());
    await t.services.userStatus.archive(admin.actor, s.account.id, SYSTEM_CONTEXT);
    const count = async (status: 'pending' | 'sent' | 'failed') =>
      (await t.handle.db.selectFrom('oidc_logout_outbox').select('id').where('status', '=', status).execute()).length;
    const finished = (await count('sent')) + (await count('failed'));
    expect(finished).toBeGreaterThan(0);
    expect(await count('pending')).toBe(1);
    t.clock.advance(31 * 86_400_000);
    await t.services.oidcState.purgeExpired();
    expect((await count('sent')) + (await count('failed'))).toBe(0);
    expect(await count('pending')).toBe(1);
  });
});
