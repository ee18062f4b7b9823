import { beforeAll, describe, expect, it } from 'vitest';
import { giasExtractBytes } from '../src/demo/gias-extract.ts';
import { SYSTEM_CONTEXT } from '../src/services/request-context.ts';
import { createAccount, createOrganisation, type FixtureAccount } from '../test/support/fixtures.ts';
import { signedInTab, useJourneyServer } from './support/journey-server.ts';
import { SchoolImportsPage } from './support/pages/school-imports-page.ts';

/**
 * Central support's School imports page in headless Chromium: checked on arrival and by axe
 * (WCAG 2.2 AA), with JavaScript on and off, after two imports (one with a skipped row).
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
