import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashToken } from '../../src/services/sign-in/secrets.ts';
import { supportAndCamdenAdmin } from '../support/fixtures.ts';
import { signInAs } from '../support/sign-in.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';

let t: TestApp;
let people: Awaited<ReturnType<typeof supportAndCamdenAdmin>>;

beforeAll(async () => {
  t = await createTestApp();
  people = await supportAndCamdenAdmin(t.handle.db, t.config.secretKey);
});
afterAll(async () => {
  await t.close();
});

describe('Support > Applications (issue 16 item 5)', () => {
  it('central support registers an application and sees its secret once; a new secret; disable and enable', async () => {
    const support = await signInAs(t, people.support);
    const empty = await support.get('/support/applications');
    expect(empty.statusCode).toBe(200);
    expect(empty.body).toContain('No application is registered yet.');

    const refused = await support.post('/support/applications', {
      name: 'Pupil reports',
      redirectUris: 'http://reports.nexus.example/callback',
    });
    expect(refused.statusCode).toBe(400);
    expect(refused.body).toContain('The return address must start with https:// (http:// only for localhost)');
    expect(await t.handle.db.selectFrom('oidc_clients').select('client_id').execute()).toEqual([]);

    const done = await support.post('/support/applications', {
      name: 'Pupil reports',
      redirectUris: 'https://reports.nexus.example/callback\r\nhttps://reports.nexus.example/callback2',
      backchannelLogoutUri: '',
    });
    expect(done.statusCode).toBe(200);
    expect(done.headers['cache-control']).toBe('no-store');
    const row = await t.handle.db.selectFrom('oidc_clients').selectAll().executeTakeFirstOrThrow();
    expect(row.redirect_uris).toEqual([
      'https://reports.nexus.example/callback',
      'https://reports.nexus.example/callback2',
    ]);
    const secret = /<code>([\w-]{43})<\/code>/.exec(done.body)?.[1];
    expect(hashToken(secret!)).toBe(row.secret_hash);

    const listed = await support.get('/support/applications');
    expect(listed.body).toContain(row.client_id);
    expect(listed.body).not.toContain(secret);

    const rotated = await support.post(`/support/applications/${row.client_id}/secret`, {});
    expect(rotated.statusCode).toBe(200);
    const newSecret = /<code>([\w-]{43})<\/code>/.exec(rotated.body)?.[1];
    expect(newSecret).not.toBe(secret);

    const disabled = await support.post(`/support/applications/${row.client_id}/disable`, {});
    expect(disabled.statusCode).toBe(303);
    expect((await support.get('/support/applications')).body).toContain('Pupil reports is disabled.');
    const again = await support.post(`/support/applications/${row.client_id}/disable`, {});
    expect(again.statusCode).toBe(409);
    expect((await support.post(`/support/applications/${row.client_id}/enable`, {})).statusCode).toBe(303);
  });

  it('an LA administrator is refused the page and the forms', async () => {
    const admin = await signInAs(t, people.admin);
    expect((await admin.get('/support/applications')).statusCode).toBe(403);
    expect(
      (await admin.post('/support/applications', { name: 'Mine', redirectUris: 'https://x.example/cb' })).statusCode,
    ).toBe(403);
    expect(await t.handle.db.selectFrom('oidc_clients').select('name').where('name', '=', 'Mine').execute()).toEqual(
      [],
    );
  });
});
