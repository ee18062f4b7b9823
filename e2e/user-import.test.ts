import { beforeAll, describe, expect, it } from 'vitest';
import type { FixtureAccount } from '../test/support/fixtures.ts';
import type { JourneyTab } from './support/browser.ts';
import { expectPage, seedNorthshireAdmin, signedInTab, useJourneyServer } from './support/journey-server.ts';

/**
 * CSV import (R58, R26) in Chromium, JavaScript on and off: a file with problems gets the report
 * by line and column and imports nothing; a good file imports; then a school re-assignment.
 * axe on every page; no console errors, CSP violations or failed requests.
 */
const TIMEOUT = 240_000;
const journey = useJourneyServer();
let admin: FixtureAccount;

beforeAll(async () => {
  const seeded = await seedNorthshireAdmin(journey);
  admin = seeded.admin;
  const la = seeded.organisationId;
  await journey.db
    .insertInto('schools')
    .values([
      { urn: 100001, organisation_id: la, name: 'Alder Primary', phase: 'Primary', updated_at: new Date() },
      { urn: 100002, organisation_id: la, name: 'Birch Secondary', phase: 'Secondary', updated_at: new Date() },
    ])
    .execute();
});

async function upload(tab: JourneyTab, name: string, content: string): Promise<void> {
  await tab.page
    .locator('input[type=file]')
    .setInputFiles({ name, mimeType: 'text/csv', buffer: Buffer.from(content, 'utf8') });
  await tab.navigate(() => tab.page.locator('main').getByRole('button', { name: 'Check and import' }).click());
}

for (const javaScript of [true, false]) {
  const suffix = javaScript ? 'js' : 'nojs';
  describe(`CSV import in the browser, JavaScript ${javaScript ? 'on' : 'off'}`, () => {
    it(
      'reports every problem by line and column and imports nothing, then imports a good file and re-assigns schools',
      async () => {
        const tab = await signedInTab(journey, admin, 'Ada Admin', javaScript);
        const { db } = journey;
        await tab.goto('/admin/users');
        await tab.audit();
        await tab.navigate(() => tab.page.locator('main a', { hasText: 'Import users' }).click());
        await expectPage(tab, 'Import users from a CSV file');

        const header = 'username,first_name,last_name,email,user_type\r\n';
        await upload(
          tab,
          'bad.csv',
          `${header}good.${suffix},Good,Row,good@northshire.gov.uk,read_only\r\n=cmd.${suffix},Bad,Row,bad@northshire.gov.uk,read_only\r\nok2.${suffix},Ok,Two,not-an-email,wizard\r\n`,
        );
        await expectPage(tab, 'Import users from a CSV file', 400);
        const problems = await tab.page.locator('table').first().locator('tbody tr').allInnerTexts();
        expect(problems.length).toBeGreaterThanOrEqual(3);
        expect(problems.join('\n')).toMatch(/^3\s+username/m);
        expect(problems.join('\n')).toMatch(/^4\s+email/m);
        expect(await db.selectFrom('accounts').select('id').where('username', 'like', `%.${suffix}`).execute()).toEqual(
          [],
        );

        await upload(
          tab,
          'good.csv',
          `${header}first.${suffix},Fiona,First,fiona@northshire.gov.uk,read_only\r\nsecond.${suffix},Sam,Second,sam@northshire.gov.uk,la_officer\r\n`,
        );
        await expectPage(tab, 'Import complete');
        expect(await tab.page.locator('main').innerText()).toContain(`first.${suffix}`);
        const created = await db
          .selectFrom('accounts')
          .select('username')
          .where('username', 'like', `%.${suffix}`)
          .orderBy('username')
          .execute();
        expect(created.map((a) => a.username)).toEqual([`first.${suffix}`, `second.${suffix}`]);

        await tab.goto('/admin/users/import-schools');
        await expectPage(tab, 'Import school assignments from a CSV file');
        await upload(
          tab,
          'schools.csv',
          `username,urn,role\r\nfirst.${suffix},100001,consultant\r\nfirst.${suffix},100002,governor\r\n`,
        );
        await expectPage(tab, 'Import complete');
        const schools = await db
          .selectFrom('school_assignments')
          .innerJoin('accounts', 'accounts.id', 'school_assignments.account_id')
          .select('school_assignments.role')
          .where('accounts.username', '=', `first.${suffix}`)
          .orderBy('school_assignments.role')
          .execute();
        expect(schools.map((s) => s.role)).toEqual(['consultant', 'governor']);
        expect(tab.problems).toEqual([]);
      },
      TIMEOUT,
    );
  });
}
