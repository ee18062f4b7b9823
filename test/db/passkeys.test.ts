import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FormClient } from '../support/browser.ts';
import { createAccount, createOrganisation, TEST_PASSWORD, type FixtureAccount } from '../support/fixtures.ts';
import { signInAs } from '../support/sign-in.ts';
import {
  pageOptions,
  SoftwareAuthenticator,
  type CreationOptions,
  type RequestOptions,
} from '../support/software-authenticator.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';

/**
 * Passkeys (R65, issue 15 item 5) through the real routes, with a software authenticator
 * (node:crypto ES256, 'none' attestation) standing in for the browser's: adding one on My account,
 * using one instead of the TOTP code at sign-in, removing one, and a two-factor reset removing all.
 */

let t: TestApp;
let la: number;
let admin: FixtureAccount;
let nextIp = 1;
const freshIp = () => `10.7.${Math.floor(nextIp / 250)}.${(nextIp++ % 250) + 1}`;
const ORIGIN = 'http://localhost:3000';

beforeAll(async () => {
  t = await createTestApp();
  la = await createOrganisation(t.handle.db, '202', 'Camden');
  admin = await createAccount(t.handle.db, t.config.secretKey, {
    organisationId: la,
    username: 'alice.admin',
    userType: 'la_admin',
    firstName: 'Alice',
    lastName: 'Adeyemi',
  });
});
afterAll(async () => t?.close());

let counter = 0;
async function newPerson(): Promise<FixtureAccount> {
  counter += 1;
  return createAccount(t.handle.db, t.config.secretKey, {
    organisationId: la,
    username: `pat.person${counter}`,
    firstName: 'Pat',
    lastName: `Person${counter}`,
  });
}

const passkeysOf = (accountId: string) =>
  t.handle.db.selectFrom('passkeys').selectAll().where('account_id', '=', accountId).orderBy('created_at').execute();
const eventsOf = (accountId: string, action: string) =>
  t.handle.db
    .selectFrom('audit_events')
    .selectAll()
    .where('subject_account_id', '=', accountId)
    .where('action', '=', action)
    .orderBy('occurred_at')
    .execute();
const emailsOf = (accountId: string, template: string) =>
  t.handle.db
    .selectFrom('email_outbox')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('template', '=', template)
    .execute();

/** Signs in (password and TOTP) and adds a passkey named `name` through My account. */
async function withPasskey(person: FixtureAccount, authenticator: SoftwareAuthenticator, name = 'Work laptop') {
  const client = await signInAs(t, person, { ip: freshIp() });
  const page = await client.get('/my-account/passkeys');
  const { response } = authenticator.create(pageOptions<CreationOptions>(page.body));
  const added = await client.post('/my-account/passkeys', { name, response: JSON.stringify(response) });
  expect(added.statusCode).toBe(303);
  return client;
}

/** Password accepted: the client is on the two-factor step (in a new throttling window: tests count their own failures). */
async function atTwoFactor(person: FixtureAccount): Promise<FormClient> {
  t.clock.advance((Math.max(t.config.throttle.windowMinutes, t.config.throttle.lockMinutes) + 1) * 60_000);
  const client = new FormClient(t.app, { ip: freshIp() });
  await client.get('/sign-in');
  const step = await client.post('/sign-in', { username: person.username, password: TEST_PASSWORD });
  expect(step.headers.location).toBe('/sign-in/two-factor');
  return client;
}

beforeEach(() => {
  t.clock.advance(60_000);
});

