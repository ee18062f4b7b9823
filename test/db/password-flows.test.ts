import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Actor } from '../../src/domain/access.ts';
import { typeDefaults } from '../../src/domain/privileges.ts';
import { generateTotp } from '../../src/domain/totp.ts';
import { SYSTEM_CONTEXT } from '../../src/services/request-context.ts';
import { FormClient } from '../support/browser.ts';
import { createAccount, createOrganisation, TEST_PASSWORD, type FixtureAccount } from '../support/fixtures.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';

/**
 * Passwords outside sign-in (R9, R51, R53): forgotten-password links, invitations, and the change
 * on My Account — single use, expiring, ending sessions, and told by email through the outbox.
 */

const NEW_PASSWORD = 'Marmalade-Walrus-Tuba-93';
const SYSTEM: Actor = { kind: 'system', label: 'command line' };
const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

let t: TestApp;
let la: number;
let admin: FixtureAccount;
let nextIp = 1;

beforeAll(async () => {
  t = await createTestApp();
  la = await createOrganisation(t.handle.db, '202', 'Camden');
  admin = await createAccount(t.handle.db, t.config.secretKey, {
    organisationId: la,
    username: 'ada.admin',
    userType: 'la_admin',
    firstName: 'Ada',
    lastName: 'Admin',
  });
});
afterAll(async () => t?.close());

/** A browser with its own address, so the per-address throttle of one test never meets another's. */
function browser(): FormClient {
  const n = nextIp++;
  return new FormClient(t.app, { ip: `10.7.${Math.floor(n / 250)}.${(n % 250) + 1}` });
}

/** Page bodies without what differs on every response (CSP nonce, CSRF token). */
function comparable(body: string): string {
  return body.replace(/nonce="[^"]*"/g, 'nonce=""').replace(/name="_csrf" value="[^"]*"/g, 'name="_csrf" value=""');
}

async function signIn(account: FixtureAccount, password = account.password): Promise<FormClient> {
  // A TOTP code works once: each sign-in of the same account needs the next 30-second step.
  t.clock.advance(30_000);
  const client = browser();
  await client.get('/sign-in');
  const step = await client.post('/sign-in', { username: account.username, password });
  expect(step.headers.location).toBe('/sign-in/two-factor');
  await client.get('/sign-in/two-factor');
  const done = await client.post('/sign-in/two-factor', { code: generateTotp(account.totpSecret!, t.clock.now()) });
  expect(done.headers.location).toBe('/');
  expect((await client.get('/my-account')).statusCode).toBe(200);
  return client;
}

async function passwordStep(username: string, password: string): Promise<LightMyRequestResponse> {
  const client = browser();
  await client.get('/sign-in');
  return client.post('/sign-in', { username, password });
}

async function emails(accountId: string, template?: string) {
  let query = t.handle.db.selectFrom('email_outbox').selectAll().where('account_id', '=', accountId);
  if (template) query = query.where('template', '=', template);
  return query.orderBy('created_at').orderBy('id').execute();
}

function tokenIn(text: string, path: 'reset-password' | 'invitation'): string {
  const match = new RegExp(`${t.config.baseUrl}/${path}/([A-Za-z0-9_-]+)`).exec(text);
  expect(match, `a /${path}/<token> link`).not.toBeNull();
  return match![1]!;
}

async function account(id: string) {
  return t.handle.db.selectFrom('accounts').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
}

async function sessionCount(accountId: string): Promise<number> {
  const rows = await t.handle.db
    .selectFrom('sessions')
    .select('id_hash')
    .where('account_id', '=', accountId)
    .where('stage', '=', 'signed_in')
    .execute();
  return rows.length;
}

async function requestReset(username: string): Promise<LightMyRequestResponse> {
  const client = browser();
  await client.get('/forgot-password');
  return client.post('/forgot-password', { username });
}

