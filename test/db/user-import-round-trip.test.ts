import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Actor } from '../../src/domain/access.ts';
import { parseUserListQuery } from '../../src/domain/user-filters.ts';
import { SYSTEM_CONTEXT } from '../../src/services/request-context.ts';
import { createAccount, type FixtureAccount } from '../support/fixtures.ts';
import { seedCamdenForImport } from '../support/import-fixtures.ts';
import { signInAs } from '../support/sign-in.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';

/**
 * Issue 14 item 14, the round trip: Admin > Users' export in the import's format, imported into an
 * empty LA (another installation with the same LA, schools and groups), exported again, is the
 * same file to the byte.
 */

const SYSTEM: Actor = { kind: 'system', label: 'command line' };

const HEADER =
  'username,first_name,last_name,email,job_title,phone,user_type,privileges,cin_cla_agreed_by,cin_cla_agreed_role,cin_cla_agreed_on,schools,school_groups,access_end_date';

/** Accounts with every column in use: lists, an agreement, no privileges, dates, text to quote. */
const ACCOUNTS = [
  HEADER,
  'ann.able,Ann,Able,ann.able@camden.gov.uk,"Head of Data, Schools",01632 960 001,la_officer,,,,,100001:consultant; 100002:governor,North cluster; South cluster,2027-03-31',
  'bea.brook,Béatrice,O’Brook,bea@camden.gov.uk,"Says ""hi""",\'+44 808 157 0192,virtual_school,cin_cla; view_users,Ann Head,Virtual Head,2026-10-01,,,',
  'cal.cole,Cal,Cole,cal@camden.gov.uk,,,read_only,none,,,,,,',
  'dee.dale,Dee,Dale,dee@camden.gov.uk,Analyst,,school_improvement,view_users; summary_reports,,,,100002:link_adviser,South cluster,31/12/2026',
].join('\r\n');

const GROUPS = ['North cluster', 'South cluster'];

async function exportForImport(t: TestApp): Promise<string> {
  const { query } = parseUserListQuery({ la: '202' });
  const { lines } = await t.services.directory.exportCsv(SYSTEM, query, SYSTEM_CONTEXT, 'import');
  let text = '';
  for await (const chunk of lines) text += chunk;
  return text;
}

let first: TestApp;
let second: TestApp;
let admin: FixtureAccount;

beforeAll(async () => {
  [first, second] = await Promise.all([createTestApp(), createTestApp()]);
  const camden = await seedCamdenForImport(first.handle.db, GROUPS);
  await seedCamdenForImport(second.handle.db, GROUPS);
  admin = await createAccount(first.handle.db, first.config.secretKey, {
    organisationId: camden,
    username: 'camden.admin',
    userType: 'la_admin',
    firstName: 'Zed',
    lastName: 'Zeal',
  });
  await first.services.userImport.importAccounts(
    SYSTEM,
    '202',
    { name: 'accounts.csv', bytes: Buffer.from(ACCOUNTS) },
    SYSTEM_CONTEXT,
  );
});
afterAll(async () => Promise.all([first?.close(), second?.close()]));

describe('export in the import format → import into an empty LA → export again', () => {
  it('gives the same file, with every column of every account', async () => {
    const client = await signInAs(first, admin);
    const download = await client.get('/admin/users/export-for-import.csv');
    expect(download.statusCode).toBe(200);
    expect(download.headers['content-disposition']).toBe('attachment; filename="users-for-import-202-2026-11-02.csv"');
    const exported = download.body;
    expect(exported.replace(/^\uFEFF/, '')).toBe(await exportForImport(first));
    expect(exported.replace(/^\uFEFF/, '').split('\r\n')).toEqual([
      HEADER,
      'ann.able,Ann,Able,ann.able@camden.gov.uk,"Head of Data, Schools",01632 960 001,la_officer,view_users; summary_reports; pupil_level,,,,100001:consultant; 100002:governor,North cluster; South cluster,2027-03-31',
      'cal.cole,Cal,Cole,cal@camden.gov.uk,,,read_only,none,,,,,,',
      'dee.dale,Dee,Dale,dee@camden.gov.uk,Analyst,,school_improvement,view_users; summary_reports,,,,100002:link_adviser,South cluster,2026-12-31',
      'bea.brook,Béatrice,O’Brook,bea@camden.gov.uk,"Says ""hi""",\'+44 808 157 0192,virtual_school,view_users; cin_cla,Ann Head,Virtual Head,2026-10-01,,,',
      'camden.admin,Zed,Zeal,camden.admin@example.gov.uk,,,la_admin,manage_users; nexus_admin; view_users; summary_reports; pupil_level; manage_school_groups,,,,,,',
      '',
    ]);

    const imported = await second.services.userImport.importAccounts(
      SYSTEM,
      '202',
      { name: 'users-for-import-202.csv', bytes: Buffer.from(exported) },
      SYSTEM_CONTEXT,
    );
    expect(imported.created).toHaveLength(5);
    expect(imported.notices).toEqual([]);
    expect(await exportForImport(second)).toBe(exported.replace(/^\uFEFF/, ''));
  });

  it('is audited as an export of users, with its filters and its format', async () => {
    const client = await signInAs(first, admin);
    const response = await client.get('/admin/users/export-for-import.csv?type=la_officer&sort=-name');
    expect(response.statusCode).toBe(200);
    expect(
      response.body
        .replace(/^\uFEFF/, '')
        .split('\r\n')
        .slice(1, -1),
    ).toEqual([expect.stringMatching(/^ann\.able,/)]);
    const event = await first.handle.db
      .selectFrom('audit_events')
      .select(['action', 'actor_account_id', 'details'])
      .where('action', '=', 'users.exported')
      .orderBy('occurred_at', 'desc')
      .orderBy('id', 'desc')
      .executeTakeFirstOrThrow();
    expect(event).toEqual({
      action: 'users.exported',
      actor_account_id: admin.id,
      details: { filters: { type: 'la_officer', sort: '-name', status: 'active' }, format: 'import' },
    });
  });
});
