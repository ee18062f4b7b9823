import { beforeAll, describe, expect, it } from 'vitest';
import { createAccount, createOrganisation, type FixtureAccount } from '../test/support/fixtures.ts';
import { expectPage, signedInTab, useJourneyServer } from './support/journey-server.ts';

/**
 * Topic emails (issue 13, item 9) in headless Chromium, JavaScript on and off: write, check the
 * preview (recipients and the email with its greeting), change the message and come back with it
 * intact (line breaks included, through the preview's hidden fields), then send as confirmed.
 * Every page is checked on arrival and by axe.
 */

const journey = useJourneyServer();
let support: FixtureAccount;

beforeAll(async () => {
  const { db, config } = journey;
  const central = await createOrganisation(db, 'central', 'NCER Support');
  const camden = await createOrganisation(db, '202', 'Camden');
  support = await createAccount(db, config.secretKey, {
    organisationId: central,
    username: 'support',
    userType: 'support',
    firstName: 'Sam',
    lastName: 'Support',
  });
  for (const [username, status] of [
    ['kim.reader', 'active'],
    ['old.reader', 'archived'],
  ] as const) {
    const account = await createAccount(db, config.secretKey, {
      organisationId: camden,
      username,
      firstName: username === 'kim.reader' ? 'Kim' : 'Olu',
      lastName: 'Reader',
      status,
    });
    await db
      .insertInto('communication_subscriptions')
      .values({ account_id: account.id, topic: 'release_notes', subscribed_at: new Date() })
      .execute();
  }
}, 180_000);

describe('Topic emails (central support)', () => {
  for (const javaScript of [true, false]) {
    it(`are previewed, changed and sent as confirmed, JavaScript ${javaScript ? 'on' : 'off'}`, async () => {
      const tab = await signedInTab(journey, support, 'Sam Support', javaScript);
      const { page } = tab;
      const main = page.locator('main');
      const subject = `Version 3 is out (${javaScript ? 'on' : 'off'})`;
      const message = 'Line one of the first paragraph\nand its second line.\n\nThe second paragraph & more.';
      await tab.goto('/support/communications');
      await expectPage(tab, 'Send a communication');
      await page.getByLabel('Release notes (1 subscribers)').check();
      await page.getByLabel('Subject').fill(subject);
      await page.getByLabel('Message').fill(message);
      const click = (name: string) => tab.navigate(() => main.getByRole('button', { name, exact: true }).click());

      await click('Check the message');
      await expectPage(tab, 'Check the message before sending');
      expect(await main.innerText()).toContain('1 person subscribed to Release notes, active accounts only');
      expect(await main.innerText()).toContain('As Kim Reader (kim.reader@example.gov.uk) will receive it.');
      const shown = await page.locator('#email-preview').innerText();
      expect(shown.split('\n').filter(Boolean).slice(0, 4)).toEqual([
        'Dear Kim,',
        'Line one of the first paragraph and its second line.',
        'The second paragraph & more.',
        expect.stringContaining('You get this because you subscribed to "Release notes".'),
      ]);

      await click('Change the message');
      await expectPage(tab, 'Send a communication');
      expect(await page.getByLabel('Subject').inputValue()).toBe(subject);
      expect((await page.getByLabel('Message').inputValue()).replace(/\r\n/g, '\n')).toBe(message);
      expect(await page.getByLabel('Release notes (1 subscribers)').isChecked()).toBe(true);

      await click('Check the message');
      await expectPage(tab, 'Check the message before sending');
      expect(
        await journey.db.selectFrom('topic_messages').select('id').where('subject', '=', subject).execute(),
      ).toEqual([]);
      await click('Send to 1 person');
      await expectPage(tab, 'Sent email');
      expect(await page.locator('.govuk-notification-banner').innerText()).toContain(
        'Message written for 1 subscriber.',
      );
      const sent = await journey.db
        .selectFrom('email_outbox')
        .select(['to_address', 'text_body'])
        .where('template', '=', 'topic-message')
        .where('subject', '=', subject)
        .execute();
      expect(sent.map((r) => r.to_address)).toEqual(['kim.reader@example.gov.uk']);
      expect(sent[0]!.text_body.split('\n').filter(Boolean)).toEqual(shown.split('\n').filter(Boolean));
    }, 180_000);
  }
});
