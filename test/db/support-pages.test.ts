import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Actor } from '../../src/domain/access.ts';
import { SYSTEM_CONTEXT } from '../../src/services/request-context.ts';
import type { FormClient } from '../support/browser.ts';
import { signInAs } from '../support/sign-in.ts';
import { createAccount, supportAndCamdenAdmin, type FixtureAccount } from '../support/fixtures.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';

let t: TestApp;
let support: FixtureAccount;
let admin: FixtureAccount;
let subscriber: FixtureAccount;
let archivedSubscriber: FixtureAccount;
let later: FixtureAccount;

const signIn = (account: FixtureAccount): Promise<FormClient> => signInAs(t, account);

beforeAll(async () => {
  t = await createTestApp();
  const db = t.handle.db;
  let camden: number;
  ({ camden, support, admin } = await supportAndCamdenAdmin(db, t.config.secretKey));
  subscriber = await createAccount(db, t.config.secretKey, {
    organisationId: camden,
    username: 'keen.reader',
    email: 'keen@camden.gov.uk',
  });
  archivedSubscriber = await createAccount(db, t.config.secretKey, {
    organisationId: camden,
    username: 'left.already',
    status: 'archived',
    email: 'left@camden.gov.uk',
  });
  later = await createAccount(db, t.config.secretKey, {
    organisationId: camden,
    username: 'leaves.later',
    email: 'later@camden.gov.uk',
  });
  for (const account of [subscriber, archivedSubscriber, later]) {
    await db
      .insertInto('communication_subscriptions')
      .values({ account_id: account.id, topic: 'release_notes', subscribed_at: new Date() })
      .execute();
  }
});
afterAll(async () => t?.close());

describe('central support pages', () => {
  it('sends a topic message to active subscribers only; an account archived before delivery never receives it (R46)', async () => {
    const client = await signIn(support);
    const form = await client.get('/support/communications');
    expect(form.body).toContain('Release notes (2 subscribers)');
    const bad = await client.post('/support/communications', {
      topic: 'release_notes',
      subject: 'Line\nbreak',
      body: '',
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toContain('Enter the message');
    const message = {
      topic: 'release_notes',
      subject: 'Version 2 <b>is</b> out',
      body: 'First paragraph.\n\nSecond paragraph.',
    };
    // A preview first (issue 13): the send carries the number of recipients it showed.
    const preview = await client.post('/support/communications', message);
    expect(preview.statusCode).toBe(200);
    expect(preview.body).toContain('Send to 2 people');
    const sent = await client.post('/support/communications/send', { ...message, recipients: '2' });
    expect(sent.statusCode).toBe(303);
    const rows = await t.handle.db
      .selectFrom('email_outbox')
      .select(['to_address', 'html_body'])
      .where('template', '=', 'topic-message')
      .orderBy('to_address')
      .execute();
    expect(rows.map((r) => r.to_address)).toEqual(['keen@camden.gov.uk', 'later@camden.gov.uk']);
    expect(rows[0]!.html_body).toContain('Version 2 &lt;b&gt;is&lt;/b&gt; out');

    const supportActor: Actor = {
      kind: 'account',
      accountId: support.id,
      organisationId: 0,
      organisationKind: 'central',
      privileges: new Set(['support']),
      label: 'support',
    };
    await t.services.userStatus.archive(supportActor, later.id, SYSTEM_CONTEXT);
    const remaining = await t.handle.db
      .selectFrom('email_outbox')
      .select('to_address')
      .where('template', '=', 'topic-message')
      .execute();
    expect(remaining.map((r) => r.to_address)).toEqual(['keen@camden.gov.uk']);
  });

  it('lists sent email without revealing the secret in invitation links', async () => {
    await t.handle.db.transaction().execute(async (trx) => {
      const account = await trx
        .selectFrom('accounts')
        .selectAll()
        .where('id', '=', subscriber.id)
        .executeTakeFirstOrThrow();
      await t.services.passwords.issueInvitation(trx, account, { accountId: null, label: 'system' }, SYSTEM_CONTEXT);
    });
    const invitation = await t.handle.db
      .selectFrom('email_outbox')
      .select(['id', 'text_body'])
      .where('template', '=', 'invitation')
      .executeTakeFirstOrThrow();
    const token = /\/invitation\/([A-Za-z0-9_-]+)/.exec(invitation.text_body)![1]!;
    const client = await signIn(support);
    const list = await client.get('/support/sent-email');
    expect(list.statusCode).toBe(200);
    expect(list.body).toContain('keen@camden.gov.uk');
    const page = await client.get(`/support/sent-email/${invitation.id}`);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('/invitation/[link hidden]');
    expect(page.body).not.toContain(token);
  });

  it('is for central support only', async () => {
    const client = await signIn(admin);
    expect((await client.get('/support/sent-email')).statusCode).toBe(403);
    expect((await client.get('/support/communications')).statusCode).toBe(403);
    await client.get('/');
    expect((await client.post('/support/communications', { topic: 'news', subject: 'x', body: 'y' })).statusCode).toBe(
      403,
    );
    expect(await t.handle.db.selectFrom('topic_messages').select('id').execute()).toHaveLength(1);
  });
});