describe('adding a passkey on My account', () => {
  it('registers a resident, user-verified ES256 passkey with its name; listed, audited and emailed', async () => {
    const person = await newPerson();
    const client = await signInAs(t, person, { ip: freshIp() });
    const page = await client.get('/my-account/passkeys');
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('You have not added a passkey.');
    // Without JavaScript the page says so; the form is there for the script to show.
    expect(page.body).toContain('Adding a passkey needs JavaScript');
    const options = pageOptions<CreationOptions & { rp: { id: string } }>(page.body);
    expect(options.rp.id).toBe('localhost');
    expect(options.authenticatorSelection).toMatchObject({ residentKey: 'required', userVerification: 'required' });

    const authenticator = new SoftwareAuthenticator(ORIGIN);
    const { response } = authenticator.create(options);
    const added = await client.post('/my-account/passkeys', {
      name: '  Work   laptop ',
      response: JSON.stringify(response),
    });
    expect(added.statusCode).toBe(303);
    expect(added.headers.location).toBe('/my-account/passkeys');

    const [stored, ...others] = await passkeysOf(person.id);
    expect(others).toEqual([]);
    expect(stored).toMatchObject({ name: 'Work laptop', credential_id: response.id, last_used_at: null });
    expect(Number(stored!.counter)).toBe(0);
    const list = await client.get('/my-account/passkeys');
    expect(list.body).toContain('Passkey “Work laptop” added.');
    expect(list.body).toMatch(
      /<td class="govuk-table__cell">Work laptop<\/td>\s*<td class="govuk-table__cell">2 November 2026<\/td>\s*<td class="govuk-table__cell">Not used yet<\/td>/,
    );
    expect((await client.get('/my-account')).body).toContain('1 passkey');

    const [event] = await eventsOf(person.id, 'passkey.added');
    expect(event).toMatchObject({ actor_account_id: person.id, details: { name: 'Work laptop' } });
    const [email] = await emailsOf(person.id, 'passkey-added');
    expect(email!.subject).toBe('A passkey was added to your Nexus account');
    expect(email!.text_body).toContain(`The passkey “Work laptop” was added to the Nexus account ${person.username}`);
  });

  it('refuses, storing nothing: no answer (no JavaScript), no name, wrong origin, no user verification, a replay, an expired or another session’s challenge', async () => {
    const person = await newPerson();
    const client = await signInAs(t, person, { ip: freshIp() });
    const authenticator = new SoftwareAuthenticator(ORIGIN);
    const post = (form: Record<string, string>) => client.post('/my-account/passkeys', form);
    const fresh = async () => pageOptions<CreationOptions>((await client.get('/my-account/passkeys')).body);

    let refused = await post({ name: 'Laptop', response: '' });
    expect(refused.statusCode).toBe(400);
    expect(refused.body).toContain('Adding a passkey needs JavaScript');

    refused = await post({ name: '   ', response: JSON.stringify(authenticator.create(await fresh()).response) });
    expect(refused.statusCode).toBe(400);
    expect(refused.body).toContain('Enter a name for this passkey');
    refused = await post({
      name: 'x'.repeat(61),
      response: JSON.stringify(authenticator.create(await fresh()).response),
    });
    expect(refused.body).toContain('Name must be 60 characters or fewer');

    for (const response of [
      authenticator.create(await fresh(), { origin: 'https://nexus.example.net' }).response,
      authenticator.create(await fresh(), { rpId: 'example.net' }).response,
      new SoftwareAuthenticator(ORIGIN, false).create(await fresh()).response,
      authenticator.create(await fresh(), { challenge: 'bm90LXRoZS1jaGFsbGVuZ2U' }).response,
    ]) {
      refused = await post({ name: 'Laptop', response: JSON.stringify(response) });
      expect(refused.statusCode).toBe(400);
      expect(refused.body).toContain('The passkey was not added');
    }
    for (const junk of [
      '{',
      '[]',
      '{"id":"x"}',
      JSON.stringify({ id: 'a', rawId: 'a', type: 'public-key', response: 'x' }),
    ]) {
      refused = await post({ name: 'Laptop', response: junk });
      expect(refused.statusCode).toBe(400);
    }

    // Expired: the challenge lives 5 minutes.
    const late = authenticator.create(await fresh()).response;
    t.clock.advance(5 * 60_000 + 1000);
    expect((await post({ name: 'Laptop', response: JSON.stringify(late) })).statusCode).toBe(400);

    // Another session's challenge: the options came to a second sign-in of the same person.
    const other = await signInAs(t, person, { ip: freshIp() });
    const theirs = pageOptions<CreationOptions>((await other.get('/my-account/passkeys')).body);
    await client.get('/my-account/passkeys');
    expect(
      (await post({ name: 'Laptop', response: JSON.stringify(authenticator.create(theirs).response) })).statusCode,
    ).toBe(400);

    expect(await passkeysOf(person.id)).toEqual([]);
    expect(await eventsOf(person.id, 'passkey.added')).toEqual([]);

    // A good answer goes through once; posted again, the spent challenge refuses it.
    const good = JSON.stringify(authenticator.create(await fresh()).response);
    expect((await post({ name: 'Laptop', response: good })).statusCode).toBe(303);
    expect((await post({ name: 'Laptop again', response: good })).statusCode).toBe(400);
    expect((await passkeysOf(person.id)).map((p) => p.name)).toEqual(['Laptop']);
  });

  it('is for the signed-in person only: signed out, the page sends to sign in and a post adds nothing', async () => {
    const before = (await t.handle.db.selectFrom('passkeys').select('id').execute()).length;
    const anonymous = new FormClient(t.app, { ip: freshIp() });
    expect((await anonymous.get('/my-account/passkeys')).headers.location).toBe(
      '/sign-in?returnTo=%2Fmy-account%2Fpasskeys',
    );
    await anonymous.get('/sign-in');
    const refused = await anonymous.post('/my-account/passkeys', { name: 'x', response: '{}' });
    expect(refused.statusCode).toBe(302);
    expect(refused.headers.location).toBe('/sign-in');
    expect((await t.handle.db.selectFrom('passkeys').select('id').execute()).length).toBe(before);
  });
});

