import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Actor } from '../../src/domain/access.ts';
import { addMonthsUtc } from '../../src/domain/calendar.ts';
import { ConflictError } from '../../src/domain/errors.ts';
import { typeDefaults } from '../../src/domain/privileges.ts';
import { SYSTEM_CONTEXT } from '../../src/services/request-context.ts';
import { csvObjects, parseCsv } from '../../src/domain/csv-read.ts';
import type { FormClient } from '../support/browser.ts';
import { createAccount, createOrganisation, type FixtureAccount } from '../support/fixtures.ts';
import { signInAs } from '../support/sign-in.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';

/**
 * Access reviews (issue 6, R49) through the pages, as an administrator's browser without
 * JavaScript would use them. The tests run in order on one Camden review.
 */
let t: TestApp;
let camden: number;
let kent: number;
let admin: FixtureAccount;
let admin2: FixtureAccount;
let officer: FixtureAccount;
let reader: FixtureAccount;
let virtualHead: FixtureAccount;
let oldie: FixtureAccount;
let leaver: FixtureAccount;
let departed: FixtureAccount;
let kentAdmin: FixtureAccount;
let kentOfficer: FixtureAccount;
let adminClient: FormClient;
let admin2Client: FormClient;
let kentClient: FormClient;
let reviewId: string;

const db = () => t.handle.db;

async function privilegesOf(id: string): Promise<string[]> {
  return (
    await db()
      .selectFrom('account_privileges')
      .select('privilege')
      .where('account_id', '=', id)
      .orderBy('privilege')
      .execute()
  ).map((r) => r.privilege);
}

async function itemOf(accountId: string) {
  return db()
    .selectFrom('access_review_items')
    .selectAll()
    .where('review_id', '=', reviewId)
    .where('account_id', '=', accountId)
    .executeTakeFirstOrThrow();
}

async function statusOf(id: string) {
  return (await db().selectFrom('accounts').select('status').where('id', '=', id).executeTakeFirst())?.status;
}

/** The item version the item page hands to its form. */
async function versionOnPage(client: FormClient, accountId: string): Promise<string> {
  const page = await client.get(`/admin/reviews/${reviewId}/items/${accountId}`);
  expect(page.statusCode).toBe(200);
  return /name="version" value="(\d+)"/.exec(page.body)![1]!;
}

const YES = { stillEmployed: 'yes', postNeedsAccess: 'yes', pupilLevelRight: 'yes', cinClaRight: 'yes' };

beforeAll(async () => {
  t = await createTestApp();
  const now = t.clock.now();
  const key = t.config.secretKey;
  camden = await createOrganisation(db(), '202', 'Camden');
  kent = await createOrganisation(db(), '886', 'Kent');
  admin = await createAccount(db(), key, {
    organisationId: camden,
    username: 'camden.admin',
    userType: 'la_admin',
    lastSignInAt: now,
    firstName: 'Ada',
    lastName: 'Admin',
  });
  admin2 = await createAccount(db(), key, {
    organisationId: camden,
    username: 'camden.admin2',
    userType: 'la_admin',
    lastSignInAt: now,
    firstName: 'Bea',
    lastName: 'Admin',
  });
  officer = await createAccount(db(), key, {
    organisationId: camden,
    username: 'camden.officer',
    userType: 'la_officer',
    lastSignInAt: now,
  });
  reader = await createAccount(db(), key, {
    organisationId: camden,
    username: 'camden.reader',
    userType: 'read_only',
    lastSignInAt: now,
  });
  virtualHead = await createAccount(db(), key, {
    organisationId: camden,
    username: 'camden.virtual',
    userType: 'read_only',
    privileges: ['summary_reports', 'cin_cla'],
    lastSignInAt: now,
  });
  oldie = await createAccount(db(), key, {
    organisationId: camden,
    username: 'camden.oldie',
    userType: 'la_officer',
    lastSignInAt: addMonthsUtc(now, -14),
  });
  leaver = await createAccount(db(), key, {
    organisationId: camden,
    username: 'camden.leaver',
    userType: 'read_only',
    lastSignInAt: now,
    firstName: 'Lee',
    lastName: 'Leaver',
  });
  departed = await createAccount(db(), key, {
    organisationId: camden,
    username: 'camden.departed',
    userType: 'read_only',
    lastSignInAt: now,
    firstName: 'Dee',
    lastName: 'Parted',
  });
  // Archived accounts are not reviewed.
  await createAccount(db(), key, { organisationId: camden, username: 'camden.archived', status: 'archived' });
  kentAdmin = await createAccount(db(), key, {
    organisationId: kent,
    username: 'kent.admin',
    userType: 'la_admin',
    lastSignInAt: now,
  });
  kentOfficer = await createAccount(db(), key, {
    organisationId: kent,
    username: 'kent.officer',
    userType: 'la_officer',
    lastSignInAt: now,
  });
  adminClient = await signInAs(t, admin);
  admin2Client = await signInAs(t, admin2);
  kentClient = await signInAs(t, kentAdmin);
});
afterAll(async () => t?.close());

