import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SecretBox } from '../../src/services/sign-in/secrets.ts';
import { generateTotp } from '../../src/domain/totp.ts';
import type { IdentifyingClaim } from '../../src/domain/identity-providers.ts';
import { FormClient } from '../support/browser.ts';
import { createAccount, createOrganisation, TEST_PASSWORD, type FixtureAccount } from '../support/fixtures.ts';
import { ProviderBrowser, startLaProvider, type LaProvider } from '../support/la-provider.ts';
import { signInAs } from '../support/sign-in.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';
import { upsertOidcState } from '../../src/data/queries/oidc-state-queries.ts';

/**
 * Signing in with the LA's own account (R64, issue 15 items 2–4), against a real OpenID Connect
 * provider started here (panva's oidc-provider as Camden's Entra ID, with its own people and
 * sign-in page): the username first, then the provider; linking by UPN, email and object id; a
 * person disabled at the provider refused (and archived when the LA chose so); each forged or
 * wrong answer refused; an outage leaves break-glass accounts their password; amr with and
 * without mfa; the daily re-check.
 */

const CALLBACK = 'http://localhost:3000/sign-in/la-account/callback';

let t: TestApp;
let idp: LaProvider;
let camden: number;
let admin: FixtureAccount;
let officer: FixtureAccount;
let analyst: FixtureAccount;
let leaver: FixtureAccount;
let support: FixtureAccount;

beforeAll(async () => {
  t = await createTestApp({
    env: { LA_SIGN_IN_RECHECK_HOURS: '1', SESSION_IDLE_MINUTES: '600', SESSION_ABSOLUTE_HOURS: '24' },
  });
  const db = t.handle.db;
  camden = await createOrganisation(db, '202', 'Camden');
  const kent = await createOrganisation(db, '886', 'Kent');
  const central = await createOrganisation(db, 'central', 'NCER Support');
  admin = await createAccount(db, t.config.secretKey, {
    organisationId: camden,
    username: 'camden.admin',
    userType: 'la_admin',
    firstName: 'Ada',
    lastName: 'Admin',
  });
  officer = await createAccount(db, t.config.secretKey, {
    organisationId: camden,
    username: 'olu.officer@camden.gov.uk',
    email: 'olu.officer@camden.gov.uk',
  });
  analyst = await createAccount(db, t.config.secretKey, {
    organisationId: camden,
    username: 'ana.analyst',
    email: 'ana.analyst@camden.gov.uk',
  });
  leaver = await createAccount(db, t.config.secretKey, {
    organisationId: camden,
    username: 'lee.leaver@camden.gov.uk',
    email: 'lee.leaver@camden.gov.uk',
  });
  await db.updateTable('accounts').set({ external_id: '7f3c-oid-ana' }).where('id', '=', analyst.id).execute();
  await createAccount(db, t.config.secretKey, { organisationId: kent, username: 'kim.kent@kent.gov.uk' });
  support = await createAccount(db, t.config.secretKey, {
    organisationId: central,
    username: 'support',
    userType: 'support',
  });
  idp = await startLaProvider({
    redirectUri: CALLBACK,
    people: [
      {
        sub: 'sub-olu',
        password: 'olu-pw',
        preferred_username: 'olu.officer@camden.gov.uk',
        email: 'olu.officer@camden.gov.uk',
      },
      {
        sub: 'sub-ana',
        password: 'ana-pw',
        preferred_username: 'ana@camden.gov.uk',
        email: 'ana.analyst@camden.gov.uk',
        oid: '7f3c-oid-ana',
      },
      {
        sub: 'sub-lee',
        password: 'lee-pw',
        preferred_username: 'lee.leaver@camden.gov.uk',
        email: 'lee.leaver@camden.gov.uk',
      },
      { sub: 'sub-kim', password: 'kim-pw', preferred_username: 'kim.kent@kent.gov.uk' },
      { sub: 'sub-nobody', password: 'no-pw', preferred_username: 'nobody@camden.gov.uk' },
      { sub: 'sub-mfa', password: 'mfa-pw', preferred_username: 'camden.admin', amr: ['pwd', 'mfa'] },
    ],
  });
}, 60_000);
afterAll(async () => {
  await idp?.close();
  await t?.close();
});