async function resetTokenFor(fixture: FixtureAccount): Promise<string> {
  const before = new Set((await emails(fixture.id, 'password_reset')).map((e) => e.id));
  expect((await requestReset(fixture.username)).statusCode).toBe(200);
  const added = (await emails(fixture.id, 'password_reset')).filter((e) => !before.has(e.id));
  expect(added).toHaveLength(1);
  return tokenIn(added[0]!.text_body, 'reset-password');
}

/** Every token a test saw in an email, to check afterwards that none leaked into the audit log. */
const seenTokens: string[] = [];

describe('forgotten password', () => {
  it('emails an active account one reset link, and shows an unknown, archived or not-yet-set-up user the very same page', async () => {
    const active = await createAccount(t.handle.db, t.config.secretKey, {
      organisationId: la,
      username: 'reset.me',
      email: 'reset.me@camden.gov.uk',
    });
    await createAccount(t.handle.db, t.config.secretKey, {
      organisationId: la,
      username: 'gone.away',
      status: 'archived',
    });
    await createAccount(t.handle.db, t.config.secretKey, {
      organisationId: la,
      username: 'not.started',
      password: null,
      enrolled: false,
    });
    const outboxBefore = await t.handle.db.selectFrom('email_outbox').select('id').execute();

    const known = await requestReset('Reset.Me');
    expect(known.statusCode).toBe(200);
    expect(known.body).toContain('Check your email');

    const rows = await emails(active.id);
    expect(rows).toHaveLength(1);
    const email = rows[0]!;
    expect(email.template).toBe('password_reset');
    expect(email.to_address).toBe('reset.me@camden.gov.uk');
    const token = tokenIn(email.text_body, 'reset-password');
    seenTokens.push(token);
    expect(email.html_body).toContain(`href="${t.config.baseUrl}/reset-password/${token}"`);

    for (const username of ['no.such.person', 'gone.away', 'not.started']) {
      const other = await requestReset(username);
      expect(other.statusCode, username).toBe(200);
      expect(comparable(other.body), username).toBe(comparable(known.body));
    }
    // Exactly one email was written, for the active account.
    const outboxAfter = await t.handle.db.selectFrom('email_outbox').select('id').execute();
    expect(outboxAfter).toHaveLength(outboxBefore.length + 1);

    const audit = await t.handle.db
      .selectFrom('audit_events')
      .selectAll()
      .where('action', 'in', ['password-reset.requested', 'password-reset.refused'])
      .orderBy('id')
      .execute();
    expect(audit.map((a) => [a.action, a.actor_label, a.details.reason ?? null])).toEqual([
      ['password-reset.requested', 'reset.me', null],
      ['password-reset.refused', 'no.such.person', 'unknown-username'],
      ['password-reset.refused', 'gone.away', 'account-archived'],
      ['password-reset.refused', 'not.started', 'no-password-yet'],
    ]);
  });

  it('limits reset requests per username, the same way whether or not the account exists', async () => {
    const fixture = await createAccount(t.handle.db, t.config.secretKey, {
      organisationId: la,
      username: 'often.forgets',
    });
    const limit = t.config.throttle.accountLimit;
    const answers: Record<string, number[]> = { 'often.forgets': [], 'nobody.at.all': [] };
    for (const username of Object.keys(answers)) {
      for (let i = 0; i <= limit; i++) answers[username]!.push((await requestReset(username)).statusCode);
    }
    const expected = [...Array<number>(limit).fill(200), 429];
    expect(answers).toEqual({ 'often.forgets': expected, 'nobody.at.all': expected });
    expect(await emails(fixture.id)).toHaveLength(limit);
    const refused = await requestReset('often.forgets');
    expect(refused.statusCode).toBe(429);
    expect(refused.body).toContain('govuk-error-message');
    expect(refused.body).toContain(
      `Too many reset requests. Wait ${t.config.throttle.windowMinutes} minutes, then try again.`,
    );

    t.clock.advance(t.config.throttle.windowMinutes * MINUTE + 1000);
    expect((await requestReset('often.forgets')).statusCode).toBe(200);
  });

  it('sets the new password once, ends every session of the account, sends a notice, and then the link is expired', async () => {
    const fixture = await createAccount(t.handle.db, t.config.secretKey, {
      organisationId: la,
      username: 'two.devices',
    });
    const laptop = await signIn(fixture);
    const phone = await signIn(fixture);
    expect(await sessionCount(fixture.id)).toBe(2);
    const token = await resetTokenFor(fixture);
    seenTokens.push(token);
    const hashBefore = (await account(fixture.id)).password_hash;

    const client = browser();
    const form = await client.get(`/reset-password/${token}`);
    expect(form.statusCode).toBe(200);
    expect(form.body).toContain('two.devices');
    const done = await client.post(`/reset-password/${token}`, {
      password: NEW_PASSWORD,
      confirmPassword: NEW_PASSWORD,
    });
    expect(done.statusCode).toBe(303);
    expect(done.headers.location).toBe('/sign-in');
    expect((await client.get('/sign-in')).body).toContain('Your password has been changed');

    const after = await account(fixture.id);
    expect(after.password_hash).not.toBe(hashBefore);
    expect(after.password_changed_at?.toISOString()).toBe(t.clock.now().toISOString());
    expect(await sessionCount(fixture.id)).toBe(0);
    expect((await laptop.get('/my-account')).headers.location).toBe('/sign-in?returnTo=%2Fmy-account');
    expect((await phone.get('/my-account')).headers.location).toBe('/sign-in?returnTo=%2Fmy-account');

    const notices = await emails(fixture.id, 'password-changed');
    expect(notices).toHaveLength(1);
    expect(notices[0]!.text_body).toContain('two.devices');
    expect(notices[0]!.text_body).not.toContain(token);

    // Single use: the same link again, to look at or to post, is the expired page; nothing changes.
    const again = await browser().get(`/reset-password/${token}`);
    expect(again.statusCode).toBe(410);
    expect(again.body).toContain('This link has expired');
    const replay = browser();
    await replay.get('/forgot-password');
    const reused = await replay.post(`/reset-password/${token}`, {
      password: 'Another-Quite-Long-Phrase-5',
      confirmPassword: 'Another-Quite-Long-Phrase-5',
    });
    expect(reused.statusCode).toBe(410);
    expect((await account(fixture.id)).password_hash).toBe(after.password_hash);

    expect((await passwordStep('two.devices', TEST_PASSWORD)).statusCode).toBe(401);
    expect((await passwordStep('two.devices', NEW_PASSWORD)).headers.location).toBe('/sign-in/two-factor');
  });

  it(`expires the link after PASSWORD_RESET_MINUTES`, async () => {
    const fixture = await createAccount(t.handle.db, t.config.secretKey, {
      organisationId: la,
      username: 'slow.reader',
    });
    const token = await resetTokenFor(fixture);
    const hashBefore = (await account(fixture.id)).password_hash;
    expect(t.config.passwordResetMinutes).toBe(60);

    t.clock.advance(t.config.passwordResetMinutes * MINUTE - 1000);
    expect((await browser().get(`/reset-password/${token}`)).statusCode).toBe(200);
    t.clock.advance(1000);
    const client = browser();
    const expired = await client.get(`/reset-password/${token}`);
    expect(expired.statusCode).toBe(410);
    expect(expired.body).toContain('Ask for a new password reset link');
    await client.get('/forgot-password');
    const late = await client.post(`/reset-password/${token}`, {
      password: NEW_PASSWORD,
      confirmPassword: NEW_PASSWORD,
    });
    expect(late.statusCode).toBe(410);
    expect((await account(fixture.id)).password_hash).toBe(hashBefore);
  });

  it('a newer link replaces an older unused one', async () => {
    const fixture = await createAccount(t.handle.db, t.config.secretKey, {
      organisationId: la,
      username: 'asked.twice',
    });
    const first = await resetTokenFor(fixture);
    const second = await resetTokenFor(fixture);
    expect((await browser().get(`/reset-password/${first}`)).statusCode).toBe(410);
    expect((await browser().get(`/reset-password/${second}`)).statusCode).toBe(200);
  });

  it('refuses weak, short and mismatched passwords with a field error, and changes nothing', async () => {
    const fixture = await createAccount(t.handle.db, t.config.secretKey, {
      organisationId: la,
      username: 'quill.feather',
      firstName: 'Quill',
      lastName: 'Feather',
      email: 'q.feather@camden.gov.uk',
    });
    const session = await signIn(fixture);
    const token = await resetTokenFor(fixture);
    const before = await account(fixture.id);
    const outboxBefore = (await emails(fixture.id)).length;

    const cases: { password: string; confirmPassword: string; field: string; message: string }[] = [
      { password: '', confirmPassword: '', field: 'password', message: 'Enter a password' },
      {
        password: 'Short-1',
        confirmPassword: 'Short-1',
        field: 'password',
        message: 'Password must be 12 characters or more',
      },
      {
        password: 'password1234',
        confirmPassword: 'password1234',
        field: 'password',
        message: 'Choose a password that is harder to guess',
      },
      {
        password: 'quill.feather1',
        confirmPassword: 'quill.feather1',
        field: 'password',
        message: 'Choose a password that is harder to guess',
      },
      {
        password: 'x'.repeat(257),
        confirmPassword: 'x'.repeat(257),
        field: 'password',
        message: 'Password must be 256 characters or fewer',
      },
      { password: NEW_PASSWORD, confirmPassword: '', field: 'confirmPassword', message: 'Confirm your new password' },
      {
        password: NEW_PASSWORD,
        confirmPassword: `${NEW_PASSWORD}!`,
        field: 'confirmPassword',
        message: 'Enter the same password twice',
      },
    ];
    const client = browser();
    await client.get(`/reset-password/${token}`);
    for (const c of cases) {
      const response = await client.post(`/reset-password/${token}`, {
        password: c.password,
        confirmPassword: c.confirmPassword,
      });
      expect(response.statusCode, c.message).toBe(400);
      expect(response.body).toContain('govuk-error-summary');
      expect(response.body).toMatch(
        new RegExp(
          `<p id="${c.field}-error" class="govuk-error-message">\\s*<span class="govuk-visually-hidden">Error:</span> ${c.message}`,
        ),
      );
    }
    expect(await account(fixture.id)).toEqual(before);
    expect(await emails(fixture.id)).toHaveLength(outboxBefore);
    expect(await sessionCount(fixture.id)).toBe(1);
    expect((await session.get('/my-account')).statusCode).toBe(200);

    // The link was not used up by the refusals.
    const done = await client.post(`/reset-password/${token}`, {
      password: NEW_PASSWORD,
      confirmPassword: NEW_PASSWORD,
    });
    expect(done.statusCode).toBe(303);
  });
});

