import { beforeAll, describe, expect, it } from 'vitest';
import { createAccount, type FixtureAccount } from '../test/support/fixtures.ts';
import { expectPage, seedNorthshireAdmin, signedInTab, useJourneyServer } from './support/journey-server.ts';

/**
 * The Schools tab's school picker (R26) in headless Chromium: with JavaScript an accessible
 * autocomplete over the LA's schools (GOV.UK's accessible-autocomplete), without it the plain
 * select; closed schools say so; adding a school already there says so instead of changing its
 * role. Every page is checked by axe, and the autocomplete also with its list open.
 */

const journey = useJourneyServer();
let admin: FixtureAccount;
const users: Record<'on' | 'off', FixtureAccount> = {} as never;

beforeAll(async () => {
  const seeded = await seedNorthshireAdmin(journey);
  admin = seeded.admin;
  await journey.db
    .insertInto('schools')
    .values([
      {
        urn: 100001,
        organisation_id: seeded.organisationId,
        name: 'Alder Primary',
        phase: 'Primary',
        updated_at: new Date(),
      },
      {
        urn: 100002,
        organisation_id: seeded.organisationId,
        name: 'Birch Secondary',
        phase: 'Secondary',
        updated_at: new Date(),
      },
      {
        urn: 100004,
        organisation_id: seeded.organisationId,
        name: 'Damson Academy',
        phase: 'Secondary',
        status: 'closed',
        updated_at: new Date(),
      },
    ])
    .execute();
  for (const mode of ['on', 'off'] as const)
    users[mode] = await createAccount(journey.db, journey.config.secretKey, {
      organisationId: seeded.organisationId,
      username: `una.${mode}`,
      firstName: 'Una',
      lastName: `User ${mode}`,
    });
}, 180_000);

describe('Schools tab: the school picker', () => {
  for (const javaScript of [true, false]) {
    const mode = javaScript ? 'on' : 'off';
    it(`adds a school, and refuses it again with a clear message, JavaScript ${mode}`, async () => {
      const tab = await signedInTab(journey, admin, 'Ada Admin', javaScript);
      const { page } = tab;
      const name = `Una User ${mode}`;
      const form = page.locator('main form', { has: page.getByRole('button', { name: 'Add school' }) });
      const addSchool = () => tab.navigate(() => form.getByRole('button', { name: 'Add school', exact: true }).click());
      const choose = async (typed: string, school: string) => {
        if (javaScript) {
          await form.getByRole('combobox', { name: 'School', exact: true }).fill(typed);
          await form.getByRole('option', { name: school, exact: true }).click();
        } else {
          await form.getByLabel('School', { exact: true }).selectOption({ label: school });
        }
        await form.getByLabel('Role', { exact: true }).selectOption({ label: 'Headteacher' });
      };

      await tab.goto(`/admin/users/${users[mode].id}/schools`);
      await expectPage(tab, name);
      if (javaScript) {
        const input = form.getByRole('combobox', { name: 'School', exact: true });
        expect(await input.isVisible()).toBe(true);
        // Typing filters the LA's schools; a closed school says so; axe with the list open too.
        const listed = () => form.locator('#schoolId__listbox').getByRole('option').allInnerTexts();
        await input.fill('dam');
        expect(await listed()).toEqual(['Damson Academy (100004) – closed']);
        await tab.audit();
        await input.fill('zzz');
        expect(await listed()).toEqual(['No school of this Local Authority matches']);
      } else {
        const select = form.getByLabel('School', { exact: true });
        expect(await select.locator('option').allInnerTexts()).toEqual([
          'Choose a school',
          'Alder Primary (100001)',
          'Birch Secondary (100002)',
          'Damson Academy (100004) – closed',
        ]);
      }

      await choose('bir', 'Birch Secondary (100002)');
      await addSchool();
      await expectPage(tab, name);
      expect(await page.locator('.govuk-notification-banner').innerText()).toContain('School added.');
      expect(await page.locator('main table').first().innerText()).toContain('Birch Secondary');

      await choose('birch', 'Birch Secondary (100002)');
      await addSchool();
      await expectPage(tab, name, 400);
      const message =
        "Birch Secondary is already in this user's schools as Headteacher. To change its role, remove it and add it again.";
      expect(await page.locator('.govuk-error-summary').innerText()).toContain(message);
      expect(await page.locator('.govuk-error-summary a').getAttribute('href')).toBe('#schoolId');
      if (javaScript) {
        // GOV.UK's error summary focuses the picker: the autocomplete's input took the select's id.
        await page.locator('.govuk-error-summary').getByRole('link', { name: message }).click();
        expect(await page.evaluate(() => document.activeElement?.getAttribute('role'))).toBe('combobox');
      }
    }, 180_000);
  }
});
