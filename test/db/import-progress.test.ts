import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { giasExtractBytes, type GiasExtractRow } from '../../src/demo/gias-extract.ts';
import type { Actor } from '../../src/domain/access.ts';
import type { ImportProgressEvent } from '../../src/services/imports/import-progress.ts';
import { SCHOOLS_PER_STATEMENT } from '../../src/services/imports/school-import-service.ts';
import { SYSTEM_CONTEXT } from '../../src/services/request-context.ts';
import { createOrganisation } from '../support/fixtures.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';

/**
 * Long imports tell the command line how far they are (issue 13, item 10): rows read, then rows
 * written; the GIAS schools are written a slice at a time, with the counts of one statement.
 */

const OPERATOR: Actor = { kind: 'system', label: 'command line' };
let t: TestApp;

beforeAll(async () => {
  t = await createTestApp({ now: '2026-12-05T10:00:00Z' });
  await createOrganisation(t.handle.db, '202', 'Camden');
});
afterAll(async () => t?.close());

describe('import progress', () => {
  it('reports a GIAS extract read, then written slice by slice, with the same counts as one statement', async () => {
    const total = 2 * SCHOOLS_PER_STATEMENT + 7;
    const rows: GiasExtractRow[] = Array.from({ length: total }, (_, i) => ({
      urn: 700_000 + i,
      name: `Progress School ${i}`,
      laCode: String(300 + (i % 3)),
      laName: `Authority ${i % 3}`,
      phase: 'Primary',
      status: i % 10 === 0 ? 'Closed' : 'Open',
    }));
    const events: ImportProgressEvent[] = [];
    const file = { name: 'edubasealldata.csv', bytes: giasExtractBytes(rows) };
    const first = await t.services.schoolImports.importFile(OPERATOR, file, SYSTEM_CONTEXT, (e) => events.push(e));
    expect(events).toEqual([
      { stage: 'read', rows: total },
      { stage: 'written', rows: SCHOOLS_PER_STATEMENT, of: total },
      { stage: 'written', rows: 2 * SCHOOLS_PER_STATEMENT, of: total },
      { stage: 'written', rows: total, of: total },
    ]);
    expect(first.schools).toEqual({ created: total, updated: 0, closed: 0, unchanged: 0 });
    // A change in the last slice and one in the first: each counted once.
    const changed = rows.map((r, i) =>
      i === 1 ? { ...r, name: 'Renamed' } : i === total - 1 ? { ...r, status: 'Closed' } : r,
    );
    const second = await t.services.schoolImports.importFile(
      OPERATOR,
      { name: 'again.csv', bytes: giasExtractBytes(changed) },
      SYSTEM_CONTEXT,
    );
    expect(second.schools).toEqual({ created: 0, updated: 1, closed: 1, unchanged: total - 2 });
  });

  it('reports the accounts of a CSV read, then written', async () => {
    const header =
      'username,first_name,last_name,email,job_title,phone,user_type,privileges,cin_cla_agreed_by,schools,school_groups,access_end_date';
    const lines = [0, 1, 2].map((i) => `progress.${i},Ima,Porter,progress.${i}@camden.gov.uk,,,la_officer,,,,,`);
    const events: ImportProgressEvent[] = [];
    const result = await t.services.userImport.importAccounts(
      OPERATOR,
      '202',
      { name: 'users.csv', bytes: Buffer.from([header, ...lines].join('\r\n') + '\r\n') },
      SYSTEM_CONTEXT,
      (e) => events.push(e),
    );
    expect(result.created).toHaveLength(3);
    expect(events).toEqual([
      { stage: 'read', rows: 3 },
      { stage: 'written', rows: 3, of: 3 },
    ]);
  });
});