describe('signing in with a passkey instead of the code', () => {
  it('offers "Use a passkey" beside the code, signs in with it, records its use, and audits it', async () => {
    const person = await newPerson();
    const authenticator = new SoftwareAuthenticator(ORIGIN);
    await withPasskey(person, authenticator);
    t.clock.advance(60_000);

    const client = await atTwoFactor(person);
    const page = await client.get('/sign-in/two-factor');
    expect(page.body).toContain('name="code"');
    expect(page.body).toContain('Use a passkey');
    expect(page.body).toContain('Using a passkey needs JavaScript');
    const options = pageOptions<RequestOptions>(page.body);
    expect(options.userVerification).toBe('required');
    expect(options.allowCredentials!.map((c) => c.id)).toEqual([
      authenticator.passkeys[0]!.credentialId.toString('base64url'),
    ]);

    const done = await client.post('/sign-in/two-factor/passkey', {
      response: JSON.stringify(authenticator.get(options)),
    });
    expect(done.statusCode).toBe(303);
    expect(done.headers.location).toBe('/');
    expect((await client.get('/my-account')).statusCode).toBe(200);

    const [stored] = await passkeysOf(person.id);
    expect(Number(stored!.counter)).toBe(1);
    expect(stored!.last_used_at).toEqual(t.clock.now());
    const signIns = await eventsOf(person.id, 'sign-in.succeeded');
    expect(signIns.at(-1)!.details).toEqual({ passkey: 'Work laptop' });
    const list = await client.get('/my-account/passkeys');
    expect(list.body).not.toContain('Not used yet');
  });

  it('keeps returnTo through the passkey step', async () => {
    const person = await newPerson();
    const authenticator = new SoftwareAuthenticator(ORIGIN);
    await withPasskey(person, authenticator);
    const client = await atTwoFactor(person);
    const options = pageOptions<RequestOptions>((await client.get('/sign-in/two-factor?returnTo=%2Fmy-account')).body);
    const done = await client.post('/sign-in/two-factor/passkey', {
      response: JSON.stringify(authenticator.get(options)),
      returnTo: '/my-account',
    });
    expect(done.headers.location).toBe('/my-account');
  });

  it('refuses a replayed answer, a counter that did not go up, another site, no user verification and another person’s passkey; each audited', async () => {
    const person = await newPerson();
    const authenticator = new SoftwareAuthenticator(ORIGIN);
    await withPasskey(person, authenticator);
    const stranger = await newPerson();
    const strangers = new SoftwareAuthenticator(ORIGIN);
    await withPasskey(stranger, strangers);

    const attempt = async (answer: (options: RequestOptions) => unknown) => {
      const client = await atTwoFactor(person);
      const options = pageOptions<RequestOptions>((await client.get('/sign-in/two-factor')).body);
      return client.post('/sign-in/two-factor/passkey', { response: JSON.stringify(answer(options)) });
    };
    const failuresBefore = (await eventsOf(person.id, 'sign-in.failed')).length;

    // Replay: the same answer on a new sign-in is for a spent challenge.
    const first = await atTwoFactor(person);
    const options = pageOptions<RequestOptions>((await first.get('/sign-in/two-factor')).body);
    const answer = JSON.stringify(authenticator.get(options));
    expect((await first.post('/sign-in/two-factor/passkey', { response: answer })).statusCode).toBe(303);
    const second = await atTwoFactor(person);
    await second.get('/sign-in/two-factor');
    const replayed = await second.post('/sign-in/two-factor/passkey', { response: answer });
    expect(replayed.statusCode).toBe(401);
    expect(replayed.body).toContain('Your passkey could not be used');

    const refusals = [
      await attempt((o) => authenticator.get(o, { counter: 1 })), // a clone: counter not above the stored 1
      await attempt((o) => authenticator.get(o, { origin: 'https://nexus.example.net' })),
      await attempt((o) => new SoftwareAuthenticator(ORIGIN, false).get(o, { passkey: authenticator.passkeys[0]! })),
      await attempt((o) => strangers.get({ ...o, allowCredentials: [] })),
    ];
    for (const refused of refusals) {
      expect(refused.statusCode).toBe(401);
      expect(refused.body).toContain('Your passkey could not be used');
    }
    const failures = (await eventsOf(person.id, 'sign-in.failed')).slice(failuresBefore);
    expect(failures.map((e) => e.details.reason)).toEqual(Array(5).fill('passkey-refused'));
    // The clone's refusal left the counter where the good sign-in put it.
    expect(Number((await passkeysOf(person.id))[0]!.counter)).toBe(1);
  });

  it('without JavaScript (no answer) says so and the code still works; an account without passkeys is not offered one', async () => {
    const person = await newPerson();
    await withPasskey(person, new SoftwareAuthenticator(ORIGIN));
    const client = await atTwoFactor(person);
    await client.get('/sign-in/two-factor');
    const refused = await client.post('/sign-in/two-factor/passkey', { response: '' });
    expect(refused.statusCode).toBe(400);
    expect(refused.body).toContain(
      'Signing in with a passkey needs JavaScript. Enter the code from your authenticator app instead.',
    );

    const plain = await newPerson();
    const other = await atTwoFactor(plain);
    const page = await other.get('/sign-in/two-factor');
    expect(page.body).not.toContain('data-options');
    expect(page.body).not.toContain('Use a passkey');
    expect((await other.post('/sign-in/two-factor/passkey', { response: '{}' })).statusCode).toBe(401);
  });

  it('is throttled like the code: after the account limit, even a good passkey waits', async () => {
    const person = await newPerson();
    const authenticator = new SoftwareAuthenticator(ORIGIN);
    await withPasskey(person, authenticator);
    const client = await atTwoFactor(person);
    let last = 0;
    for (let i = 0; i < t.config.throttle.accountLimit + 1; i++) {
      await client.get('/sign-in/two-factor');
      last = (await client.post('/sign-in/two-factor/passkey', { response: '{"id":"x"}' })).statusCode;
    }
    expect(last).toBe(429);
    const options = pageOptions<RequestOptions>((await client.get('/sign-in/two-factor')).body);
    const good = await client.post('/sign-in/two-factor/passkey', {
      response: JSON.stringify(authenticator.get(options)),
    });
    expect(good.statusCode).toBe(429);
    expect(await eventsOf(person.id, 'sign-in.succeeded')).toHaveLength(1); // the sign-in that added it
  });

  it('a signed-out visitor, or a session past the password step only, cannot use the passkey step to sign in', async () => {
    const anonymous = new FormClient(t.app, { ip: freshIp() });
    await anonymous.get('/sign-in');
    const refused = await anonymous.post('/sign-in/two-factor/passkey', { response: '{}' });
    expect(refused.statusCode).toBe(401);
    expect(refused.body).toContain('Your sign-in has expired');
  });
});