async function configure(
  changes: Partial<{
    claim: IdentifyingClaim;
    required: boolean;
    archiveOnRefusal: boolean;
    mfaAcr: string | null;
  }> = {},
) {
  const db = t.handle.db;
  await db.deleteFrom('la_identity_providers').execute();
  const now = t.clock.now();
  await db
    .insertInto('la_identity_providers')
    .values({
      organisation_id: camden,
      issuer: idp.issuer,
      client_id: idp.clientId,
      client_secret_sealed: new SecretBox(t.config.secretKey).seal(idp.clientSecret),
      identifying_claim: changes.claim ?? 'preferred_username',
      enabled: true,
      required: changes.required ?? false,
      archive_on_refusal: changes.archiveOnRefusal ?? false,
      mfa_acr: changes.mfaAcr ?? null,
      created_at: now,
      updated_at: now,
    })
    .execute();
  await db
    .insertInto('la_identity_provider_break_glass')
    .values({ organisation_id: camden, account_id: admin.id })
    .execute();
}

let ip = 1;
beforeEach(async () => {
  await configure();
  await t.handle.db.deleteFrom('la_account_links').execute();
  await t.handle.db.deleteFrom('sign_in_throttle').execute();
  for (const p of idp.people.values()) p.disabled = false;
  idp.setDown(false);
  ip += 1;
});

const browser = () => new FormClient(t.app, { ip: `10.0.0.${ip}` });

/** The username step, for a person whose LA offers its provider: the "Sign in with your LA account" form sends them on. */
async function toProvider(client: FormClient, username: string): Promise<string> {
  await client.get('/sign-in');
  const step = await client.post('/sign-in', { username });
  if (step.statusCode === 303) return step.headers.location as string;
  expect(step.statusCode).toBe(200);
  expect(step.body).toContain('Sign in with your Camden account');
  const started = await client.post('/sign-in/la-account', { username });
  expect(started.statusCode).toBe(303);
  return started.headers.location as string;
}

/** The username step, then the provider's own sign-in page as this person: the URL it sends the browser back to. */
async function atProvider(client: FormClient, username: string, login: string, password: string): Promise<string> {
  return new ProviderBrowser().signIn(await toProvider(client, username), idp.issuer, login, password);
}

async function callback(client: FormClient, url: string) {
  const u = new URL(url);
  expect(u.origin + u.pathname).toBe(CALLBACK);
  return client.get(u.pathname + u.search);
}

async function events(action: string) {
  return t.handle.db.selectFrom('audit_events').selectAll().where('action', '=', action).orderBy('id').execute();
}

async function signedIn(client: FormClient): Promise<boolean> {
  const home = await client.get('/');
  return home.statusCode === 200;
}

