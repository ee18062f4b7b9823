import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { giasExtractBytes, type GiasExtractRow } from '../../src/demo/gias-extract.ts';
import type { Actor } from '../../src/domain/access.ts';
import { PROJECT_ROOT } from '../../src/paths.ts';
import { isoWeek } from '../../src/services/lifecycle/digest-service.ts';
import { SYSTEM_CONTEXT } from '../../src/services/request-context.ts';
import { createAccount, supportAndCamdenAdmin, type FixtureAccount } from '../support/fixtures.ts';
import { signInAs } from '../support/sign-in.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';
import { zipFile } from '../support/zip-write.ts';

/**
 * Issue 14 items 15, 18 and 19 through the service, the page and the digest: the .zip as GIAS
 * serves it, a school that GIAS moves to another LA, and a file that is not text.
 */

const OPERATOR: Actor = { kind: 'system', label: 'command line' };
const FIXTURE = readFileSync(path.join(PROJECT_ROOT, 'test/fixtures/gias/extract.zip'));

let t: TestApp;
let support: FixtureAccount;
let admin: FixtureAccount;

const camdenRow = (urn: number, name: string): GiasExtractRow => ({
  urn,
  name,
  laCode: '202',
  laName: 'Camden',
  phase: 'Primary',
  status: 'Open',
});

const importBytes = (name: string, bytes: Uint8Array) =>
  t.services.schoolImports.importFile(OPERATOR, { name: `/downloads/${name}`, bytes }, SYSTEM_CONTEXT);

const school = (urn: number) =>
  t.handle.db.selectFrom('schools').selectAll().where('urn', '=', urn).executeTakeFirstOrThrow();

const importCount = async () =>
  Number(
    (
      await t.handle.db
        .selectFrom('school_imports')
        .select((eb) => eb.fn.countAll<string>().as('n'))
        .executeTakeFirstOrThrow()
    ).n,
  );

beforeAll(async () => {
  t = await createTestApp();
  ({ support, admin } = await supportAndCamdenAdmin(t.handle.db, t.config.secretKey));
});
afterAll(async () => t?.close());

describe('the GIAS download as a .zip (item 15)', () => {
  it('imports the extract inside the zip and records the zip with the CSV read from it', async () => {
    const result = await importBytes('extract.zip', FIXTURE);
    expect(result).toMatchObject({
      fileName: 'extract.zip/edubasealldata20261128.csv',
      rowsRead: 4,
      schools: { created: 3, updated: 0, closed: 0, unchanged: 0 },
      rowsSkipped: 1,
      moves: [],
    });
    expect((await school(100002)).name).toBe('St Anne’s Catholic Primary School – Annexe');
    const again = await importBytes('extract.zip', FIXTURE);
    expect(again.schools).toEqual({ created: 0, updated: 0, closed: 0, unchanged: 3 });
  });
});