describe('removing passkeys', () => {
  it('removes one of your own, audited and emailed; another person’s is untouched', async () => {
    const person = await newPerson();
    const client = await withPasskey(person, new SoftwareAuthenticator(ORIGIN), 'Old phone');
    const stranger = await newPerson();
    await withPasskey(stranger, new SoftwareAuthenticator(ORIGIN), 'Theirs');
    const [mine] = await passkeysOf(person.id);
    const [theirs] = await passkeysOf(stranger.id);

    const list = await client.get('/my-account/passkeys');
    expect(list.body).toContain(`href="/my-account/passkeys/${mine!.id}/remove"`);
    // Asked first: the page names the passkey, says it is the only one, and removes nothing.
    const ask = await client.get(`/my-account/passkeys/${mine!.id}/remove`);
    expect(ask.statusCode).toBe(200);
    expect(ask.body).toContain('Remove the passkey ‘Old phone’?');
    expect(ask.body).toContain('Added on 2 November 2026, not used yet.');
    expect(ask.body).toContain('This is your only passkey.');
    expect(ask.body).toContain(`action="/my-account/passkeys/${mine!.id}/remove"`);
    expect(await passkeysOf(person.id)).toHaveLength(1);
    // Another person's passkey, or no passkey at all: back to the list, which says it is gone.
    for (const id of [theirs!.id, 'not-an-id', "x' OR '1'='1"]) {
      const asked = await client.get(`/my-account/passkeys/${encodeURIComponent(id)}/remove`);
      expect(asked.statusCode).toBe(303);
      expect(asked.headers.location).toBe('/my-account/passkeys');
    }

    await client.get('/my-account/passkeys');
    const tried = await client.post(`/my-account/passkeys/${theirs!.id}/remove`, {});
    expect(tried.statusCode).toBe(303);
    expect((await client.get('/my-account/passkeys')).body).toContain('That passkey had already been removed.');
    expect(await passkeysOf(stranger.id)).toHaveLength(1);
    expect((await client.post('/my-account/passkeys/not-an-id/remove', {})).statusCode).toBe(303);

    const removed = await client.post(`/my-account/passkeys/${mine!.id}/remove`, {});
    expect(removed.statusCode).toBe(303);
    expect((await client.get('/my-account/passkeys')).body).toContain('Passkey “Old phone” removed.');
    expect(await passkeysOf(person.id)).toEqual([]);
    expect((await eventsOf(person.id, 'passkey.removed')).map((e) => e.details)).toEqual([{ name: 'Old phone' }]);
    const [email] = await emailsOf(person.id, 'passkey-removed');
    expect(email!.subject).toBe('A passkey was removed from your Nexus account');
    expect(await eventsOf(stranger.id, 'passkey.removed')).toEqual([]);

    // Without its passkey, the two-factor page offers only the code.
    const again = await atTwoFactor(person);
    expect((await again.get('/sign-in/two-factor')).body).not.toContain('Use a passkey');
  });
});