describe('the username first', () => {
  it('shows the password step for an unknown username and an account that signs in with a password, the same way', async () => {
    const client = browser();
    await client.get('/sign-in');
    const unknown = await client.post('/sign-in', { username: 'nobody.here' });
    const kent = await client.post('/sign-in', { username: 'kim.kent@kent.gov.uk' });
    const central = await client.post('/sign-in', { username: 'support' });
    for (const page of [unknown, kent, central]) {
      expect(page.statusCode).toBe(200);
      expect(page.body).toContain('name="password"');
      expect(page.body).not.toContain('/sign-in/la-account');
    }
    const strip = (body: string) => body.replace(/(value|nonce)="[^"]*"/g, '');
    expect(strip(unknown.body)).toBe(strip(kent.body));
  });

  it('offers the LA account first where the LA has it on, and sends its staff straight there where it is required', async () => {
    const client = browser();
    await client.get('/sign-in');
    const offered = await client.post('/sign-in', { username: 'olu.officer@camden.gov.uk' });
    expect(offered.body).toContain('Sign in with your Camden account');
    expect(offered.body).toContain('name="password"');

    await configure({ required: true });
    // Required: the LA account only (a form may not redirect to another site under form-action 'self',
    // so the page lets its own form lead to the provider's origin, and to nowhere else).
    const required = await client.post('/sign-in', { username: 'olu.officer@camden.gov.uk' });
    expect(required.statusCode).toBe(200);
    expect(required.body).toContain('Camden asks its staff to sign in with their Camden account.');
    expect(required.body).not.toContain('name="password"');
    expect(required.headers['content-security-policy']).toContain(`form-action 'self' ${idp.issuer};`);
    expect(offered.headers['content-security-policy']).toContain(`form-action 'self' ${idp.issuer};`);
    const unknown = await client.post('/sign-in', { username: 'nobody.here' });
    expect(unknown.headers['content-security-policy']).toContain("form-action 'self';");
    const started = await client.post('/sign-in/la-account', { username: 'olu.officer@camden.gov.uk' });
    expect(started.statusCode).toBe(303);
    const url = new URL(started.headers.location as string);
    expect(url.origin).toBe(idp.issuer);
    // The transaction stays on the server: the URL holds the state, the PKCE challenge and the nonce, never the verifier.
    expect(url.searchParams.get('code_challenge_method')).toBe('S256');
    expect(url.searchParams.get('redirect_uri')).toBe(CALLBACK);
    const session = await t.handle.db
      .selectFrom('sessions')
      .selectAll()
      .where('stage', '=', 'la_account')
      .executeTakeFirstOrThrow();
    expect(session.la_state).toBe(url.searchParams.get('state'));
    expect(session.la_nonce).toBe(url.searchParams.get('nonce'));
    expect(url.href).not.toContain(new SecretBox(t.config.secretKey).open(session.la_code_verifier!));

    // A break-glass account keeps its password when the provider is required.
    const breakGlass = await client.post('/sign-in', { username: 'camden.admin' });
    expect(breakGlass.statusCode).toBe(200);
    expect(breakGlass.body).toContain('name="password"');
  });

  it('refuses a right password of a required LA’s staff, but not of its break-glass account or central support', async () => {
    await configure({ required: true });
    const client = browser();
    await client.get('/sign-in');
    const refused = await client.post('/sign-in', { username: officer.username, password: TEST_PASSWORD });
    expect(refused.statusCode).toBe(401);
    expect(refused.body).toContain('Camden asks its staff to sign in with their Camden account');
    const wrong = await client.post('/sign-in', { username: officer.username, password: 'not-it' });
    expect(wrong.body).not.toContain('Camden asks its staff');
    for (const account of [admin, support]) {
      const other = browser();
      await other.get('/sign-in');
      const ok = await other.post('/sign-in', { username: account.username, password: TEST_PASSWORD });
      expect(ok.statusCode).toBe(303);
    }
  });
});

