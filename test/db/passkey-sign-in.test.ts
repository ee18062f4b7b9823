import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FormClient } from '../support/browser.ts';
import { createAccount, createOrganisation, type FixtureAccount } from '../support/fixtures.ts';
import { signInAs } from '../support/sign-in.ts';
import {
  pageOptions,
  SoftwareAuthenticator,
  type CreationOptions,
  type RequestOptions,
} from '../support/software-authenticator.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';

/**
 * Signing in with a passkey alone (R65, issue 15 item 5), where the LA allows it: the LA's
 * administrators turn it on, the sign-in page offers it, and a passkey's answer signs the person
 * in without username, password or code — once per page, within its five minutes, only for an
 * LA that allows it, never for an archived account, and not where the LA requires its own
 * provider (except the break-glass accounts). A software authenticator stands in for the browser's.
 */

let t: TestApp;
let camden: number;
let islington: number;
let admin: FixtureAccount;
let nextIp = 1;
const freshIp = () => `10.9.${Math.floor(nextIp / 250)}.${(nextIp++ % 250) + 1}`;
const ORIGIN = 'http://localhost:3000';

beforeAll(async () => {
  t = await createTestApp();
  camden = await createOrganisation(t.handle.db, '202', 'Camden');
  islington = await createOrganisation(t.handle.db, '206', 'Islington');
  admin = await createAccount(t.handle.db, t.config.secretKey, {
    organisationId: camden,
    username: 'alice.admin',
    userType: 'la_admin',
    firstName: 'Alice',
    lastName: 'Adeyemi',
  });
});
afterAll(async () => t?.close());

/** A new throttling window: each test (and each refusal of the many-refusals test) counts its own failures. */
const newWindow = () =>
  t.clock.advance((Math.max(t.config.throttle.windowMinutes, t.config.throttle.lockMinutes) + 1) * 60_000);
beforeEach(newWindow);

let counter = 0;
async function personWithPasskey(organisationId = camden) {
  counter += 1;
  const person = await createAccount(t.handle.db, t.config.secretKey, {
    organisationId,
    username: `pia.person${counter}`,
    firstName: 'Pia',
    lastName: `Person${counter}`,
  });
  const authenticator = new SoftwareAuthenticator(ORIGIN);
  const client = await signInAs(t, person, { ip: freshIp() });
  const page = await client.get('/my-account/passkeys');
  const { response } = authenticator.create(pageOptions<CreationOptions>(page.body));
  expect(
    (await client.post('/my-account/passkeys', { name: 'Phone', response: JSON.stringify(response) })).statusCode,
  ).toBe(303);
  await client.post('/sign-out', {});
  return { person, authenticator };
}

const setAllowed = (organisationId: number, allowed: boolean) =>
  t.handle.db.updateTable('organisations').set({ passkey_sign_in: allowed }).where('id', '=', organisationId).execute();

/** The sign-in page's passkey offer: the browser's options and the sealed challenge the form carries. */
async function offer(client: FormClient) {
  const page = await client.get('/sign-in');
  expect(page.statusCode).toBe(200);
  const sealed = /name="challenge" value="([^"]+)"/.exec(page.body)?.[1];
  return { page, options: pageOptions<RequestOptions>(page.body), sealed: sealed! };
}

const eventsOf = (accountId: string, action: string) =>
  t.handle.db
    .selectFrom('audit_events')
    .selectAll()
    .where('subject_account_id', '=', accountId)
    .where('action', '=', action)
    .orderBy('occurred_at')
    .execute();

const sessionsOf = (accountId: string) =>
  t.handle.db.selectFrom('sessions').select(['stage']).where('account_id', '=', accountId).execute();

