import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FormClient } from '../support/browser.ts';
import { signInAs } from '../support/sign-in.ts';
import { createAccount, createOrganisation, type FixtureAccount } from '../support/fixtures.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';

let t: TestApp;
let admin: FixtureAccount;
let user: FixtureAccount;

const signIn = (account: FixtureAccount): Promise<FormClient> => signInAs(t, account);

beforeAll(async () => {
  t = await createTestApp();
  const camden = await createOrganisation(t.handle.db, '202', 'Camden');
  admin = await createAccount(t.handle.db, t.config.secretKey, {
    organisationId: camden,
    username: 'camden.admin',
    userType: 'la_admin',
  });
  user = await createAccount(t.handle.db, t.config.secretKey, {
    organisationId: camden,
    username: 'camden.user',
    userType: 'la_officer',
  });
});
afterAll(async () => t?.close());

describe('communications (R25)', () => {
  it('lets the user choose their own topics, shows the recommended one, and shows them read-only to administrators', async () => {
    const client = await signIn(user);
    const page = await client.get('/my-account/communications');
    expect(page.body).toContain('NCER &amp; Nexus News &amp; Updates');
    expect(page.body).toContain('Recommended');
    expect((await client.post('/my-account/communications', { topics: ['news', 'training'] })).statusCode).toBe(303);
    const rows = await t.handle.db
      .selectFrom('communication_subscriptions')
      .select('topic')
      .where('account_id', '=', user.id)
      .orderBy('topic')
      .execute();
    expect(rows.map((r) => r.topic)).toEqual(['news', 'training']);
    const audit = await t.handle.db
      .selectFrom('audit_events')
      .select('details')
      .where('action', '=', 'communications.changed')
      .executeTakeFirstOrThrow();
    expect(audit.details).toEqual({ topics: [[], ['news', 'training']] });

    const bad = await client.post('/my-account/communications', { topics: ['news', '<script>x</script>'] });
    expect(bad.statusCode).toBe(400);
    expect(bad.body).not.toContain('<script>x');
    expect(
      (
        await t.handle.db
          .selectFrom('communication_subscriptions')
          .select('topic')
          .where('account_id', '=', user.id)
          .execute()
      ).length,
    ).toBe(2);

    const adminClient = await signIn(admin);
    const tab = await adminClient.get(`/admin/users/${user.id}/communications`);
    expect(tab.statusCode).toBe(200);
    expect(tab.body).toContain('Training and events: <strong>Subscribed</strong>');
    expect(tab.body).not.toContain('name="topics"');
  });
});