describe('linking to the existing account by the configured claim', () => {
  it('by UPN (preferred_username → username), then the Nexus code when the provider did not use mfa', async () => {
    const client = browser();
    const back = await atProvider(client, officer.username, 'olu.officer@camden.gov.uk', 'olu-pw');
    const answer = await callback(client, back);
    expect(answer.statusCode).toBe(303);
    expect(answer.headers.location).toBe('/sign-in/two-factor');
    expect(await signedIn(client)).toBe(false);
    await client.get('/sign-in/two-factor');
    const done = await client.post('/sign-in/two-factor', { code: generateTotp(officer.totpSecret!, t.clock.now()) });
    expect(done.statusCode).toBe(303);
    expect(await signedIn(client)).toBe(true);
    const link = await t.handle.db
      .selectFrom('la_account_links')
      .selectAll()
      .where('account_id', '=', officer.id)
      .executeTakeFirstOrThrow();
    expect(link).toMatchObject({ subject: 'sub-olu', issuer: idp.issuer, organisation_id: camden });
    expect(link.refresh_token_sealed).toMatch(/^v1\./);
    t.clock.advance(30_000);
  });

  it('refuses another person at the provider who now has the linked person’s UPN (the link keeps its sub)', async () => {
    const client = browser();
    const first = await atProvider(client, officer.username, 'olu.officer@camden.gov.uk', 'olu-pw');
    expect((await callback(client, first)).headers.location).toBe('/sign-in/two-factor');
    // The LA gives the UPN to a new starter (the old holder's is renamed): not the linked person.
    const olu = idp.people.get('sub-olu')!;
    const upn = olu.preferred_username!;
    const email = olu.email;
    olu.preferred_username = 'olu.old@camden.gov.uk';
    olu.email = 'olu.old@camden.gov.uk';
    idp.people.set('sub-newcomer', { sub: 'sub-newcomer', password: 'new-pw', preferred_username: upn });
    try {
      const other = browser();
      const back = await atProvider(other, officer.username, upn, 'new-pw');
      const page = await callback(other, back);
      expect(page.statusCode).toBe(403);
      expect(page.body).toContain('as a different person from the one who last signed in');
      expect(await signedIn(other)).toBe(false);
      const [failed] = (await events('sign-in.failed')).slice(-1);
      expect(failed).toMatchObject({ subject_account_id: officer.id });
      expect(failed!.details).toMatchObject({ reason: 'la-account-subject-changed' });
      const link = await t.handle.db
        .selectFrom('la_account_links')
        .selectAll()
        .where('account_id', '=', officer.id)
        .executeTakeFirstOrThrow();
      expect(link.subject).toBe('sub-olu');
    } finally {
      olu.preferred_username = upn;
      olu.email = email;
      idp.people.delete('sub-newcomer');
    }
  });

  it('by email, refusing clearly when two accounts of the LA share it', async () => {
    await configure({ claim: 'email' });
    const client = browser();
    const back = await atProvider(client, analyst.username, 'ana@camden.gov.uk', 'ana-pw');
    expect((await callback(client, back)).headers.location).toBe('/sign-in/two-factor');

    const twin = await createAccount(t.handle.db, t.config.secretKey, {
      organisationId: camden,
      username: 'ana.twin',
      email: 'Ana.Analyst@camden.gov.uk',
    });
    const again = browser();
    const back2 = await atProvider(again, analyst.username, 'ana@camden.gov.uk', 'ana-pw');
    const refused = await callback(again, back2);
    expect(refused.statusCode).toBe(403);
    expect(refused.body).toContain('more than one Nexus account of Camden has your email address');
    expect(refused.body).toContain('Administrators of Camden');
    await t.handle.db.deleteFrom('accounts').where('id', '=', twin.id).execute();
  });

  it('by email only when the provider does not say the address is unverified', async () => {
    await configure({ claim: 'email' });
    const ana = idp.people.get('sub-ana')!;
    ana.email_verified = false;
    try {
      const client = browser();
      const back = await atProvider(client, analyst.username, 'ana@camden.gov.uk', 'ana-pw');
      const refused = await callback(client, back);
      expect(refused.statusCode).toBe(403);
      expect(refused.body).toContain('says your email address is not verified');
      expect(await signedIn(client)).toBe(false);
      ana.email_verified = true;
      const again = browser();
      const back2 = await atProvider(again, analyst.username, 'ana@camden.gov.uk', 'ana-pw');
      expect((await callback(again, back2)).headers.location).toBe('/sign-in/two-factor');
    } finally {
      delete ana.email_verified;
    }
  });

  it('by oid (→ external ID), and never creates an account nor links one of another LA', async () => {
    await configure({ claim: 'oid' });
    const client = browser();
    const back = await atProvider(client, analyst.username, 'ana@camden.gov.uk', 'ana-pw');
    expect((await callback(client, back)).headers.location).toBe('/sign-in/two-factor');

    await configure();
    const before = await t.handle.db
      .selectFrom('accounts')
      .select((eb) => eb.fn.countAll().as('n'))
      .executeTakeFirstOrThrow();
    for (const [login, password] of [
      ['nobody@camden.gov.uk', 'no-pw'],
      ['kim.kent@kent.gov.uk', 'kim-pw'],
    ]) {
      const c = browser();
      const b = await atProvider(c, officer.username, login!, password!);
      const page = await callback(c, b);
      expect(page.statusCode).toBe(403);
      expect(page.body).toContain('Signing in does not create accounts');
    }
    const after = await t.handle.db
      .selectFrom('accounts')
      .select((eb) => eb.fn.countAll().as('n'))
      .executeTakeFirstOrThrow();
    expect(after.n).toBe(before.n);
  });
});

