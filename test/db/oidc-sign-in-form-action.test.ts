import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { SYSTEM_CONTEXT } from '../../src/services/request-context.ts';
import { FormClient } from '../support/browser.ts';
import { createAccount, supportAndCamdenAdmin, TEST_PASSWORD, type FixtureAccount } from '../support/fixtures.ts';
import { authorise, relyingParty, REDIRECT_URI } from '../support/oidc-client.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';

/**
 * Signing in to an application: Chromium applies the Content-Security-Policy's form-action to every
 * redirect a form's answer makes, and the two-factor step's answer ends at the application's return
 * address, so the sign-in pages of such a sign-in allow the application's origin beside 'self' (found
 * by e2e/oidc-reporting-app.test.ts); every other page keeps form-action 'self' alone.
 */

let t: TestApp;
let officer: FixtureAccount;
let browser: FormClient;
/** The return path of a sign-in to the application: the provider's interaction. */
let returnTo: string;
let clientId: string;
const APPLICATION_ORIGIN = new URL(REDIRECT_URI).origin;

beforeAll(async () => {
  t = await createTestApp();
  const people = await supportAndCamdenAdmin(t.handle.db, t.config.secretKey);
  officer = await createAccount(t.handle.db, t.config.secretKey, {
    organisationId: people.camden,
    username: 'olu.officer',
  });
  const { application, clientSecret } = await t.services.applications.register(
    { kind: 'system', label: 'test' },
    { name: 'Pupil reports', redirectUris: [REDIRECT_URI] },
    SYSTEM_CONTEXT,
  );
  clientId = application.clientId;
  const rp = await relyingParty(t.app, t.config.baseUrl, application.clientId, clientSecret);
  browser = new FormClient(t.app);
  returnTo = new URL((await authorise(browser, rp, t.config.baseUrl)).location, t.config.baseUrl).searchParams.get(
    'returnTo',
  )!;
});
afterAll(async () => t.close());

const formAction = (csp: unknown) => /form-action ([^;]*)/.exec(String(csp))?.[1];

it('lets every page of a sign-in to an application send its forms on to that application', async () => {
  expect(returnTo).toMatch(/^\/oidc\/auth\/[\w-]+\/interaction$/);
  const usernameStep = await browser.get(`/sign-in?returnTo=${encodeURIComponent(returnTo)}`);
  expect(usernameStep.statusCode).toBe(200);
  expect(formAction(usernameStep.headers['content-security-policy'])).toBe(`'self' ${APPLICATION_ORIGIN}`);

  const passwordStep = await browser.post('/sign-in', {
    username: officer.username,
    password: TEST_PASSWORD,
    returnTo,
  });
  expect(passwordStep.statusCode).toBe(303);
  const twoFactor = await browser.get(passwordStep.headers.location as string);
  expect(twoFactor.statusCode).toBe(200);
  expect(formAction(twoFactor.headers['content-security-policy'])).toBe(`'self' ${APPLICATION_ORIGIN}`);
});

it('knows the application’s origin from the moment the provider started the sign-in, without reading it back', async () => {
  const fresh = new FormClient(t.app);
  // One request to the provider, the redirect not followed.
  const started = await fresh.get(
    `/oidc/auth?${new URLSearchParams({
      client_id: clientId,
      redirect_uri: REDIRECT_URI,
      response_type: 'code',
      scope: 'openid',
      code_challenge: createHash('sha256').update(randomBytes(32).toString('base64url')).digest('base64url'),
      code_challenge_method: 'S256',
      state: 'the-state',
    })}`,
  );
  expect(started.statusCode).toBe(303);
  const path = new URL(started.headers.location as string, t.config.baseUrl).searchParams.get('returnTo')!;
  const uid = /^\/oidc\/auth\/([\w-]+)\/interaction$/.exec(path)![1]!;
  // Gone from the database: the page can only have the origin from when the provider started the interaction.
  await t.handle.db.deleteFrom('oidc_state').where('model', '=', 'Interaction').where('id', '=', uid).execute();
  const page = await fresh.get(`/sign-in?returnTo=${encodeURIComponent(path)}`);
  expect(page.statusCode).toBe(200);
  expect(formAction(page.headers['content-security-policy'])).toBe(`'self' ${APPLICATION_ORIGIN}`);
});

it('keeps form-action to the site itself for any other return path, or an interaction that does not exist', async () => {
  for (const other of [
    '/admin/users',
    '/oidc/auth/unknown-interaction/interaction',
    '/oidc/auth/../../x/interaction',
  ]) {
    const page = await new FormClient(t.app).get(`/sign-in?returnTo=${encodeURIComponent(other)}`);
    expect(page.statusCode).toBe(200);
    expect(formAction(page.headers['content-security-policy'])).toBe("'self'");
  }
});