describe('invitation (R9)', () => {
  it('emails a single-use link with the new account; after setting a password the user signs in and is sent to set up 2FA', async () => {
    const created = await t.services.accounts.createAccount(
      SYSTEM,
      {
        organisationId: la,
        username: 'New.Starter',
        firstName: '<b>Jo</b>',
        lastName: 'Starter & "Co"',
        email: 'new.starter@camden.gov.uk',
        userType: 'la_officer',
      },
      SYSTEM_CONTEXT,
    );
    expect(created.username).toBe('new.starter');
    expect(created.password_hash).toBeNull();

    const rows = await emails(created.id);
    expect(rows).toHaveLength(1);
    const email = rows[0]!;
    expect(email.template).toBe('invitation');
    expect(email.to_address).toBe('new.starter@camden.gov.uk');
    expect(email.to_name).toBe('<b>Jo</b> Starter & "Co"');
    const token = tokenIn(email.text_body, 'invitation');
    seenTokens.push(token);
    // Plain text keeps the name as typed; HTML escapes it, so it cannot become markup.
    expect(email.text_body).toContain('Dear <b>Jo</b>,');
    expect(email.text_body).toContain('A Nexus account has been created for you at Camden.');
    expect(email.text_body).toContain('Your username is new.starter.');
    expect(email.html_body).toContain('Dear &lt;b&gt;Jo&lt;/b&gt;,');
    expect(email.html_body).not.toContain('<b>');
    expect(email.html_body).toContain(`href="${t.config.baseUrl}/invitation/${token}"`);

    const client = browser();
    const form = await client.get(`/invitation/${token}`);
    expect(form.statusCode).toBe(200);
    expect(form.body).toContain('Welcome, &lt;b&gt;Jo&lt;/b&gt;.');
    expect(form.body).not.toContain('<b>Jo</b>');

    // Valid to the end of day 7.
    t.clock.advance(7 * DAY - MINUTE);
    const accepted = await client.post(`/invitation/${token}`, {
      password: NEW_PASSWORD,
      confirmPassword: NEW_PASSWORD,
    });
    expect(accepted.statusCode).toBe(303);
    expect(accepted.headers.location).toBe('/sign-in');
    expect((await client.get('/sign-in')).body).toContain('Your password is set');
    const after = await account(created.id);
    expect(after.password_hash).toMatch(/^\$argon2id\$/);

    expect((await browser().get(`/invitation/${token}`)).statusCode).toBe(410);
    const replay = await client.post(`/invitation/${token}`, {
      password: 'Another-Quite-Long-Phrase-5',
      confirmPassword: 'Another-Quite-Long-Phrase-5',
    });
    expect(replay.statusCode).toBe(410);
    expect((await account(created.id)).password_hash).toBe(after.password_hash);

    const signIn = await passwordStep('new.starter', NEW_PASSWORD);
    expect(signIn.statusCode).toBe(303);
    expect(signIn.headers.location).toBe('/sign-in/two-factor/setup');

    const audit = await t.handle.db
      .selectFrom('audit_events')
      .select(['action', 'actor_label', 'actor_account_id'])
      .where('subject_account_id', '=', created.id)
      .where('action', 'in', ['account.created', 'invitation.sent', 'invitation.accepted'])
      .orderBy('id')
      .execute();
    expect(audit).toEqual([
      { action: 'account.created', actor_label: 'command line', actor_account_id: null },
      { action: 'invitation.sent', actor_label: 'command line', actor_account_id: null },
      { action: 'invitation.accepted', actor_label: 'new.starter', actor_account_id: created.id },
    ]);
  });

  it('expires on day 8, unused', async () => {
    const created = await t.services.accounts.createAccount(
      SYSTEM,
      {
        organisationId: la,
        username: 'late.starter',
        firstName: 'Lee',
        lastName: 'Late',
        email: 'late@camden.gov.uk',
        userType: 'read_only',
      },
      SYSTEM_CONTEXT,
    );
    const token = tokenIn((await emails(created.id, 'invitation'))[0]!.text_body, 'invitation');
    seenTokens.push(token);
    t.clock.advance(7 * DAY);
    const client = browser();
    const expired = await client.get(`/invitation/${token}`);
    expect(expired.statusCode).toBe(410);
    expect(expired.body).toContain('Ask an administrator of your Local Authority to send you a new invitation');
    await client.get('/sign-in');
    expect(
      (await client.post(`/invitation/${token}`, { password: NEW_PASSWORD, confirmPassword: NEW_PASSWORD })).statusCode,
    ).toBe(410);
    expect((await account(created.id)).password_hash).toBeNull();
  });

  it('names the administrator who sent it', async () => {
    const actor: Actor = {
      kind: 'account',
      accountId: admin.id,
      organisationId: la,
      organisationKind: 'la',
      privileges: new Set(typeDefaults('la_admin')),
      label: 'ada.admin',
    };
    const created = await t.services.accounts.createAccount(
      actor,
      {
        organisationId: la,
        username: 'invited.by.ada',
        firstName: 'Ivy',
        lastName: 'Vited',
        email: 'ivy@camden.gov.uk',
        userType: 'la_officer',
      },
      SYSTEM_CONTEXT,
    );
    const email = (await emails(created.id, 'invitation'))[0]!;
    seenTokens.push(tokenIn(email.text_body, 'invitation'));
    expect(email.text_body).toContain('Ada Admin has created a Nexus account for you at Camden.');
  });
});