describe('the provider’s answer, checked', () => {
  it('refuses a wrong state, and a callback or code used twice', async () => {
    const client = browser();
    const back = await atProvider(client, officer.username, 'olu.officer@camden.gov.uk', 'olu-pw');
    const forged = new URL(back);
    forged.searchParams.set('state', 'not-the-state');
    const wrongState = await callback(client, forged.href);
    expect(wrongState.statusCode).toBe(401);
    // The transaction was spent by the wrong answer: the right one now finds nothing.
    expect((await callback(client, back)).statusCode).toBe(401);

    // A code replayed into a fresh transaction with its state: the provider refuses the second exchange.
    const client2 = browser();
    const back2 = await atProvider(client2, officer.username, 'olu.officer@camden.gov.uk', 'olu-pw');
    expect((await callback(client2, back2)).statusCode).toBe(303);
    const client3 = browser();
    const url3 = new URL(await toProvider(client3, officer.username));
    const replay = new URL(back2);
    replay.searchParams.set('state', url3.searchParams.get('state')!);
    const replayed = await callback(client3, replay.href);
    expect(replayed.statusCode).toBe(401);
    const reasons = (await events('sign-in.failed')).map((e) => e.details.reason);
    expect(reasons).toContain('la-account-token-invalid_grant');
  });

  it.each([
    ['another audience', (p: Record<string, unknown>) => ({ ...p, aud: 'another-application' })],
    ['another issuer', (p: Record<string, unknown>) => ({ ...p, iss: 'https://login.example.com/other-tenant' })],
    [
      'an expired ID token',
      (p: Record<string, unknown>) => ({
        ...p,
        exp: Math.floor(Date.now() / 1000) - 3600,
        iat: Math.floor(Date.now() / 1000) - 7200,
      }),
    ],
    ['no nonce', (p: Record<string, unknown>) => ({ ...p, nonce: undefined })],
    ['another nonce', (p: Record<string, unknown>) => ({ ...p, nonce: 'another-nonce' })],
  ])('refuses an ID token with %s', async (_what, change) => {
    const client = browser();
    const back = await atProvider(client, officer.username, 'olu.officer@camden.gov.uk', 'olu-pw');
    idp.tamperNextIdToken(change);
    const answer = await callback(client, back);
    expect(answer.statusCode).toBe(401);
    expect(answer.body).toContain('Signing in with your LA account did not work');
    expect(await signedIn(client)).toBe(false);
    expect(await t.handle.db.selectFrom('la_account_links').selectAll().execute()).toEqual([]);
  });
});

describe('second factor', () => {
  it('asks for no Nexus code when amr contains mfa, or acr is the configured value', async () => {
    const client = browser();
    const back = await atProvider(client, admin.username, 'camden.admin', 'mfa-pw');
    const answer = await callback(client, back);
    expect(answer.headers.location).toBe('/');
    expect(await signedIn(client)).toBe(true);
    const [event] = (await events('sign-in.succeeded')).filter((e) => e.subject_account_id === admin.id).slice(-1);
    expect(event!.details).toMatchObject({ laAccount: true, providerMfa: true });

    idp.people.get('sub-olu')!.acr = 'possessionorinherence';
    await configure({ mfaAcr: 'possessionorinherence' });
    const c2 = browser();
    const b2 = await atProvider(c2, officer.username, 'olu.officer@camden.gov.uk', 'olu-pw');
    expect((await callback(c2, b2)).headers.location).toBe('/');
    delete idp.people.get('sub-olu')!.acr;
  });
});