describe('access reviews (R49)', () => {
  it('refuses a bad name or due date with a clear error and opens nothing', async () => {
    await adminClient.get('/admin/reviews/new');
    for (const form of [
      { name: '', dueOn: '2026-12-31' },
      { name: 'x'.repeat(101), dueOn: '2026-12-31' },
      { name: 'Autumn', dueOn: '31/12/2026' },
      { name: 'Autumn', dueOn: '2026-02-30' },
      { name: 'Autumn', dueOn: '2020-01-01' },
    ]) {
      const response = await adminClient.post('/admin/reviews/new', form);
      expect(response.statusCode, JSON.stringify(form)).toBe(400);
      expect(response.body).toContain('govuk-error-summary');
    }
    expect(await db().selectFrom('access_reviews').select('id').execute()).toHaveLength(0);
  });

  it('opens a review of the LA: every active account of that LA, and only those, becomes an item', async () => {
    const response = await adminClient.post('/admin/reviews/new', {
      name: 'Autumn <b>term</b> 2026 – ✓',
      dueOn: '2026-12-31',
    });
    expect(response.statusCode).toBe(303);
    reviewId = /\/admin\/reviews\/([0-9a-f-]{36})$/.exec(response.headers.location as string)![1]!;
    const items = await db()
      .selectFrom('access_review_items')
      .select(['account_id', 'snapshot'])
      .where('review_id', '=', reviewId)
      .execute();
    const expected = [admin, admin2, officer, reader, virtualHead, oldie, leaver, departed].map((a) => a.id).sort();
    expect(items.map((i) => i.account_id).sort()).toEqual(expected);
    expect(items.find((i) => i.account_id === virtualHead.id)!.snapshot).toMatchObject({
      userType: 'read_only',
      privileges: ['summary_reports', 'cin_cla'],
    });
    const page = await adminClient.get(`/admin/reviews/${reviewId}`);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Autumn &lt;b&gt;term&lt;/b&gt; 2026 – ✓');
    expect(page.body).toContain('0 of 8 accounts decided');
    // Recommendations are shown, never applied.
    expect(page.body).toMatch(/Not signed in for 14 months/);
    expect(page.body).toMatch(/Holds CiN\/CLA access but Type of User is Read only/);
    expect(await statusOf(oldie.id)).toBe('active');
    const early = await adminClient.post(`/admin/reviews/${reviewId}/finish`, {});
    expect(early.statusCode).toBe(409);
    expect(early.body).toContain('8 accounts are not decided yet');
    const second = await admin2Client.post('/admin/reviews/new', { name: 'Another', dueOn: '2026-12-31' });
    expect(second.statusCode).toBe(409);
    expect(second.body).toContain('is still open. Finish it before starting another');
  });

  it('filters: undecided, inactive for N months, holds pupil-level, holds CiN/CLA; bad filters get an error', async () => {
    const count = (body: string) => (body.match(/name="items" type="checkbox"/g) ?? []).length;
    expect(count((await adminClient.get(`/admin/reviews/${reviewId}?privilege=cin_cla`)).body)).toBe(1);
    expect(count((await adminClient.get(`/admin/reviews/${reviewId}?privilege=pupil_level`)).body)).toBe(4);
    expect(count((await adminClient.get(`/admin/reviews/${reviewId}?inactiveMonths=12`)).body)).toBe(1);
    expect(count((await adminClient.get(`/admin/reviews/${reviewId}?show=undecided`)).body)).toBe(8);
    const bad = await adminClient.get(`/admin/reviews/${reviewId}?inactiveMonths=%3Cscript%3E&privilege=support`);
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toContain('Enter a number of months from 1 to 240');
    expect(bad.body).not.toContain('<script>');
  });

  it('decides one item: the four questions, keep, a note; audited with the review named', async () => {
    const version = await versionOnPage(adminClient, reader.id);
    const missing = await adminClient.post(`/admin/reviews/${reviewId}/items/${reader.id}`, {
      version,
      decision: 'keep',
      note: '',
    });
    expect(missing.statusCode).toBe(400);
    expect(missing.body).toContain('Select yes or no');
    const contradictory = await adminClient.post(`/admin/reviews/${reviewId}/items/${reader.id}`, {
      ...YES,
      stillEmployed: 'no',
      version,
      decision: 'keep',
      note: '',
    });
    expect(contradictory.statusCode).toBe(400);
    expect(contradictory.body).toContain('archive or delete the account');
    const longNote = await adminClient.post(`/admin/reviews/${reviewId}/items/${reader.id}`, {
      ...YES,
      version,
      decision: 'keep',
      note: 'n'.repeat(1001),
    });
    expect(longNote.statusCode).toBe(400);
    expect((await itemOf(reader.id)).decision).toBeNull();
    const saved = await adminClient.post(`/admin/reviews/${reviewId}/items/${reader.id}`, {
      ...YES,
      version,
      decision: 'keep',
      note: 'Checked with their manager',
    });
    expect(saved.statusCode).toBe(303);
    const item = await itemOf(reader.id);
    expect(item).toMatchObject({
      decision: 'keep',
      still_employed: true,
      cin_cla_right: true,
      note: 'Checked with their manager',
      decided_by: admin.id,
      version: Number(version) + 1,
    });
    const event = await db()
      .selectFrom('audit_events')
      .select('details')
      .where('action', '=', 'review.item-decided')
      .where('subject_account_id', '=', reader.id)
      .executeTakeFirstOrThrow();
    expect(event.details).toMatchObject({
      review: { id: reviewId, name: 'Autumn <b>term</b> 2026 – ✓' },
      decision: 'keep',
    });
  });

  it('changes privileges only within R15 and R16, through the same rules as the Privileges tab', async () => {
    const base = {
      ...YES,
      cinClaRight: 'no',
      decision: 'change',
      note: 'Now supports the Virtual School',
      userType: 'virtual_school',
    };
    const version = await versionOnPage(adminClient, officer.id);
    // R15: the administrator does not hold upload_data.
    const r15 = await adminClient.post(`/admin/reviews/${reviewId}/items/${officer.id}`, {
      ...base,
      version,
      privileges: ['summary_reports', 'pupil_level', 'upload_data'],
    });
    expect(r15.statusCode).toBe(400);
    expect(r15.body).toContain('You cannot give this privilege because you do not hold it yourself: Can upload data');
    expect(await privilegesOf(officer.id)).toEqual(['pupil_level', 'summary_reports', 'view_users']);
    expect((await itemOf(officer.id)).decision).toBeNull();
    // R16: the administrator does not hold cin_cla either, and gives it on the agreement: who, role, date.
    const r16 = await adminClient.post(`/admin/reviews/${reviewId}/items/${officer.id}`, {
      ...base,
      version,
      privileges: ['summary_reports', 'pupil_level', 'cin_cla'],
      cinClaAgreedBy: 'Jo Head',
    });
    expect(r16.statusCode).toBe(400);
    expect(r16.body).toContain('Enter the role of the person who agreed access to CiN and CLA information');
    expect(r16.body).toContain('Enter the date access to CiN and CLA information was agreed');
    expect(await privilegesOf(officer.id)).not.toContain('cin_cla');
    const done = await adminClient.post(`/admin/reviews/${reviewId}/items/${officer.id}`, {
      ...base,
      version,
      privileges: ['summary_reports', 'pupil_level', 'cin_cla'],
      cinClaAgreedBy: 'Jo Head',
      cinClaAgreedRole: 'Virtual Head',
      'cinClaAgreedOn-day': '1',
      'cinClaAgreedOn-month': '11',
      'cinClaAgreedOn-year': '2026',
    });
    expect(done.statusCode).toBe(303);
    expect(await privilegesOf(officer.id)).toEqual(['cin_cla', 'pupil_level', 'summary_reports']);
    expect(await itemOf(officer.id)).toMatchObject({
      decision: 'change',
      changed_to: { userType: 'virtual_school', privileges: ['summary_reports', 'pupil_level', 'cin_cla'] },
    });
    const event = await db()
      .selectFrom('audit_events')
      .select('details')
      .where('action', '=', 'account.privileges-changed')
      .where('subject_account_id', '=', officer.id)
      .executeTakeFirstOrThrow();
    expect(event.details).toMatchObject({
      cinClaAgreedBy: 'Jo Head',
      cinClaAgreedRole: 'Virtual Head',
      cinClaAgreedOn: '2026-11-01',
      review: { id: reviewId },
    });
    // Decided again as "keep": the change already made stays on the record.
    const again = await adminClient.post(`/admin/reviews/${reviewId}/items/${officer.id}`, {
      ...YES,
      version: String((await itemOf(officer.id)).version),
      decision: 'keep',
      note: '',
    });
    expect(again.statusCode).toBe(303);
    expect(await itemOf(officer.id)).toMatchObject({ decision: 'keep', changed_to: { userType: 'virtual_school' } });
  });

  it('R17: the last administrator of an LA cannot remove their own manage_users or archive themselves in a review', async () => {
    const opened = await kentClient.post('/admin/reviews/new', { name: 'Kent review', dueOn: '2026-11-20' });
    expect(opened.statusCode).toBe(303);
    const kentReview = /([0-9a-f-]{36})$/.exec(opened.headers.location as string)![1]!;
    const page = await kentClient.get(`/admin/reviews/${kentReview}/items/${kentAdmin.id}`);
    const version = /name="version" value="(\d+)"/.exec(page.body)![1]!;
    const removed = await kentClient.post(`/admin/reviews/${kentReview}/items/${kentAdmin.id}`, {
      ...YES,
      version,
      decision: 'change',
      note: 'Less access',
      userType: 'la_officer',
      privileges: ['view_users', 'summary_reports'],
    });
    expect(removed.statusCode).toBe(409);
    expect(removed.body).toContain('is the last administrator of this Local Authority');
    expect(await privilegesOf(kentAdmin.id)).toContain('manage_users');
    const self = await kentClient.post(`/admin/reviews/${kentReview}/items/${kentAdmin.id}`, {
      ...YES,
      postNeedsAccess: 'no',
      version,
      decision: 'archive',
      note: 'Leaving',
    });
    expect(self.statusCode).toBe(409);
    expect(self.body).toContain('You cannot archive your own account');
    expect(await statusOf(kentAdmin.id)).toBe('active');
  });

  it('a bulk decision where one item fails rolls back as a whole, naming the account', async () => {
    const items = await Promise.all(
      [leaver, departed, admin].map(async (a) => `${a.id}:${(await itemOf(a.id)).version}`),
    );
    await adminClient.get(`/admin/reviews/${reviewId}`);
    const response = await adminClient.post(`/admin/reviews/${reviewId}/bulk`, {
      items,
      decision: 'archive',
      note: 'Left in the summer',
    });
    expect(response.statusCode).toBe(409);
    expect(response.body).toContain('Nothing was saved');
    expect(response.body).toContain('You cannot archive your own account');
    for (const a of [leaver, departed, admin]) {
      expect(await statusOf(a.id)).toBe('active');
      expect((await itemOf(a.id)).decision).toBeNull();
    }
    expect(
      await db().selectFrom('audit_events').select('id').where('action', '=', 'account.archived').execute(),
    ).toHaveLength(0);
    // Items are decided in id order: the last one, out of date, fails after the others were archived in the transaction.
    const trio = [leaver, departed, oldie].sort((a, b) => a.id.localeCompare(b.id));
    const batch = await Promise.all(
      trio.map(async (a, i) => `${a.id}:${(await itemOf(a.id)).version + (i === 2 ? 7 : 0)}`),
    );
    const rolledBack = await adminClient.post(`/admin/reviews/${reviewId}/bulk`, {
      items: batch,
      decision: 'archive',
      note: 'Left in the summer',
    });
    expect(rolledBack.statusCode).toBe(409);
    expect(rolledBack.body).toContain('while you were looking at it');
    for (const a of trio) {
      expect(await statusOf(a.id)).toBe('active');
      expect((await itemOf(a.id)).decision).toBeNull();
    }
    expect(
      await db().selectFrom('audit_events').select('id').where('action', '=', 'account.archived').execute(),
    ).toHaveLength(0);
    const none = await adminClient.post(`/admin/reviews/${reviewId}/bulk`, { decision: 'keep', note: '' });
    expect(none.statusCode).toBe(400);
    expect(none.body).toContain('Select the accounts to decide');
    const foreign = await adminClient.post(`/admin/reviews/${reviewId}/bulk`, {
      items: [`${kentOfficer.id}:1`],
      decision: 'keep',
      note: '',
    });
    expect(foreign.statusCode).toBe(400);
    expect(
      (
        await db()
          .selectFrom('access_review_items')
          .select('decision')
          .where('account_id', '=', kentOfficer.id)
          .execute()
      ).every((r) => r.decision === null),
    ).toBe(true);
  });

  it('a bulk decision goes back to the filtered review page it came from, and never to an address a redirect cannot carry', async () => {
    const keepOne = async (returnTo: string) =>
      adminClient.post(`/admin/reviews/${reviewId}/bulk`, {
        items: [`${virtualHead.id}:${(await itemOf(virtualHead.id)).version}`],
        decision: 'keep',
        note: '',
        returnTo,
      });
    const filtered = await keepOne(`/admin/reviews/${reviewId}?inactiveMonths=12&privilege=cin_cla`);
    expect(filtered.statusCode).toBe(303);
    expect(filtered.headers.location).toBe(`/admin/reviews/${reviewId}?inactiveMonths=12&privilege=cin_cla`);
    for (const returnTo of [
      `/admin/reviews/${reviewId}\r\nSet-Cookie: stolen=1`,
      `/admin/reviews/${reviewId}//evil.example`,
      'https://evil.example/',
      `/admin/reviews/${reviewId}?q=\u0000`,
    ]) {
      const before = (await itemOf(virtualHead.id)).version;
      const response = await keepOne(returnTo);
      expect(response.statusCode, JSON.stringify(returnTo)).toBe(303);
      expect(response.headers.location).toBe(`/admin/reviews/${reviewId}`);
      expect(response.headers['set-cookie'] ?? '').not.toContain('stolen');
      expect((await itemOf(virtualHead.id)).version).toBe(before + 1);
    }
  });

  it('bulk keep records a decision in bulk by its maker and no answers; the review and item pages say so', async () => {
    const keep = await Promise.all(
      [admin, admin2, virtualHead].map(async (a) => `${a.id}:${(await itemOf(a.id)).version}`),
    );
    const kept = await adminClient.post(`/admin/reviews/${reviewId}/bulk`, { items: keep, decision: 'keep', note: '' });
    expect(kept.statusCode).toBe(303);
    for (const a of [admin, admin2, virtualHead])
      expect(await itemOf(a.id)).toMatchObject({
        decision: 'keep',
        decided_in_bulk: true,
        decided_by_label: 'Ada Admin (camden.admin)',
        still_employed: null,
        post_needs_access: null,
        pupil_level_right: null,
        cin_cla_right: null,
      });
    // Reader was kept on their own page, with the four answers: the pages tell the two apart.
    expect(await itemOf(reader.id)).toMatchObject({ decision: 'keep', decided_in_bulk: false, still_employed: true });
    const page = (await adminClient.get(`/admin/reviews/${reviewId}`)).body;
    const cell = (label: string) => {
      const row = page.split('<tr class="govuk-table__row">').find((r) => r.includes(`>${label}</a>`))!;
      return /<strong class="govuk-tag[^"]*">([^<]+)<\/strong>(?:<br><span class="govuk-body-s">([^<]+)<\/span>)?<\/td>\s*<\/tr>/
        .exec(row)!
        .slice(1, 3);
    };
    expect(cell((await itemOf(admin2.id)).account_label)).toEqual(['Kept in bulk', 'by Ada Admin (camden.admin)']);
    expect(cell((await itemOf(reader.id)).account_label)[0]).toBe('Kept');
    expect(page).toContain('3 were decided in bulk, without the four questions.');
    const itemPage = (await adminClient.get(`/admin/reviews/${reviewId}/items/${admin2.id}`)).body;
    expect(itemPage).toContain('Kept in bulk by Ada Admin (camden.admin)');
    expect(itemPage).toContain('the four questions were not asked about this account');
    expect(itemPage.match(/Not asked \(decided in bulk\)/g)).toHaveLength(4);
    expect(itemPage).not.toMatch(/<dd class="govuk-summary-list__value">Yes<\/dd>/);
    const readerPage = (await adminClient.get(`/admin/reviews/${reviewId}/items/${reader.id}`)).body;
    expect(readerPage).toMatch(/Kept by Ada Admin \(camden\.admin\)/);
    expect(readerPage.match(/<dd class="govuk-summary-list__value">Yes<\/dd>/g)).toHaveLength(4);
    expect(readerPage).not.toContain('Not asked');
    const archive = await adminClient.post(`/admin/reviews/${reviewId}/bulk`, {
      items: [`${leaver.id}:${(await itemOf(leaver.id)).version}`],
      decision: 'archive',
      note: 'Left in the summer',
    });
    expect(archive.statusCode).toBe(303);
    expect(await statusOf(leaver.id)).toBe('archived');
    const archivedEvent = await db()
      .selectFrom('audit_events')
      .select('details')
      .where('action', '=', 'account.archived')
      .where('subject_account_id', '=', leaver.id)
      .executeTakeFirstOrThrow();
    expect(archivedEvent.details).toMatchObject({ review: { id: reviewId } });
    const version = await versionOnPage(adminClient, departed.id);
    const deleted = await adminClient.post(`/admin/reviews/${reviewId}/items/${departed.id}`, {
      ...YES,
      stillEmployed: 'no',
      version,
      decision: 'delete',
      note: 'Contract ended',
    });
    expect(deleted.statusCode).toBe(303);
    expect(await statusOf(departed.id)).toBeUndefined();
    const tombstone = await db()
      .selectFrom('audit_events')
      .select('details')
      .where('action', '=', 'account.deleted')
      .where('subject_account_id', '=', departed.id)
      .executeTakeFirstOrThrow();
    expect(tombstone.details).toMatchObject({ review: { id: reviewId } });
    expect(await itemOf(departed.id)).toMatchObject({
      decision: 'delete',
      account_label: 'Deleted account',
      snapshot: expect.objectContaining({ username: '', name: 'Deleted account' }),
    });
  });

  it('two administrators deciding the same item: the second sees a conflict and nothing is overwritten', async () => {
    const seenByAda = await versionOnPage(adminClient, oldie.id);
    const seenByBea = await versionOnPage(admin2Client, oldie.id);
    expect(seenByAda).toBe(seenByBea);
    const first = await adminClient.post(`/admin/reviews/${reviewId}/items/${oldie.id}`, {
      ...YES,
      version: seenByAda,
      decision: 'keep',
      note: 'On long leave, back in January',
    });
    expect(first.statusCode).toBe(303);
    const second = await admin2Client.post(`/admin/reviews/${reviewId}/items/${oldie.id}`, {
      ...YES,
      postNeedsAccess: 'no',
      version: seenByBea,
      decision: 'archive',
      note: 'Not seen for a year',
    });
    expect(second.statusCode).toBe(409);
    expect(second.body).toContain('while you were looking at it. Nothing you entered was saved');
    expect(second.body).toContain('On long leave, back in January');
    expect(await itemOf(oldie.id)).toMatchObject({
      decision: 'keep',
      note: 'On long leave, back in January',
      decided_by: admin.id,
    });
    expect(await statusOf(oldie.id)).toBe('active');
    // At the same moment, through the service: exactly one wins, the other is told, nothing is mixed.
    const actor = (a: FixtureAccount, label: string): Actor => ({
      kind: 'account',
      accountId: a.id,
      organisationId: camden,
      organisationKind: 'la',
      privileges: new Set(typeDefaults('la_admin')),
      label,
    });
    const version = String((await itemOf(reader.id)).version);
    const decide = (a: FixtureAccount, label: string) =>
      t.services.reviews.decide(
        actor(a, label),
        reviewId,
        reader.id,
        { answers: YES, decision: 'keep', note: `Checked by ${label}`, version },
        SYSTEM_CONTEXT,
      );
    const results = await Promise.allSettled([decide(admin, 'camden.admin'), decide(admin2, 'camden.admin2')]);
    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
    const loser = results.find((r): r is PromiseRejectedResult => r.status === 'rejected')!;
    expect(loser.reason).toBeInstanceOf(ConflictError);
    const winner = results[0].status === 'fulfilled' ? 'camden.admin' : 'camden.admin2';
    expect(await itemOf(reader.id)).toMatchObject({
      note: `Checked by ${winner}`,
      decided_by_label: winner === 'camden.admin' ? 'Ada Admin (camden.admin)' : 'Bea Admin (camden.admin2)',
      version: Number(version) + 1,
    });
    // A stale version in a bulk decision is a conflict too, and rolls the batch back.
    const stale = await admin2Client.post(`/admin/reviews/${reviewId}/bulk`, {
      items: [`${oldie.id}:${seenByBea}`],
      decision: 'archive',
      note: 'x',
    });
    expect(stale.statusCode).toBe(409);
    expect(await statusOf(oldie.id)).toBe('active');
  });

  it("another LA's review ids are not found; unknown and malformed ids too", async () => {
    const paths = [
      `/admin/reviews/${reviewId}`,
      `/admin/reviews/${reviewId}/items/${reader.id}`,
      `/admin/reviews/${reviewId}/finish`,
      `/admin/reviews/${reviewId}/evidence`,
      `/admin/reviews/${reviewId}/evidence.csv`,
      '/admin/reviews/00000000-0000-4000-8000-000000000000',
      '/admin/reviews/not-a-review',
      `/admin/reviews/${reviewId}/items/not-an-id`,
    ];
    for (const path of paths.slice(0, 5)) expect((await kentClient.get(path)).statusCode, path).toBe(404);
    for (const path of paths.slice(5)) expect((await adminClient.get(path)).statusCode, path).toBe(404);
    const before = await itemOf(reader.id);
    const post = await kentClient.post(`/admin/reviews/${reviewId}/items/${reader.id}`, {
      ...YES,
      version: String(before.version),
      decision: 'keep',
      note: '',
    });
    expect(post.statusCode).toBe(404);
    expect(
      (
        await kentClient.post(`/admin/reviews/${reviewId}/bulk`, {
          items: [`${reader.id}:${before.version}`],
          decision: 'keep',
          note: '',
        })
      ).statusCode,
    ).toBe(404);
    expect((await kentClient.post(`/admin/reviews/${reviewId}/finish`, {})).statusCode).toBe(404);
    expect(await itemOf(reader.id)).toEqual(before);
  });

  it('bad input in any field of the item and bulk forms gets a GOV.UK error, never a 500, and changes nothing', async () => {
    const bad: Record<string, string | string[]> = {
      empty: '',
      long: 'Q'.repeat(5000),
      unicode: 'Zoë 👩🏽‍💻 مرحبا \u202Egnp.exe NUL:\u0000',
      markup: '<script>alert(1)</script>',
      sql: "' OR 1=1 --",
      repeated: ['keep', 'delete'],
      uuid: kentOfficer.id,
    };
    const item = await itemOf(virtualHead.id);
    const held = await privilegesOf(virtualHead.id);
    const base = {
      ...YES,
      cinClaRight: 'no',
      version: String(item.version),
      decision: 'change',
      note: 'Bad input',
      userType: 'read_only',
      privileges: ['summary_reports'],
    };
    // A note may hold any text; only an empty or over-long one is refused.
    const cases = ['stillEmployed', 'cinClaRight', 'version', 'decision', 'userType', 'privileges']
      .flatMap((field) =>
        Object.entries(bad).map(
          ([kind, value]) => [field, kind, value] as readonly [string, string, string | string[]],
        ),
      )
      .concat([
        ['note', 'empty', bad.empty!],
        ['note', 'long', bad.long!],
      ]);
    for (const [field, kind, value] of cases) {
      const response = await adminClient.post(`/admin/reviews/${reviewId}/items/${virtualHead.id}`, {
        ...base,
        [field]: value,
      });
      expect(response.statusCode, `${field} ${kind}`).toBeGreaterThanOrEqual(400);
      expect(response.statusCode, `${field} ${kind}`).toBeLessThan(500);
      expect(response.body, `${field} ${kind}`).toContain('govuk-error-summary');
      expect(response.body).not.toContain('<script>alert(1)</script>');
      expect(await itemOf(virtualHead.id)).toEqual(item);
      expect(await privilegesOf(virtualHead.id)).toEqual(held);
    }
    type Case = readonly [string, string, string | string[]];
    const bulkCases = Object.entries(bad)
      .flatMap(([kind, value]): Case[] => [
        ['items', kind, value],
        ['decision', kind, value],
      ])
      // The first of repeated fields counts: ['keep', 'delete'] is a valid "keep".
      .filter(([field, kind]) => !(field === 'decision' && kind === 'repeated'))
      .concat([
        ['note', 'empty', bad.empty!],
        ['note', 'long', bad.long!],
      ]);
    for (const [field, kind, value] of bulkCases) {
      const response = await adminClient.post(`/admin/reviews/${reviewId}/bulk`, {
        items: [`${virtualHead.id}:${item.version}`],
        decision: 'archive',
        note: 'x',
        [field]: value,
      });
      expect(response.statusCode, `bulk ${field} ${kind}`).toBeGreaterThanOrEqual(400);
      expect(response.statusCode, `bulk ${field} ${kind}`).toBeLessThan(500);
    }
    expect(await itemOf(virtualHead.id)).toEqual(item);
    expect(await statusOf(virtualHead.id)).toBe('active');
  });

  it('finishes only when every item is decided; a finished review cannot change; its CSV matches the decisions exactly', async () => {
    expect((await adminClient.get(`/admin/reviews/${reviewId}/evidence.csv`)).statusCode).toBe(409);
    const items = await db()
      .selectFrom('access_review_items')
      .select(['account_id', 'version'])
      .where('review_id', '=', reviewId)
      .where('decision', 'is', null)
      .execute();
    expect(items.map((i) => i.account_id)).toEqual([]);
    const finished = await adminClient.post(`/admin/reviews/${reviewId}/finish`, {});
    expect(finished.statusCode).toBe(303);

    const reader2 = await itemOf(reader.id);
    const change = await adminClient.post(`/admin/reviews/${reviewId}/items/${reader.id}`, {
      ...YES,
      version: String(reader2.version),
      decision: 'keep',
      note: 'again',
    });
    expect(change.statusCode).toBe(409);
    expect(change.body).toContain('cannot change');
    expect(
      (
        await adminClient.post(`/admin/reviews/${reviewId}/bulk`, {
          items: [`${reader.id}:${reader2.version}`],
          decision: 'keep',
          note: '',
        })
      ).statusCode,
    ).toBe(409);
    expect((await adminClient.post(`/admin/reviews/${reviewId}/finish`, {})).statusCode).toBe(409);
    expect(await itemOf(reader.id)).toEqual(reader2);

    const csv = await adminClient.get(`/admin/reviews/${reviewId}/evidence.csv`);
    expect(csv.statusCode).toBe(200);
    expect(csv.headers['content-type']).toMatch(/^text\/csv/);
    const { rows } = csvObjects(parseCsv(csv.body.replace(/^\uFEFF/, '')));
    const stored = await db()
      .selectFrom('access_review_items')
      .selectAll()
      .where('review_id', '=', reviewId)
      .orderBy('account_label')
      .orderBy('account_id')
      .execute();
    expect(rows.map((r) => r.values.Account)).toEqual(stored.map((i) => i.account_label));
    const row = async (account: FixtureAccount | string) => {
      const label = typeof account === 'string' ? account : (await itemOf(account.id)).account_label;
      return rows.find((r) => r.values.Account === label)!.values;
    };
    const [q1, q2, q3, q4] = [
      'Still employed by the Local Authority, directly or in a commissioned role?',
      'Still in a post that needs access to Nexus?',
      'Is their pupil-level access (or lack of it) right for their role?',
      'Is their CiN/CLA access (or lack of it) right for their role?',
    ];
    const at = /^2 November 2026 at 10:\d\dam$/;
    // Kept in bulk: no answers, said so in words.
    const bulkKept = await row(admin2);
    expect(bulkKept).toMatchObject({
      Review: 'Autumn <b>term</b> 2026 – ✓',
      'Local Authority': 'Camden',
      'Opened by': 'Ada Admin (camden.admin)',
      'Finished by': 'Ada Admin (camden.admin)',
      Username: 'camden.admin2',
      'Type of User at opening': 'LA Administrator',
      'Last sign-in at opening': '2 November 2026',
      [q1]: 'Not asked (decided in bulk)',
      [q2]: 'Not asked (decided in bulk)',
      [q3]: 'Not asked (decided in bulk)',
      [q4]: 'Not asked (decided in bulk)',
      Decision: 'Kept in bulk',
      'Changed to Type of User': '',
      'Changed to privileges': '',
      Note: '',
      'Decided by': 'Ada Admin (camden.admin)',
    });
    expect(bulkKept['Privileges at opening']).toBe(
      'Can Add, Delete and Manage Users; Nexus Admin; Can view users; Access to summary (school-level) reports; Include access to batch reporting and pupil level reports; Can manage school groups',
    );
    expect(bulkKept['Decided at']).toMatch(at);
    expect(bulkKept.Opened).toMatch(at);
    expect(bulkKept.Finished).toMatch(at);
    // Kept on its own page, with the four answers.
    expect(await row(oldie)).toMatchObject({
      'Type of User at opening': 'LA Officer / Analyst',
      'Last sign-in at opening': '2 September 2025',
      [q1]: 'Yes',
      [q2]: 'Yes',
      [q3]: 'Yes',
      [q4]: 'Yes',
      Decision: 'Kept',
      Note: 'On long leave, back in January',
      'Decided by': 'Ada Admin (camden.admin)',
    });
    // Privileges changed earlier in the review, then kept: the change stays on the record, in words.
    expect(await row(officer)).toMatchObject({
      [q4]: 'Yes',
      Decision: 'Kept',
      'Changed to Type of User': 'Virtual School',
      'Changed to privileges':
        'Access to summary (school-level) reports; Include access to batch reporting and pupil level reports; Access to Children in Need (CiN) and Children Looked After (CLA) information',
    });
    expect(await row(leaver)).toMatchObject({
      [q2]: 'Not asked (decided in bulk)',
      Decision: 'Archived in bulk',
      Note: 'Left in the summer',
    });
    expect(await row('Deleted account')).toMatchObject({
      [q1]: 'No',
      [q2]: 'Yes',
      Decision: 'Deleted',
      Note: 'Contract ended',
    });
    // No code or ISO timestamp anywhere in the evidence.
    const cells = rows.flatMap((r) => Object.values(r.values));
    for (const code of [
      'keep',
      'change',
      'archive',
      'delete',
      'la_admin',
      'la_officer',
      'read_only',
      'pupil_level',
      'cin_cla',
      'manage_users',
    ])
      expect(cells, code).not.toContain(code);
    expect(cells.filter((c) => /\d{4}-\d{2}-\d{2}/.test(c))).toEqual([]);
    const evidence = await adminClient.get(`/admin/reviews/${reviewId}/evidence`);
    expect(evidence.statusCode).toBe(200);
    expect(evidence.body).toContain('Contract ended');
    expect(evidence.body).toContain('Kept in bulk');
    expect(evidence.body).toContain('Not asked (decided in bulk)');
    expect(evidence.body).toContain('Archived in bulk');
    const list = await adminClient.get('/admin/reviews');
    expect(list.body).toContain('Finished reviews');
    expect(list.body).toContain(`/admin/reviews/${reviewId}/evidence.csv`);
  });

  it('the weekly digest lists open reviews past their due date', async () => {
    const now = new Date('2026-11-30T07:00:00Z');
    await t.services.digest.send({ now });
    const mail = await db()
      .selectFrom('email_outbox')
      .select(['to_address', 'text_body'])
      .where('template', '=', 'admin-digest')
      .where('account_id', '=', kentAdmin.id)
      .executeTakeFirstOrThrow();
    expect(mail.text_body).toMatch(
      /Access reviews past their due date[^\n]*:\n\n- Kent review: due 20 November 2026, 0 of 2 accounts decided/,
    );
    const camdenMail = await db()
      .selectFrom('email_outbox')
      .select('text_body')
      .where('template', '=', 'admin-digest')
      .where('account_id', '=', admin.id)
      .executeTakeFirstOrThrow();
    expect(camdenMail.text_body).not.toContain('Autumn');
    // And on the home page of Kent's administrator.
    t.clock.set(now);
    const home = await (await signInAs(t, kentAdmin)).get('/');
    expect(home.body).toContain('1 access review is past the due date');
  });
});