describe('password change on My Account', () => {
  it('needs the right current password, keeps this session, ends the others and emails a notice', async () => {
    const fixture = await createAccount(t.handle.db, t.config.secretKey, {
      organisationId: la,
      username: 'change.me',
      firstName: 'Chan',
      lastName: 'Gemi',
      email: 'change.me@camden.gov.uk',
    });
    const here = await signIn(fixture);
    const elsewhere = await signIn(fixture);
    const before = await account(fixture.id);
    await here.get('/my-account/password');

    const wrong = await here.post('/my-account/password', {
      currentPassword: 'not-my-password-at-all',
      password: NEW_PASSWORD,
      confirmPassword: NEW_PASSWORD,
    });
    expect(wrong.statusCode).toBe(400);
    expect(wrong.body).toContain('govuk-error-summary');
    expect(wrong.body).toMatch(
      /<p id="currentPassword-error" class="govuk-error-message">\s*<span class="govuk-visually-hidden">Error:<\/span> Your current password is not correct/,
    );
    const missing = await here.post('/my-account/password', {
      currentPassword: '',
      password: NEW_PASSWORD,
      confirmPassword: NEW_PASSWORD,
    });
    expect(missing.statusCode).toBe(400);
    expect(missing.body).toContain('Enter your current password');
    const weak = await here.post('/my-account/password', {
      currentPassword: TEST_PASSWORD,
      password: 'password1234',
      confirmPassword: 'password1234',
    });
    expect(weak.statusCode).toBe(400);
    expect(weak.body).toContain('Choose a password that is harder to guess');
    expect(weak.body).not.toContain('currentPassword-error');

    expect(await account(fixture.id)).toEqual(before);
    expect(await emails(fixture.id)).toHaveLength(0);
    expect(await sessionCount(fixture.id)).toBe(2);
    const refusals = await t.handle.db
      .selectFrom('audit_events')
      .select('action')
      .where('subject_account_id', '=', fixture.id)
      .where('action', '=', 'password.change-refused')
      .execute();
    expect(refusals).toHaveLength(1);

    const changed = await here.post('/my-account/password', {
      currentPassword: TEST_PASSWORD,
      password: NEW_PASSWORD,
      confirmPassword: NEW_PASSWORD,
    });
    expect(changed.statusCode).toBe(303);
    expect(changed.headers.location).toBe('/my-account');
    const page = await here.get('/my-account');
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('You have been signed out everywhere else');
    expect((await elsewhere.get('/my-account')).headers.location).toBe('/sign-in?returnTo=%2Fmy-account');
    expect(await sessionCount(fixture.id)).toBe(1);
    expect((await account(fixture.id)).password_hash).not.toBe(before.password_hash);

    const notices = await emails(fixture.id, 'password-changed');
    expect(notices).toHaveLength(1);
    expect(notices[0]!.to_address).toBe('change.me@camden.gov.uk');
    expect(notices[0]!.subject).toBe('Your Nexus password was changed');
    expect(notices[0]!.text_body).toContain('The password of the Nexus account change.me was changed on');

    expect((await passwordStep('change.me', TEST_PASSWORD)).statusCode).toBe(401);
    expect((await passwordStep('change.me', NEW_PASSWORD)).headers.location).toBe('/sign-in/two-factor');
  });

  it('limits guesses of the current password from a signed-in session', async () => {
    const fixture = await createAccount(t.handle.db, t.config.secretKey, {
      organisationId: la,
      username: 'left.unlocked',
    });
    const client = await signIn(fixture);
    await client.get('/my-account/password');
    const before = await account(fixture.id);
    for (let i = 0; i < t.config.throttle.accountLimit; i++) {
      const guess = await client.post('/my-account/password', {
        currentPassword: `guess-number-${i}-wrong`,
        password: NEW_PASSWORD,
        confirmPassword: NEW_PASSWORD,
      });
      expect(guess.statusCode).toBe(400);
    }
    const right = await client.post('/my-account/password', {
      currentPassword: TEST_PASSWORD,
      password: NEW_PASSWORD,
      confirmPassword: NEW_PASSWORD,
    });
    expect(right.statusCode).toBe(429);
    expect(right.body).toContain(
      `Too many attempts to change your password. Wait ${t.config.throttle.windowMinutes} minutes, then try again.`,
    );
    expect(await account(fixture.id)).toEqual(before);
    expect(await emails(fixture.id)).toHaveLength(0);

    // When the window has passed, the same session may try again, and the right password works.
    t.clock.advance(t.config.throttle.windowMinutes * MINUTE + 1000);
    await client.get('/my-account/password');
    expect(
      (
        await client.post('/my-account/password', {
          currentPassword: TEST_PASSWORD,
          password: NEW_PASSWORD,
          confirmPassword: NEW_PASSWORD,
        })
      ).statusCode,
    ).toBe(303);
  });

  it('sends one notice per change, even for two changes at the same instant', async () => {
    const fixture = await createAccount(t.handle.db, t.config.secretKey, {
      organisationId: la,
      username: 'changes.often',
    });
    const client = await signIn(fixture);
    await client.get('/my-account/password');
    const second = 'Orbit-Lantern-Pickle-77';
    expect(
      (
        await client.post('/my-account/password', {
          currentPassword: TEST_PASSWORD,
          password: NEW_PASSWORD,
          confirmPassword: NEW_PASSWORD,
        })
      ).statusCode,
    ).toBe(303);
    await client.get('/my-account/password');
    expect(
      (
        await client.post('/my-account/password', {
          currentPassword: NEW_PASSWORD,
          password: second,
          confirmPassword: second,
        })
      ).statusCode,
    ).toBe(303);
    expect(await emails(fixture.id, 'password-changed')).toHaveLength(2);
  });
});