describe('leavers', () => {
  async function signInOnce(account: FixtureAccount, login: string, password: string) {
    const client = browser();
    const back = await atProvider(client, account.username, login, password);
    await callback(client, back);
    await client.get('/sign-in/two-factor');
    t.clock.advance(30_000);
    await client.post('/sign-in/two-factor', { code: generateTotp(account.totpSecret!, t.clock.now()) });
    return client;
  }

  it('refuses a person disabled at the provider with a security alert, and archives them when the LA chose so', async () => {
    await configure({ archiveOnRefusal: true });
    await signInOnce(leaver, 'lee.leaver@camden.gov.uk', 'lee-pw');
    idp.people.get('sub-lee')!.disabled = true;

    const client = browser();
    const back = await atProvider(client, leaver.username, 'lee.leaver@camden.gov.uk', 'lee-pw');
    expect(new URL(back).searchParams.get('error')).toBe('access_denied');
    const page = await callback(client, back);
    expect(page.statusCode).toBe(403);
    expect(page.body).toContain('Your account has been archived');
    expect(page.body).toContain('Ada Admin');
    const account = await t.handle.db
      .selectFrom('accounts')
      .selectAll()
      .where('id', '=', leaver.id)
      .executeTakeFirstOrThrow();
    expect(account).toMatchObject({ status: 'archived', archive_reason: 'provisioning' });
    const [alert] = await events('sign-in.la-account-refused');
    expect(alert).toMatchObject({ security_alert: true, subject_account_id: leaver.id });
    expect(alert!.details).toMatchObject({ error: 'access_denied', archived: true });
    const mail = await t.handle.db
      .selectFrom('email_outbox')
      .selectAll()
      .where('template', '=', 'security-alert')
      .execute();
    expect(mail.some((m) => m.subject.includes('lee.leaver@camden.gov.uk'))).toBe(true);
    const [archived] = (await events('account.archived')).filter((e) => e.subject_account_id === leaver.id);
    expect(archived!.details).toMatchObject({ reason: 'provisioning' });
    await t.handle.db
      .updateTable('accounts')
      .set({ status: 'active', archived_at: null, archive_reason: null, deletion_due_at: null })
      .where('id', '=', leaver.id)
      .execute();
  });

  it('does not archive on a refusal the provider does not confirm (anyone can cancel, or write the URL)', async () => {
    await configure({ archiveOnRefusal: true });
    await signInOnce(officer, 'olu.officer@camden.gov.uk', 'olu-pw');
    const client = browser();
    const url = new URL(await toProvider(client, officer.username));
    const forged = `${CALLBACK}?error=access_denied&state=${url.searchParams.get('state')}&iss=${encodeURIComponent(idp.issuer)}`;
    const page = await callback(client, forged);
    expect(page.statusCode).toBe(403);
    expect(page.body).toContain('Your Camden account was refused');
    const account = await t.handle.db
      .selectFrom('accounts')
      .selectAll()
      .where('id', '=', officer.id)
      .executeTakeFirstOrThrow();
    expect(account.status).toBe('active');
    const mail = await t.handle.db
      .selectFrom('email_outbox')
      .selectAll()
      .where('template', '=', 'security-alert')
      .execute();
    const alert = mail.find((m) => m.subject === `Camden: your sign-in refused ${officer.username}`);
    expect(alert?.text_body).toContain('If this person has left, archive their Nexus account.');
  });

  it('does not archive on a refusal when the provider last honoured the person’s token longer ago than the re-check period', async () => {
    await configure({ archiveOnRefusal: true });
    await signInOnce(leaver, 'lee.leaver@camden.gov.uk', 'lee-pw');
    // Long after: the token may have expired or been revoked for harmless reasons (a password change).
    t.clock.advance((t.config.laSignInRecheckHours + 1) * 3_600_000);
    idp.people.get('sub-lee')!.disabled = true;
    const client = browser();
    const url = new URL(await toProvider(client, leaver.username));
    const forged = `${CALLBACK}?error=access_denied&state=${url.searchParams.get('state')}&iss=${encodeURIComponent(idp.issuer)}`;
    const page = await callback(client, forged);
    expect(page.statusCode).toBe(403);
    const account = await t.handle.db
      .selectFrom('accounts')
      .select('status')
      .where('id', '=', leaver.id)
      .executeTakeFirstOrThrow();
    expect(account.status).toBe('active');
    const [alert] = (await events('sign-in.la-account-refused')).slice(-1);
    expect(alert).toMatchObject({ security_alert: true, subject_account_id: leaver.id });
    expect(alert!.details).not.toMatchObject({ archived: true });
  });

  it('ends a session the provider no longer vouches for at the re-check', async () => {
    const client = await signInOnce(leaver, 'lee.leaver@camden.gov.uk', 'lee-pw');
    expect(await signedIn(client)).toBe(true);
    t.clock.advance(2 * 3_600_000);
    expect(await signedIn(client)).toBe(true); // refreshed: the provider still knows the person
    // A session at Nexus's own OpenID Connect provider (an application the person signed in to).
    await upsertOidcState(t.handle.db, {
      model: 'Session',
      id: 'session-of-lee',
      payload: { accountId: leaver.id, authorizations: {} },
      accountId: leaver.id,
      grantId: undefined,
      userCode: undefined,
      uid: undefined,
      expiresAt: undefined,
    });
    idp.people.get('sub-lee')!.disabled = true;
    t.clock.advance(2 * 3_600_000);
    expect(await signedIn(client)).toBe(false);
    const [failed] = (await events('sign-in.la-account-recheck-failed')).slice(-1);
    expect(failed!.details).toMatchObject({ outcome: 'refused' });
    const sessions = await t.handle.db
      .selectFrom('oidc_state')
      .select('id')
      .where('model', '=', 'Session')
      .where('account_id', '=', leaver.id)
      .execute();
    expect(sessions).toEqual([]);
  });
});

