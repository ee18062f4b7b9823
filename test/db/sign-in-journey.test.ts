import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateTotp } from '../../src/domain/totp.ts';
import { FormClient } from '../support/browser.ts';
import { createAccount, createOrganisation, TEST_PASSWORD } from '../support/fixtures.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';

let t: TestApp;
let la: number;

beforeAll(async () => {
  t = await createTestApp();
  la = await createOrganisation(t.handle.db, '202', 'Camden');
});
afterAll(async () => t?.close());

describe('sign-in journey', () => {
  it('enrols TOTP on the first sign-in, then asks for a code on the second, and signs out on the server', async () => {
    const account = await createAccount(t.handle.db, t.config.secretKey, {
      organisationId: la,
      username: 'first.timer',
      enrolled: false,
    });
    const browser = new FormClient(t.app);
    await browser.get('/sign-in');
    const password = await browser.post('/sign-in', { username: 'First.Timer', password: TEST_PASSWORD });
    expect(password.statusCode).toBe(303);
    expect(password.headers.location).toBe('/sign-in/two-factor/setup');

    const setup = await browser.get('/sign-in/two-factor/setup');
    expect(setup.statusCode).toBe(200);
    expect(setup.body).toContain('<svg');
    const key = /<code>([A-Z2-7 ]+)<\/code>/.exec(setup.body)![1]!.replace(/ /g, '');
    const confirmed = await browser.post('/sign-in/two-factor/setup', { code: generateTotp(key, t.clock.now()) });
    expect(confirmed.statusCode).toBe(303);
    expect(confirmed.headers.location).toBe('/');
    const home = await browser.get('/');
    expect(home.statusCode).toBe(200);
    expect(home.body).toContain('first.timer');
    expect(home.body).toContain('Camden');

    await browser.post('/sign-out', {});
    expect((await browser.get('/')).headers.location).toBe('/sign-in');

    t.clock.advance(60_000);
    const again = new FormClient(t.app);
    await again.get('/sign-in');
    const second = await again.post('/sign-in', { username: 'first.timer', password: TEST_PASSWORD });
    expect(second.headers.location).toBe('/sign-in/two-factor');
    await again.get('/sign-in/two-factor');
    const done = await again.post('/sign-in/two-factor', { code: generateTotp(key, t.clock.now()) });
    expect(done.headers.location).toBe('/');
    expect((await again.get('/my-account')).statusCode).toBe(200);
    const row = await t.handle.db
      .selectFrom('accounts')
      .select(['last_sign_in_at'])
      .where('id', '=', account.id)
      .executeTakeFirstOrThrow();
    expect(row.last_sign_in_at?.toISOString()).toBe(t.clock.now().toISOString());
  });
});