describe('a school that GIAS moves to another LA (item 18)', () => {
  let adviser: FixtureAccount;
  let formerAdviser: FixtureAccount;
  let camdenId: number;

  beforeAll(async () => {
    await importBytes(
      'before.csv',
      giasExtractBytes([camdenRow(400001, 'Hawthorn Primary School'), camdenRow(400002, 'Juniper Primary School')]),
    );
    const hawthorn = await school(400001);
    camdenId = hawthorn.organisation_id;
    adviser = await createAccount(t.handle.db, t.config.secretKey, {
      organisationId: camdenId,
      username: 'hawthorn.adviser',
      firstName: 'Hana',
      lastName: 'Adebayo',
    });
    formerAdviser = await createAccount(t.handle.db, t.config.secretKey, {
      organisationId: camdenId,
      username: 'former.adviser',
      status: 'archived',
    });
    await t.handle.db
      .insertInto('school_assignments')
      .values([
        { account_id: adviser.id, school_id: hawthorn.id, role: 'link_adviser', assigned_at: t.clock.now() },
        { account_id: formerAdviser.id, school_id: hawthorn.id, role: 'consultant', assigned_at: t.clock.now() },
      ])
      .execute();
  });

  it("moves the school, keeps the old LA's assignments to it and lists them in the import report", async () => {
    const moved = { ...camdenRow(400001, 'Hawthorn Primary School'), laCode: '213', laName: 'Westminster' };
    const result = await importBytes(
      'after.csv',
      giasExtractBytes([moved, camdenRow(400002, 'Juniper Primary School')]),
    );
    expect(result.schools).toMatchObject({ created: 0, updated: 1, unchanged: 1 });
    expect(result.moves).toEqual([
      {
        urn: 400001,
        name: 'Hawthorn Primary School',
        from: { code: '202', name: 'Camden' },
        to: { code: '213', name: 'Westminster' },
        kept: [
          { accountId: formerAdviser.id, username: 'former.adviser', role: 'consultant', archived: true },
          { accountId: adviser.id, username: 'hawthorn.adviser', role: 'link_adviser', archived: false },
        ],
      },
    ]);
    const westminster = await t.handle.db
      .selectFrom('organisations')
      .select('id')
      .where('la_code', '=', '213')
      .executeTakeFirstOrThrow();
    expect((await school(400001)).organisation_id).toBe(westminster.id);
    const kept = await t.handle.db
      .selectFrom('school_assignments')
      .select(['account_id', 'role'])
      .where('school_id', '=', (await school(400001)).id)
      .orderBy('role')
      .execute();
    expect(kept).toEqual([
      { account_id: formerAdviser.id, role: 'consultant' },
      { account_id: adviser.id, role: 'link_adviser' },
    ]);
    const event = await t.handle.db
      .selectFrom('audit_events')
      .select('details')
      .where('action', '=', 'schools.imported')
      .orderBy('id', 'desc')
      .executeTakeFirstOrThrow();
    expect(event.details).toMatchObject({ moved: [{ urn: 400001, from: '202', to: '213', assignmentsKept: 2 }] });
  });

  it('shows the move and the kept assignments on the School imports page, apart from the problems', async () => {
    const client = await signInAs(t, support);
    const page = await client.get('/support/school-imports');
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('<h2 class="govuk-heading-m">Schools moved to another Local Authority</h2>');
    expect(page.body).toContain(
      '<li>URN 400001 Hawthorn Primary School moved from Camden (202) to Westminster (213). 2 accounts of Camden keep their assignments to it: former.adviser (Consultant, archived), hawthorn.adviser (Link Adviser).</li>',
    );
    expect(page.body).toMatch(
      /Problems in the last import<\/h2>\s*<p class="govuk-body">None: every row was imported.<\/p>/,
    );
  });

  it("lists the kept assignments in the old LA's weekly digest, and no longer once they are removed", async () => {
    // The digest of Camden's administrator for the week of `now` (the outbox's key: recipient and week).
    const digestOf = async (now: Date) => {
      const row = await t.handle.db
        .selectFrom('email_outbox')
        .select('text_body')
        .where('dedup_key', '=', `digest:${admin.id}:${isoWeek(now)}`)
        .executeTakeFirstOrThrow();
      return row.text_body;
    };
    const heading =
      "Schools that have moved to another Local Authority but are still assigned to your accounts (remove each on the account's Schools tab when the work there has ended):";
    await t.services.digest.send({ now: t.clock.now() });
    const text = await digestOf(t.clock.now());
    expect(text).toContain(heading);
    expect(text).toContain(
      'Hawthorn Primary School (URN 400001), now in Westminster: Hana Adebayo (hawthorn.adviser), Link Adviser',
    );
    expect(text).toContain(
      'Hawthorn Primary School (URN 400001), now in Westminster: Test former.adviser (former.adviser), Consultant (archived account)',
    );

    // The Schools tab lists the moved school, and removing it there ends the digest's line.
    const client = await signInAs(t, admin);
    const tab = await client.get(`/admin/users/${adviser.id}/schools`);
    expect(tab.body).toContain('Hawthorn Primary School');
    await t.handle.db
      .deleteFrom('school_assignments')
      .where('school_id', '=', (await school(400001)).id)
      .execute();
    t.clock.advance(7 * 86_400_000);
    await t.services.digest.send({ now: t.clock.now() });
    const next = await digestOf(t.clock.now());
    expect(next).not.toContain('Hawthorn Primary School');
    expect(next).not.toContain(heading);
  });
});