describe('provider outage', () => {
  it('leaves the break-glass account its password, and says the LA’s sign-in cannot be reached', async () => {
    await configure({ required: true });
    idp.setDown(true);
    const client = browser();
    await client.get('/sign-in');
    await client.post('/sign-in', { username: officer.username });
    const officerStep = await client.post('/sign-in/la-account', { username: officer.username });
    expect(officerStep.statusCode).toBe(503);
    expect(officerStep.body).toContain('Camden’s sign-in cannot be reached just now');

    const glass = browser();
    await glass.get('/sign-in');
    const step = await glass.post('/sign-in', { username: admin.username, password: TEST_PASSWORD });
    expect(step.statusCode).toBe(303);
    await glass.get('/sign-in/two-factor');
    t.clock.advance(30_000);
    const done = await glass.post('/sign-in/two-factor', { code: generateTotp(admin.totpSecret!, t.clock.now()) });
    expect(done.statusCode).toBe(303);
    expect(await signedIn(glass)).toBe(true);
  });
});

describe('the settings page', () => {
  it('shows the redirect URI to register, and saves the acr value that means multi-factor authentication', async () => {
    t.clock.advance(30_000);
    const client = await signInAs(t, admin, { ip: '10.9.9.9' });
    const page = await client.get('/admin/sign-in-settings');
    expect(page.body).toContain(`<code class="govuk-!-text-break-word" id="redirectUri">${CALLBACK}</code>`);
    const version = /name="version" value="(\d+)"/.exec(page.body)![1]!;
    const saved = await client.post('/admin/sign-in-settings', {
      issuer: idp.issuer,
      clientId: idp.clientId,
      clientSecret: '',
      claim: 'preferred_username',
      signIn: 'optional',
      breakGlass: admin.id,
      mfaAcr: 'possessionorinherence',
      version,
    });
    expect(saved.statusCode).toBe(303);
    const row = await t.handle.db.selectFrom('la_identity_providers').selectAll().executeTakeFirstOrThrow();
    expect(row.mfa_acr).toBe('possessionorinherence');
    const [event] = (await events('identity-provider.changed')).slice(-1);
    expect(event!.details).toMatchObject({ changes: { mfaAcr: [null, 'possessionorinherence'] } });

    // Admin > Users: the user page says how a linked person signs in.
    await t.handle.db
      .insertInto('la_account_links')
      .values({
        account_id: officer.id,
        organisation_id: camden,
        issuer: idp.issuer,
        subject: 'sub-olu',
        refresh_token_sealed: null,
        linked_at: t.clock.now(),
        confirmed_at: t.clock.now(),
      })
      .execute();
    const user = await client.get(`/admin/users/${officer.id}`);
    expect(user.body).toContain('LA account; also password, then authenticator app');
    const other = await client.get(`/admin/users/${analyst.id}`);
    expect(other.body).not.toContain('LA account;');
  });
});