describe('a review of 54 accounts (issue 13)', () => {
  let islingtonAdmin: FixtureAccount;
  let client: FormClient;
  let id: string;
  const ticks = (body: string) => [
    ...body.matchAll(/name="items" type="checkbox" value="([0-9a-f-]{36}):\d+"( checked)?/g),
  ];

  beforeAll(async () => {
    const islington = await createOrganisation(db(), '206', 'Islington');
    islingtonAdmin = await createAccount(db(), t.config.secretKey, {
      organisationId: islington,
      username: 'isl.admin',
      userType: 'la_admin',
      lastSignInAt: t.clock.now(),
    });
    // 30 hold pupil-level access (with the administrator, 31 of 54), 23 do not.
    for (let i = 1; i <= 53; i++) {
      await createAccount(db(), t.config.secretKey, {
        organisationId: islington,
        username: `isl.user${String(i).padStart(2, '0')}`,
        firstName: 'User',
        lastName: String(i).padStart(2, '0'),
        userType: i <= 30 ? 'la_officer' : 'read_only',
        lastSignInAt: t.clock.now(),
      });
    }
    client = await signInAs(t, islingtonAdmin);
    const opened = await client.post('/admin/reviews/new', { name: 'Islington spring', dueOn: '2026-12-31' });
    id = /([0-9a-f-]{36})$/.exec(opened.headers.location as string)![1]!;
  });

  it('shows 25 accounts a page with GOV.UK pagination; filters stay on every page link; past the end is the last page', async () => {
    const first = await client.get(`/admin/reviews/${id}`);
    expect(first.statusCode).toBe(200);
    expect(first.body).toContain('0 of 54 accounts decided');
    expect(first.body).toContain('Accounts (54)');
    expect(first.body).toContain('Showing 1 to 25 of 54 accounts, page 1 of 3.');
    expect(first.body).toContain('<title>Islington spring (page 1 of 3) – Access reviews – Admin');
    expect(ticks(first.body)).toHaveLength(25);
    expect(first.body).toContain('class="govuk-pagination"');
    expect(first.body).toContain(`href="/admin/reviews/${id}?page=2" rel="next"`);
    expect(first.body).toContain(`href="/admin/reviews/${id}?page=3"`);
    const third = await client.get(`/admin/reviews/${id}?page=3`);
    expect(ticks(third.body)).toHaveLength(4);
    expect(third.body).toContain('Showing 51 to 54 of 54 accounts, page 3 of 3.');
    const onEveryPage = new Set(
      [first, await client.get(`/admin/reviews/${id}?page=2`), third].flatMap((p) => ticks(p.body).map((m) => m[1])),
    );
    expect(onEveryPage.size).toBe(54);
    expect(ticks((await client.get(`/admin/reviews/${id}?page=99`)).body).map((m) => m[1])).toEqual(
      ticks(third.body).map((m) => m[1]),
    );
    for (const bad of ['0', 'abc', '-2', '%3Cscript%3E']) {
      const response = await client.get(`/admin/reviews/${id}?page=${bad}`);
      expect(response.statusCode, bad).toBe(200);
      expect(response.body).toContain('page 1 of 3');
    }
    const filtered = await client.get(`/admin/reviews/${id}?privilege=pupil_level&page=2`);
    expect(filtered.body).toContain('Accounts (31 matching)');
    expect(filtered.body).toContain('Showing 26 to 31 of 31 accounts, page 2 of 2.');
    expect(ticks(filtered.body)).toHaveLength(6);
    expect(filtered.body).toContain(`href="/admin/reviews/${id}?privilege=pupil_level" rel="prev"`);
    // Few enough for one page: no pagination.
    const one = await client.get(`/admin/reviews/${id}?privilege=cin_cla`);
    expect(one.body).not.toContain('govuk-pagination');
  });

  it('selects every account of one page without JavaScript, keeps it to that page, and comes back to that page', async () => {
    const page2 = await client.get(`/admin/reviews/${id}?page=2`);
    expect(ticks(page2.body).filter((m) => m[2])).toHaveLength(0);
    expect(page2.body).toContain(`href="/admin/reviews/${id}?page=2&amp;select=page#items"`);
    const all = await client.get(`/admin/reviews/${id}?page=2&select=page`);
    const selected = ticks(all.body);
    expect(selected).toHaveLength(25);
    expect(selected.every((m) => m[2] === ' checked')).toBe(true);
    expect(all.body).toContain('Clear the selection');
    // A refused bulk decision (archive needs a note) shows the same page, with the same ticks.
    const values = [...all.body.matchAll(/name="items" type="checkbox" value="([^"]+)" checked/g)].map((m) => m[1]!);
    const refused = await client.post(`/admin/reviews/${id}/bulk`, {
      items: values.slice(0, 3),
      decision: 'archive',
      note: '',
      returnTo: `/admin/reviews/${id}?page=2`,
    });
    expect(refused.statusCode).toBe(400);
    expect(refused.body).toContain('Enter a note saying why');
    expect(refused.body).toContain('page 2 of 3');
    expect(
      ticks(refused.body)
        .filter((m) => m[2])
        .map((m) => m[1]),
    ).toEqual(values.slice(0, 3).map((v) => v.split(':')[0]));
    const kept = await client.post(`/admin/reviews/${id}/bulk`, {
      items: values,
      decision: 'keep',
      note: '',
      returnTo: `/admin/reviews/${id}?page=2`,
    });
    expect(kept.statusCode).toBe(303);
    expect(kept.headers.location).toBe(`/admin/reviews/${id}?page=2`);
    const decided = await db()
      .selectFrom('access_review_items')
      .select(['account_id', 'decision', 'decided_in_bulk', 'still_employed'])
      .where('review_id', '=', id)
      .where('decision', 'is not', null)
      .execute();
    expect(decided.map((d) => d.account_id).sort()).toEqual(selected.map((m) => m[1]).sort());
    expect(decided.every((d) => d.decision === 'keep' && d.decided_in_bulk && d.still_employed === null)).toBe(true);
    // Undecided only: 29 left, two pages; page 2 now holds the last 4.
    const undecided = await client.get(`/admin/reviews/${id}?show=undecided&page=2`);
    expect(undecided.body).toContain('Showing 26 to 29 of 29 accounts, page 2 of 2.');
  });
});
