import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FormClient } from '../support/browser.ts';
import { signInAs } from '../support/sign-in.ts';
import { createAccount, createOrganisation, type FixtureAccount } from '../support/fixtures.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';

let t: TestApp;
let camden: number;
let admin: FixtureAccount;
let user: FixtureAccount;
let support: FixtureAccount;

const signIn = (account: FixtureAccount): Promise<FormClient> => signInAs(t, account);

beforeAll(async () => {
  t = await createTestApp();
  camden = await createOrganisation(t.handle.db, '202', 'Camden');
  const central = await createOrganisation(t.handle.db, 'central', 'NCER Support');
  support = await createAccount(t.handle.db, t.config.secretKey, {
    organisationId: central,
    username: 'support',
    userType: 'support',
  });
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

/** The hidden fields of the form posting to `action`, read as a browser would send them. */
function hiddenFields(body: string, action: string): Record<string, string> {
  const form = body.split(`action="${action}"`)[1]!.split('</form>')[0]!;
  const unescape = (v: string) =>
    v
      .replace(/&lt;/g, '<')
      .replace(/&gt;/g, '>')
      .replace(/&quot;/g, '"')
      .replace(/&#39;/g, "'")
      .replace(/&amp;/g, '&');
  return Object.fromEntries(
    [...form.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)]
      .filter((m) => m[1] !== '_csrf')
      .map((m) => [m[1]!, unescape(m[2]!)]),
  );
}

describe('topic emails: a preview, then the send as confirmed (issue 13, R46)', () => {
  const topic = 'data_collection';
  const subscribers: FixtureAccount[] = [];
  let client: FormClient;
  const db = () => t.handle.db;
  const subscribe = async (account: FixtureAccount) =>
    db()
      .insertInto('communication_subscriptions')
      .values({ account_id: account.id, topic, subscribed_at: new Date() })
      .execute();
  const outbox = async () =>
    db()
      .selectFrom('email_outbox')
      .select(['account_id', 'to_address', 'subject', 'text_body', 'html_body'])
      .where('template', '=', 'topic-message')
      .orderBy('account_id')
      .execute();
  const message = {
    topic,
    subject: 'School census: <b>dates</b> for spring',
    body: 'The spring census is on 15 January.\n\nReturns are due by\n29 January & no later.',
  };

  beforeAll(async () => {
    for (const [i, first] of ['Zoë', 'Ali', 'Sam'].entries()) {
      const account = await createAccount(db(), t.config.secretKey, {
        organisationId: camden,
        username: `census.${i}`,
        firstName: first,
        lastName: `Reader${i}`,
        email: `census${i}@camden.gov.uk`,
      });
      subscribers.push(account);
      await subscribe(account);
    }
    // Archived: subscribed, and never counted or written to (R46).
    const archived = await createAccount(db(), t.config.secretKey, {
      organisationId: camden,
      username: 'census.left',
      status: 'archived',
      email: 'left@camden.gov.uk',
    });
    await subscribe(archived);
    client = await signInAs(t, support);
  });

  it('previews the email with the real number of recipients and writes nothing', async () => {
    const form = await client.get('/support/communications');
    expect(form.body).toContain('Data collection reminders (3 subscribers)');
    const preview = await client.post('/support/communications', message);
    expect(preview.statusCode).toBe(200);
    expect(preview.body).toContain('<h1 class="govuk-heading-l">Check the message before sending</h1>');
    expect(preview.body).toContain('3 people subscribed to Data collection reminders, active accounts only');
    expect(preview.body).toContain('Send to 3 people');
    expect(preview.body).toContain('School census: &lt;b&gt;dates&lt;/b&gt; for spring');
    expect(await outbox()).toEqual([]);
    expect(await db().selectFrom('topic_messages').select('id').execute()).toEqual([]);
    // A bad message is sent back to the form with its errors, and nothing else happens.
    const bad = await client.post('/support/communications', { ...message, subject: '' });
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toContain('Enter a subject');
    expect(bad.body).toContain('The spring census is on 15 January.');
    // "Change the message" goes back to the form as it was.
    const edit = await client.post(
      '/support/communications/edit',
      hiddenFields(preview.body, '/support/communications/edit'),
    );
    expect(edit.statusCode).toBe(200);
    expect(edit.body).toContain('value="School census: &lt;b&gt;dates&lt;/b&gt; for spring"');
    expect(edit.body).toContain('Returns are due by\n29 January &amp; no later.</textarea>');
  });

  it('sends only after confirming: as many emails as the preview counted, each as previewed, greeting included', async () => {
    const preview = await client.post('/support/communications', message);
    const confirmed = hiddenFields(preview.body, '/support/communications/send');
    expect(confirmed).toEqual({ ...message, recipients: '3' });
    const count = Number(/Send to (\d+) people/.exec(preview.body)![1]);
    // The email as shown: the first recipient in the order of sending, greeting and all.
    const shown = /<div class="govuk-inset-text app-break-word" id="email-preview">([\s\S]*?)<\/div>/
      .exec(preview.body)![1]!
      .split('</p>')
      .map((p) => p.replace(/<p class="govuk-body">/, '').trim())
      .filter(Boolean)
      .map((p) =>
        p
          .replace(/<br>/g, '\n')
          .replace(/&amp;/g, '&')
          .replace(/&lt;/g, '<')
          .replace(/&gt;/g, '>')
          .replace(/&quot;/g, '"'),
      );
    const sent = await client.post('/support/communications/send', confirmed);
    expect(sent.statusCode).toBe(303);
    expect(sent.headers.location).toBe('/support/sent-email');
    const rows = await outbox();
    expect(rows).toHaveLength(count);
    expect(rows.map((r) => r.account_id)).toEqual(subscribers.map((s) => s.id).sort());
    const first = rows[0]!;
    const firstName = { [subscribers[0]!.id]: 'Zoë', [subscribers[1]!.id]: 'Ali', [subscribers[2]!.id]: 'Sam' }[
      first.account_id!
    ]!;
    expect(preview.body).toContain(`As ${firstName} Reader`);
    expect(shown[0]).toBe(`Dear ${firstName},`);
    expect(first.text_body.split('\n')[0]).toBe(shown[0]);
    expect(first.text_body.split('\n\n')).toEqual(shown);
    for (const row of rows) expect(row.subject).toBe('School census: <b>dates</b> for spring');
    expect(rows.map((r) => r.text_body.split('\n')[0]).sort()).toEqual(['Dear Ali,', 'Dear Sam,', 'Dear Zoë,']);
    expect(await db().selectFrom('topic_messages').select('id').execute()).toHaveLength(1);
  });

  it('refuses to send when more people subscribed since the preview; sends to fewer; never to an archived account', async () => {
    await db().deleteFrom('email_outbox').execute();
    const preview = await client.post('/support/communications', message);
    const confirmed = hiddenFields(preview.body, '/support/communications/send');
    expect(confirmed.recipients).toBe('3');
    const newcomer = await createAccount(db(), t.config.secretKey, {
      organisationId: camden,
      username: 'census.new',
      firstName: 'Nia',
      email: 'nia@camden.gov.uk',
    });
    await subscribe(newcomer);
    const refused = await client.post('/support/communications/send', confirmed);
    expect(refused.statusCode).toBe(409);
    expect(refused.body).toContain(
      'Nothing was sent. 1 more person has subscribed since you checked the message: it would now go to 4 people, not 3.',
    );
    expect(refused.body).toContain('Send to 4 people');
    expect(await outbox()).toEqual([]);
    // A count sent by hand is held to the same rule.
    expect((await client.post('/support/communications/send', { ...message, recipients: '0' })).statusCode).toBe(409);
    for (const recipients of ['', 'lots', '-1'])
      expect((await client.post('/support/communications/send', { ...message, recipients })).statusCode).toBe(400);
    expect(await outbox()).toEqual([]);
    // Confirmed for 4; one is archived before sending: 3 receive it, never the archived ones.
    const again = hiddenFields(refused.body, '/support/communications/send');
    expect(again.recipients).toBe('4');
    await db()
      .updateTable('accounts')
      .set({ status: 'archived', archived_at: new Date(), archive_reason: 'manual' })
      .where('id', '=', subscribers[1]!.id)
      .execute();
    const sent = await client.post('/support/communications/send', again);
    expect(sent.statusCode).toBe(303);
    const rows = await outbox();
    expect(rows.map((r) => r.to_address).sort()).toEqual([
      'census0@camden.gov.uk',
      'census2@camden.gov.uk',
      'nia@camden.gov.uk',
    ]);
  });

  it('is for central support only, with the CSRF token like every form', async () => {
    const before = (await outbox()).length;
    const adminClient = await signInAs(t, admin);
    await adminClient.get('/');
    expect((await adminClient.post('/support/communications', message)).statusCode).toBe(403);
    expect((await adminClient.post('/support/communications/send', { ...message, recipients: '9' })).statusCode).toBe(
      403,
    );
    const noToken = await client.post('/support/communications/send', { ...message, recipients: '9' }, { csrf: null });
    expect(noToken.statusCode).toBe(403);
    expect((await outbox()).length).toBe(before);
  });
});