describe("an administrator's two-factor reset (R28)", () => {
  it('removes the passkeys too, says so on the confirmation page, in the audit and in the email; the user page says how they sign in', async () => {
    const person = await newPerson();
    const authenticator = new SoftwareAuthenticator(ORIGIN);
    await withPasskey(person, authenticator, 'Laptop');
    await withPasskey(person, authenticator, 'Phone');
    const administrator = await signInAs(t, admin, { ip: freshIp() });

    const list = await administrator.get(`/admin/users?q=${person.username}`);
    expect(list.body).toMatch(/Set up<br><span class="govuk-hint[^"]*">and 2 passkeys<\/span>/);
    const userPage = await administrator.get(`/admin/users/${person.id}`);
    expect(userPage.body).toMatch(
      /Signs in with\s*<\/dt>\s*<dd class="govuk-summary-list__value">\s*Password, then authenticator app or 2 passkeys/,
    );
    const confirm = await administrator.get(`/admin/users/${person.id}/reset-two-factor`);
    expect(confirm.body).toContain('their 2 passkeys will be removed');
    expect((await administrator.post(`/admin/users/${person.id}/reset-two-factor`, {})).statusCode).toBe(303);

    expect(await passkeysOf(person.id)).toEqual([]);
    const [event] = await eventsOf(person.id, 'two-factor.reset');
    expect(event!.details).toMatchObject({ passkeysRemoved: 2 });
    const [email] = await emailsOf(person.id, 'two-factor-reset');
    expect(email!.text_body).toContain('Your 2 passkeys were removed too');
    expect((await administrator.get(`/admin/users/${person.id}`)).body).toContain(
      'Password only: two-factor authentication not set up yet',
    );
    expect((await administrator.get(`/admin/users?q=${person.username}`)).body).not.toContain('passkey');

    // The passkey no longer signs in: the person sets up the app again first.
    const client = new FormClient(t.app, { ip: freshIp() });
    await client.get('/sign-in');
    const step = await client.post('/sign-in', { username: person.username, password: TEST_PASSWORD });
    expect(step.headers.location).toBe('/sign-in/two-factor/setup');
    expect((await client.post('/sign-in/two-factor/passkey', { response: '{}' })).statusCode).toBe(401);
  });
});