describe('the LA’s choice', () => {
  it('is off until an administrator turns it on; saved once, audited, and said on the page', async () => {
    await setAllowed(camden, false);
    await setAllowed(islington, false);
    const anonymous = new FormClient(t.app, { ip: freshIp() });
    const before = await anonymous.get('/sign-in');
    expect(before.body).not.toContain('Or sign in with a passkey');
    expect(before.body).not.toContain('/assets/passkeys.mjs');

    const client = await signInAs(t, admin, { ip: freshIp() });
    const settings = await client.get('/admin/sign-in-settings');
    expect(settings.body).toContain('Can staff sign in with a passkey alone?');
    expect(settings.body).toMatch(/value="no" checked/);

    const on = await client.post('/admin/sign-in-settings/passkeys', { passkeySignIn: 'yes' });
    expect(on.statusCode).toBe(303);
    expect(on.headers.location).toBe('/admin/sign-in-settings#passkeys');
    const after = await client.get('/admin/sign-in-settings');
    expect(after.body).toContain('Staff can now sign in with a passkey alone.');
    expect(after.body).toMatch(/value="yes" checked/);
    const again = await client.post('/admin/sign-in-settings/passkeys', { passkeySignIn: 'yes' });
    expect(again.statusCode).toBe(303);
    expect((await client.get('/admin/sign-in-settings')).body).toContain('Nothing was changed.');

    const events = await t.handle.db
      .selectFrom('audit_events')
      .selectAll()
      .where('action', '=', 'passkey-sign-in.changed')
      .where('organisation_id', '=', camden)
      .execute();
    expect(events.map((e) => [e.actor_account_id, e.details])).toEqual([[admin.id, { allowed: true }]]);

    // Anything but yes or no is refused and changes nothing.
    for (const junk of ['', 'maybe', 'yes\u0000', '<b>yes</b>', "yes' OR 1=1 --"]) {
      const refused = await client.post('/admin/sign-in-settings/passkeys', { passkeySignIn: junk });
      expect(refused.statusCode).toBe(400);
      expect(refused.body).toContain('Select whether staff may sign in with a passkey alone');
    }
    const row = await t.handle.db
      .selectFrom('organisations')
      .select('passkey_sign_in')
      .where('id', '=', camden)
      .executeTakeFirstOrThrow();
    expect(row.passkey_sign_in).toBe(true);

    // Another LA's setting is not this administrator's to change.
    const other = await client.post('/admin/sign-in-settings/passkeys?la=206', { passkeySignIn: 'yes' });
    expect(other.statusCode).toBe(404);
    const islingtonRow = await t.handle.db
      .selectFrom('organisations')
      .select('passkey_sign_in')
      .where('id', '=', islington)
      .executeTakeFirstOrThrow();
    expect(islingtonRow.passkey_sign_in).toBe(false);

    const page = await anonymous.get('/sign-in');
    expect(page.body).toContain('Or sign in with a passkey');
    expect(page.body).toContain('Signing in with a passkey needs JavaScript');
    expect(page.body).toContain('<script type="module" src="/assets/passkeys.mjs"></script>');
  });
});