describe('signing in again (an application asked for prompt=login or max_age)', () => {
  const seconds = (date: Date) => Math.floor(date.getTime() / 1000);

  /** Signed in to Nexus through the provider, whose own session (in `at`) then stays open. */
  async function signedInThroughProvider(client: FormClient, at: ProviderBrowser) {
    // Near the real time: the provider's auth_time is the real one.
    if (t.clock.now().getTime() < Date.now()) t.clock.set(new Date());
    await callback(
      client,
      await at.signIn(await toProvider(client, officer.username), idp.issuer, 'olu.officer@camden.gov.uk', 'olu-pw'),
    );
    await client.get('/sign-in/two-factor');
    await client.post('/sign-in/two-factor', { code: generateTotp(officer.totpSecret!, t.clock.now()) });
    expect(await signedIn(client)).toBe(true);
    t.clock.advance(30_000);
  }

  /** The password step the application's demand sends a signed-in person to, then its "Sign in with your Camden account". */
  async function startAgain(client: FormClient): Promise<URL> {
    const page = await client.get('/sign-in?again=1&returnTo=%2F');
    expect(page.body).toContain('asks you to sign in again');
    expect(page.body).toContain('Sign in with your Camden account');
    const started = await client.post('/sign-in/la-account', { username: officer.username, returnTo: '/' });
    expect(started.statusCode).toBe(303);
    return new URL(started.headers.location as string);
  }

  it('asks the provider for the password again (prompt=login, max_age=0) instead of its own session', async () => {
    const client = browser();
    const at = new ProviderBrowser();
    await signedInThroughProvider(client, at);
    const first = idp.authorizationRequests.at(-1)!;
    expect(first.get('prompt')).toBeNull();
    expect(first.get('max_age')).toBeNull();

    // An ordinary sign-in is answered by the provider's own session: no password typed there.
    const typed = idp.passwordsEntered.length;
    const other = browser();
    const silent = await at.signIn(await toProvider(other, officer.username), idp.issuer, 'unused', 'unused');
    expect((await callback(other, silent)).headers.location).toBe('/sign-in/two-factor');
    expect(idp.passwordsEntered.length).toBe(typed);

    const url = await startAgain(client);
    expect(url.origin).toBe(idp.issuer);
    expect(url.searchParams.get('prompt')).toBe('login');
    expect(url.searchParams.get('max_age')).toBe('0');
    const back = await at.signIn(url.href, idp.issuer, 'olu.officer@camden.gov.uk', 'olu-pw');
    expect(idp.authorizationRequests.at(-1)!.get('prompt')).toBe('login');
    expect(idp.passwordsEntered.slice(typed)).toEqual(['sub-olu']);
    const answer = await callback(client, back);
    expect(answer.statusCode).toBe(303);
    expect(answer.headers.location).toBe('/sign-in/two-factor?returnTo=%2F');
    const [started] = (await events('sign-in.la-account-started')).slice(-1);
    expect(started!.details).toMatchObject({ reauthenticate: true });
  });

  it.each([
    ['an auth_time before this sign-in began', (startedAt: Date) => seconds(startedAt) - 600],
    ['no auth_time', () => undefined],
  ])('refuses a re-authentication whose ID token has %s, saying why', async (_what, authTime) => {
    const client = browser();
    const at = new ProviderBrowser();
    await signedInThroughProvider(client, at);
    const url = await startAgain(client);
    const transaction = await t.handle.db
      .selectFrom('sessions')
      .select(['created_at', 'la_confirmed_at'])
      .where('la_state', '=', url.searchParams.get('state'))
      .executeTakeFirstOrThrow();
    expect(transaction.la_confirmed_at).toEqual(transaction.created_at);
    const back = await at.signIn(url.href, idp.issuer, 'olu.officer@camden.gov.uk', 'olu-pw');
    // The provider ignored prompt=login and answered from the sign-in it already had.
    idp.tamperNextIdToken((p) => ({ ...p, auth_time: authTime(transaction.created_at) }));
    const answer = await callback(client, back);
    expect(answer.statusCode).toBe(401);
    expect(answer.body).toContain('Camden did not ask for your password again');
    expect(await signedIn(client)).toBe(false);
    const [failed] = (await events('sign-in.failed')).slice(-1);
    expect(failed!.details).toMatchObject({ reason: 'la-account-not-fresh' });
  });
});