describe('outbox and audit hygiene', () => {
  it('gives every email a unique deduplication key, text and HTML bodies, and keeps link tokens out of the audit log', async () => {
    expect(seenTokens.length).toBeGreaterThanOrEqual(5);
    const outbox = await t.handle.db.selectFrom('email_outbox').selectAll().execute();
    expect(outbox.length).toBeGreaterThanOrEqual(10);
    expect(new Set(outbox.map((e) => e.dedup_key)).size).toBe(outbox.length);
    for (const email of outbox) {
      expect(email.text_body.length, email.dedup_key).toBeGreaterThan(50);
      expect(email.html_body, email.dedup_key).toMatch(/^<!DOCTYPE html><html lang="en">[\s\S]*<\/html>$/);
      expect(email.html_body, email.dedup_key).not.toMatch(/<(b|script)>/);
    }

    const audit = await t.handle.db.selectFrom('audit_events').selectAll().execute();
    const stored = await t.handle.db.selectFrom('account_tokens').select('token_hash').execute();
    for (const token of seenTokens) {
      for (const event of audit) {
        expect(JSON.stringify(event), event.action).not.toContain(token);
      }
      for (const email of outbox) expect(email.dedup_key).not.toContain(token);
      // Links are stored hashed, never as sent.
      expect(stored.map((s) => s.token_hash)).not.toContain(token);
    }
  });
});