describe('signing in with a passkey alone', () => {
  beforeAll(async () => setAllowed(camden, true));

  it('signs the person in at once: no username, password or code; the session is full, audited, the sign-in recorded', async () => {
    const { person, authenticator } = await personWithPasskey();
    const client = new FormClient(t.app, { ip: freshIp() });
    const { options, sealed } = await offer(client);
    // No credentials listed: the browser offers the passkeys it holds for the site.
    expect(options.allowCredentials ?? []).toEqual([]);
    expect(options).toMatchObject({ rpId: 'localhost', userVerification: 'required' });
    const before = new Date(t.clock.now());

    const done = await client.post('/sign-in/passkey', {
      challenge: sealed,
      response: JSON.stringify(authenticator.get(options)),
      returnTo: '/my-account',
    });
    expect(done.statusCode).toBe(303);
    expect(done.headers.location).toBe('/my-account');
    const home = await client.get('/my-account');
    expect(home.statusCode).toBe(200);
    expect(home.body).toContain(person.username);
    expect(await sessionsOf(person.id)).toEqual([{ stage: 'signed_in' }]);

    const [event] = await eventsOf(person.id, 'sign-in.succeeded').then((events) => events.slice(-1));
    expect(event).toMatchObject({ actor_account_id: person.id, details: { passkey: 'Phone', passwordless: true } });
    const account = await t.handle.db
      .selectFrom('accounts')
      .select('last_sign_in_at')
      .where('id', '=', person.id)
      .executeTakeFirstOrThrow();
    expect(account.last_sign_in_at!.getTime()).toBeGreaterThanOrEqual(before.getTime());
    const passkey = await t.handle.db
      .selectFrom('passkeys')
      .selectAll()
      .where('account_id', '=', person.id)
      .executeTakeFirstOrThrow();
    expect(Number(passkey.counter)).toBe(1);
    expect(passkey.last_used_at).not.toBeNull();
  });

  it('takes an answer once: the same answer, or a new answer to the same page, is refused', async () => {
    const { person, authenticator } = await personWithPasskey();
    const client = new FormClient(t.app, { ip: freshIp() });
    const { options, sealed } = await offer(client);
    const answer = JSON.stringify(authenticator.get(options));
    expect((await client.post('/sign-in/passkey', { challenge: sealed, response: answer })).statusCode).toBe(303);
    await client.post('/sign-out', {});

    const thief = new FormClient(t.app, { ip: freshIp() });
    await thief.get('/sign-in');
    const replayed = await thief.post('/sign-in/passkey', { challenge: sealed, response: answer });
    expect(replayed.statusCode).toBe(401);
    expect(replayed.body).toContain('Your passkey could not be used to sign in');
    const again = await thief.post('/sign-in/passkey', {
      challenge: sealed,
      response: JSON.stringify(authenticator.get(options)),
    });
    expect(again.statusCode).toBe(401);
    expect(await sessionsOf(person.id)).toEqual([]);
    const failures = await eventsOf(person.id, 'sign-in.failed');
    expect(failures.map((e) => (e.details as { reason: string }).reason)).toEqual([
      'passkey-challenge-reused',
      'passkey-challenge-reused',
    ]);
  });

  it('refuses an expired page, a forged or altered challenge, another site, no user verification, no answer, and junk', async () => {
    const { person, authenticator } = await personWithPasskey();
    const client = new FormClient(t.app, { ip: freshIp() });
    const post = (form: Record<string, string>) => client.post('/sign-in/passkey', form);
    const offerAfresh = () => {
      newWindow();
      return offer(client);
    };

    const late = await offer(client);
    t.clock.advance(5 * 60_000 + 1000);
    let refused = await post({ challenge: late.sealed, response: JSON.stringify(authenticator.get(late.options)) });
    expect(refused.statusCode).toBe(401);

    let fresh = await offerAfresh();
    const forged = ['', 'v1.AAAA.BBBB.CCCC', fresh.sealed.slice(0, -4) + 'AAAA', 'x'.repeat(2000)];
    for (const challenge of forged) {
      newWindow();
      refused = await post({ challenge, response: JSON.stringify(authenticator.get(fresh.options)) });
      expect(refused.statusCode).toBe(401);
    }
    for (const response of [
      authenticator.get(fresh.options, { origin: 'https://nexus.example.net' }),
      authenticator.get(fresh.options, { challenge: 'bm90LXRoZS1jaGFsbGVuZ2U' }),
    ]) {
      fresh = await offerAfresh();
      refused = await post({ challenge: fresh.sealed, response: JSON.stringify(response) });
      expect(refused.statusCode).toBe(401);
    }
    fresh = await offerAfresh();
    const unverified = new SoftwareAuthenticator(ORIGIN, false);
    unverified.passkeys.push(...authenticator.passkeys);
    refused = await post({ challenge: fresh.sealed, response: JSON.stringify(unverified.get(fresh.options)) });
    expect(refused.statusCode).toBe(401);

    refused = await post({ challenge: fresh.sealed, response: '' });
    expect(refused.statusCode).toBe(400);
    expect(refused.body).toContain('Signing in with a passkey needs JavaScript');
    for (const junk of ['{', '[]', '{"id":"x"}', 'null', '\u0000', '<script>alert(1)</script>']) {
      fresh = await offerAfresh();
      refused = await post({ challenge: fresh.sealed, response: junk });
      expect(refused.statusCode).toBe(401);
      expect(refused.body).not.toContain('<script>alert(1)</script>');
    }
    expect(await sessionsOf(person.id)).toEqual([]);
    expect(await eventsOf(person.id, 'sign-in.succeeded')).toHaveLength(1); // adding the passkey's own sign-in
  });

  it('refuses the staff of an LA that does not allow it, saying so, and signs nobody in', async () => {
    await setAllowed(islington, false);
    const { person, authenticator } = await personWithPasskey(islington);
    const client = new FormClient(t.app, { ip: freshIp() });
    const { options, sealed } = await offer(client);
    const refused = await client.post('/sign-in/passkey', {
      challenge: sealed,
      response: JSON.stringify(authenticator.get(options)),
    });
    expect(refused.statusCode).toBe(401);
    expect(refused.body).toContain('Your Local Authority has not turned on signing in with a passkey alone');
    expect(await sessionsOf(person.id)).toEqual([]);
    const [failure] = await eventsOf(person.id, 'sign-in.failed');
    expect(failure!.details).toMatchObject({ reason: 'passkey-sign-in-not-allowed' });
  });

  it('tells the holder of an archived account so, and raises the security alert (R52)', async () => {
    const { person, authenticator } = await personWithPasskey();
    await t.handle.db
      .updateTable('accounts')
      .set({ status: 'archived', archived_at: t.clock.now(), archive_reason: 'manual' })
      .where('id', '=', person.id)
      .execute();
    const client = new FormClient(t.app, { ip: freshIp() });
    const { options, sealed } = await offer(client);
    const refused = await client.post('/sign-in/passkey', {
      challenge: sealed,
      response: JSON.stringify(authenticator.get(options)),
    });
    expect(refused.statusCode).toBe(403);
    expect(refused.body).toContain('Your account has been archived');
    expect(refused.body).toContain('Alice Adeyemi');
    expect(await sessionsOf(person.id)).toEqual([]);
    const [alert] = await eventsOf(person.id, 'sign-in.archived-account');
    expect(alert!.details).toMatchObject({ passkey: true });
  });

  it('where the LA requires its own provider, refuses everyone but the break-glass accounts', async () => {
    const { person, authenticator } = await personWithPasskey();
    const glass = await personWithPasskey();
    await t.handle.db
      .insertInto('la_identity_providers')
      .values({
        organisation_id: camden,
        issuer: 'https://login.example.net/camden/v2.0',
        client_id: 'nexus',
        client_secret_sealed: 'sealed',
        enabled: true,
        required: true,
        created_at: t.clock.now(),
        updated_at: t.clock.now(),
      })
      .execute();
    await t.handle.db
      .insertInto('la_identity_provider_break_glass')
      .values({ organisation_id: camden, account_id: glass.person.id })
      .execute();
    try {
      const client = new FormClient(t.app, { ip: freshIp() });
      let { options, sealed } = await offer(client);
      const refused = await client.post('/sign-in/passkey', {
        challenge: sealed,
        response: JSON.stringify(authenticator.get(options)),
      });
      expect(refused.statusCode).toBe(401);
      expect(refused.body).toContain('Your Local Authority asks its staff to sign in with their LA account');
      expect(await sessionsOf(person.id)).toEqual([]);

      ({ options, sealed } = await offer(client));
      const allowed = await client.post('/sign-in/passkey', {
        challenge: sealed,
        response: JSON.stringify(glass.authenticator.get(options)),
      });
      expect(allowed.statusCode).toBe(303);
      expect(await sessionsOf(glass.person.id)).toEqual([{ stage: 'signed_in' }]);
    } finally {
      await t.handle.db.deleteFrom('la_identity_providers').where('organisation_id', '=', camden).execute();
    }
  });

  it('is throttled like a password: after too many refusals the account is locked out for a while', async () => {
    const { person, authenticator } = await personWithPasskey();
    const client = new FormClient(t.app, { ip: freshIp() });
    let last = 0;
    for (let i = 0; i <= t.config.throttle.accountLimit; i += 1) {
      const { options } = await offer(client);
      const response = await client.post('/sign-in/passkey', {
        challenge: 'forged',
        response: JSON.stringify(authenticator.get(options)),
      });
      last = response.statusCode;
    }
    expect(last).toBe(429);
    const { options, sealed } = await offer(client);
    const locked = await client.post('/sign-in/passkey', {
      challenge: sealed,
      response: JSON.stringify(authenticator.get(options)),
    });
    expect(locked.statusCode).toBe(429);
    expect(await sessionsOf(person.id)).toEqual([]);
  });
});
