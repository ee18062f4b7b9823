import { beforeAll, describe, expect, it } from 'vitest';
import { giasExtractBytes } from '../src/demo/gias-extract.ts';
import { SYSTEM_CONTEXT } from '../src/services/request-context.ts';
import { createAccount, createOrganisation, type FixtureAccount } from '../test/support/fixtures.ts';
import { signedInTab, useJourneyServer } from './support/journey-server.ts';
import { ApplicationsPage } from './support/pages/applications-page.ts';
import { followNavigation } from './support/navigation.ts';
import { SchoolImportsPage } from './support/pages/school-imports-page.ts';

/**
 * Central support's School imports and Applications pages in headless Chromium: checked on arrival
 * and by axe (WCAG 2.2 AA), with JavaScript on and off; School imports after two imports (one with
 * a skipped row), Applications reached through the navigation, registered with a mistake first.
 */

const journey = useJourneyServer();
let support: FixtureAccount;

beforeAll(async () => {
  const { db, config, server } = journey;
  const central = await createOrganisation(db, 'central', 'NCER Support');
  support = await createAccount(db, config.secretKey, {
    organisationId: central,
    username: 'support',
    userType: 'support',
    firstName: 'Sam',
    lastName: 'Support',
  });
  const operator = { kind: 'system', label: 'command line' } as const;
  const rows = [
    {
      urn: 100001,
      name: 'St Anne’s Primary School',
      laCode: '202',
      laName: 'Camden',
      phase: 'Primary',
      status: 'Open',
    },
    { urn: 100002, name: 'Birch School', laCode: '202', laName: 'Camden', phase: 'Secondary', status: 'Closed' },
  ];
  await server.runtime.services.schoolImports.importFile(
    operator,
    { name: 'first.csv', bytes: giasExtractBytes(rows) },
    SYSTEM_CONTEXT,
  );
  await server.runtime.services.schoolImports.importFile(
    operator,
    {
      name: 'second.csv',
      bytes: giasExtractBytes([
        ...rows,
        { urn: 100003, name: 'Cedar', laCode: 'XX', laName: 'Camden', phase: 'Primary', status: 'Open' },
      ]),
    },
    SYSTEM_CONTEXT,
  );
}, 180_000);

describe('School imports (central support)', () => {
  for (const javaScript of [true, false]) {
    it(`shows the last import, its problems and earlier imports, JavaScript ${javaScript ? 'on' : 'off'}`, async () => {
      const tab = await signedInTab(journey, support, 'Sam Support', javaScript);
      const page = await SchoolImportsPage.open(tab);
      expect(await page.lastImport()).toMatchObject({
        File: 'second.csv',
        'Rows skipped': '1',
        Schools: '0 created, 0 updated, 0 closed, 2 unchanged',
      });
      expect(await page.page.locator('main').innerText()).toContain('URN 100003: "XX" is not a three-digit LA code');
      expect(await page.page.locator('main').innerText()).toContain('first.csv');
    }, 180_000);
  }
});

describe('Applications (central support)', () => {
  for (const javaScript of [true, false]) {
    it(`registers an application, shows its secret once and lists it, JavaScript ${javaScript ? 'on' : 'off'}`, async () => {
      const tab = await signedInTab(journey, support, 'Sam Support', javaScript);
      await followNavigation(tab, 'Applications');
      const page = await new ApplicationsPage(tab).expectOn();
      const name = `Pupil reports ${javaScript ? 'A' : 'B'}`;
      const before = await page.rows();
      expect(before.map((r) => r.Name)).not.toContain(name);

      // A mistake in every field: each message next to its field and in the summary, nothing saved.
      const refused = await page.registerRefused({
        name: '',
        redirectUris: 'http://reports.example/callback',
        backchannelLogoutUri: 'not an address',
      });
      const { summary, fields } = await refused.errors();
      expect(Object.keys(fields).sort()).toEqual(['backchannelLogoutUri', 'name', 'redirectUris']);
      expect(summary).toEqual(expect.arrayContaining(Object.values(fields)));
      expect(await refused.rows()).toHaveLength(before.length);

      const uri = `https://reports-${javaScript ? 'a' : 'b'}.nexus.example/callback`;
      const shown = await refused.register({ name, redirectUris: uri });
      const details = await shown.details();
      expect(details.Issuer).toBe(`${journey.config.baseUrl}/oidc`);
      expect(details['Client ID']).toMatch(/\S/);
      expect(details['Client secret']!.length).toBeGreaterThanOrEqual(32);
      expect(await tab.page.locator('.govuk-warning-text').innerText()).toContain('cannot be shown again');

      const listed = await shown.backToApplications();
      const row = (await listed.rows()).find((r) => r.Name === name);
      expect(row).toMatchObject({ 'Client ID': details['Client ID'], 'Return addresses': uri, State: 'Enabled' });
      // Listed, never with its secret.
      expect(await tab.page.locator('main').innerText()).not.toContain(details['Client secret']);

      const rotated = await (await listed.newSecret(name)).details();
      expect(rotated['Client ID']).toBe(details['Client ID']);
      expect(rotated['Client secret']).not.toBe(details['Client secret']);
    }, 180_000);
  }
});