describe('School imports page: upload (items 15 and 19)', () => {
  it('imports an uploaded zip and shows what it did', async () => {
    const client = await signInAs(t, support);
    const page = await client.get('/support/school-imports');
    expect(page.body).toContain('enctype="multipart/form-data"');
    const response = await client.upload('/support/school-imports', { name: 'extract.zip', content: FIXTURE });
    expect(response.statusCode).toBe(303);
    expect(response.headers.location).toBe('/support/school-imports');
    const after = await client.get('/support/school-imports');
    expect(after.body).toContain(
      'extract.zip/edubasealldata20261128.csv was imported: 0 schools created, 0 updated, 0 closed, 0 moved to another Local Authority, 1 rows skipped.',
    );
    const record = await t.handle.db
      .selectFrom('school_imports')
      .select(['file_name', 'imported_by'])
      .orderBy('id', 'desc')
      .executeTakeFirstOrThrow();
    expect(record).toEqual({ file_name: 'extract.zip/edubasealldata20261128.csv', imported_by: 'support' });
  });

  it('refuses a file with a NUL byte, a zip bomb, a file that is not the extract, no file or an empty one with a clear error and changes nothing', async () => {
    const client = await signInAs(t, support);
    await client.get('/support/school-imports');
    const before = await importCount();
    const cases: [string, Buffer | string, string][] = [
      [
        'binary.csv',
        Buffer.from('URN,EstablishmentName\r\n100000,A\u0000School\r\n'),
        'The file is not valid CSV. Line 2: the file contains a NUL character, so it is not a CSV text file; save it again from the spreadsheet as &quot;CSV UTF-8&quot;.',
      ],
      [
        'bomb.zip',
        Buffer.from(
          zipFile([{ name: 'edubasealldata.csv', data: new Uint8Array(8 * 1024 * 1024), declaredSize: 100 }]),
        ),
        'edubasealldata.csv in the zip file is damaged or larger than the zip file says.',
      ],
      [
        'users.csv',
        'username,email\r\njo,jo@example.com\r\n',
        'The file is not a GIAS establishment extract: it has no &quot;URN&quot;',
      ],
      ['empty.zip', '', 'The selected file is empty'],
    ];
    for (const [name, content, message] of cases) {
      const response = await client.upload('/support/school-imports', { name, content });
      expect(response.statusCode, name).toBe(400);
      expect(response.body).toContain('<title>Error: School imports – Support');
      expect(response.body).toContain('There is a problem');
      expect(response.body).toContain(message);
      expect(response.body).toContain('href="#file"');
      expect(response.body).not.toMatch(/^\s+at /m);
    }
    const none = await client.upload('/support/school-imports', { field: 'other', name: 'x.csv', content: 'a' });
    expect(none.statusCode).toBe(400);
    expect(none.body).toContain('Select the GIAS establishment extract (.zip or .csv)');
    expect(await importCount()).toBe(before);
  });

  it('is refused to an LA administrator and sends someone signed out to sign in, importing nothing', async () => {
    const before = await importCount();
    const client = await signInAs(t, admin);
    await client.get('/');
    const refused = await client.upload('/support/school-imports', { name: 'extract.zip', content: FIXTURE });
    expect(refused.statusCode).toBe(403);
    const anonymous = await t.app.inject({
      method: 'POST',
      url: '/support/school-imports',
      headers: { 'content-type': 'multipart/form-data; boundary=b' },
      payload: '--b\r\nContent-Disposition: form-data; name="file"; filename="x.zip"\r\n\r\nPK\r\n--b--\r\n',
    });
    expect(anonymous.statusCode).toBe(302);
    expect(anonymous.headers.location).toBe('/sign-in');
    expect(await importCount()).toBe(before);
  });
});
