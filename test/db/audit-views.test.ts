import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Actor } from '../../src/domain/access.ts';
import { SYSTEM_CONTEXT } from '../../src/services/request-context.ts';
import { loadPrincipal } from '../../src/services/sign-in/principal.ts';
import type { FormClient } from '../support/browser.ts';
import { signInAs } from '../support/sign-in.ts';
import { createAccount, createOrganisation, type FixtureAccount } from '../support/fixtures.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';

let t: TestApp;
let admin: FixtureAccount;
let target: FixtureAccount;
let support: FixtureAccount;
let camden: number;

const signIn = (account: FixtureAccount): Promise<FormClient> => signInAs(t, account);

beforeAll(async () => {
  t = await createTestApp();
  camden = await createOrganisation(t.handle.db, '202', 'Camden');
  const central = await createOrganisation(t.handle.db, 'central', 'NCER Support');
  admin = await createAccount(t.handle.db, t.config.secretKey, {
    organisationId: camden,
    username: 'camden.admin',
    userType: 'la_admin',
  });
  await createAccount(t.handle.db, t.config.secretKey, {
    organisationId: camden,
    username: 'camden.admin2',
    userType: 'la_admin',
  });
  target = await createAccount(t.handle.db, t.config.secretKey, {
    organisationId: camden,
    username: 'camden.target',
    userType: 'la_officer',
    firstName: 'Tara',
  });
  support = await createAccount(t.handle.db, t.config.secretKey, {
    organisationId: central,
    username: 'support',
    userType: 'support',
  });
});
afterAll(async () => t?.close());

describe('audit views (R50)', () => {
  it('records a change with before → after, shows it on the account timeline and in the LA log, filters and exports it', async () => {
    const client = await signIn(admin);
    const edit = await client.get(`/admin/users/${target.id}/edit`);
    expect(edit.statusCode).toBe(200);
    const saved = await client.post(`/admin/users/${target.id}/edit`, {
      firstName: 'Tamsin',
      lastName: target.username,
      email: 'tamsin@camden.gov.uk',
      jobTitle: '',
      phone: '',
      accessEndDate: '',
    });
    expect(saved.statusCode).toBe(303);

    const timeline = await client.get(`/admin/users/${target.id}/audit`);
    expect(timeline.statusCode).toBe(200);
    expect(timeline.body).toContain('Details changed');
    expect(timeline.body).toContain('Changed: first name and email address.');
    expect(timeline.body).toContain('First name: Tara → Tamsin');
    expect(timeline.body).toContain('by camden.admin');

    const log = await client.get('/admin/audit?action=account.details-changed');
    expect(log.statusCode).toBe(200);
    expect(log.body).toContain('1 event');
    const none = await client.get('/admin/audit?action=account.details-changed&to=2000-01-01');
    expect(none.body).toContain('0 events');

    const csv = await client.get('/admin/audit/export.csv?action=account.details-changed');
    expect(csv.statusCode).toBe(200);
    const lines = csv.body
      .replace(/^\uFEFF/, '')
      .trim()
      .split('\r\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toBe('When,When (UTC),What,What happened,Details,By,Account,Address,Security alert');
    expect(lines[1]).toContain('Details changed,Changed: first name and email address.,"First name: Tara → Tamsin');
    expect(lines[1]).toContain(`,camden.admin,Tamsin ${target.username} (camden.target),`);
    expect(lines[1]).not.toContain('account.details-changed');
  });

  it("shows central support's actions in the LA's own log", async () => {
    const client = await signIn(support);
    const response = await client.post(`/admin/users/${target.id}/schools/replace`, { newRole: 'governor' });
    expect(response.statusCode).toBe(303);
    const adminClient = await signIn(admin);
    const log = await adminClient.get('/admin/audit?action=account.schools-replaced');
    expect(log.body).toContain('1 event');
    expect(log.body).toContain('>support<');
  });

  it('answers bad filters with error messages', async () => {
    const client = await signIn(admin);
    const response = await client.get('/admin/audit?from=2026-02-30&to=%3Cb%3E&action=%27%20OR%201%3D1');
    expect(response.statusCode).toBe(400);
    expect(response.body).toContain('govuk-error-summary');
    expect(response.body).not.toContain('<b>');
  });
});

describe('the audit log in words (issue 13)', () => {
  const ctx = { ...SYSTEM_CONTEXT, ip: '10.9.9.9' };
  let actor: Actor;
  let tara: FixtureAccount;
  let leaver: FixtureAccount;
  let acorn: number;
  let birch: number;
  let group: number;

  /** The audit table of a page, where the events are. */
  const table = (html: string) => html.slice(html.indexOf('<table'), html.indexOf('</table>'));
  /** Its words, without the markup (a <time> element's datetime attribute is for machines). */
  const words = (html: string) => html.replace(/<[^>]+>/g, ' ');
  /** The CSV's lines (a cell's own line breaks are \n, inside quotes). */
  const csvLines = (body: string) =>
    body
      .replace(/^\uFEFF/, '')
      .trim()
      .split('\r\n');

  beforeAll(async () => {
    const db = t.handle.db;
    actor = (await loadPrincipal(db, admin.id))!.actor;
    tara = await createAccount(db, t.config.secretKey, {
      organisationId: camden,
      username: 'tara.officer',
      userType: 'la_officer',
      privileges: ['view_users', 'summary_reports', 'pupil_level'],
      firstName: 'Tara',
      lastName: 'Officer',
    });
    leaver = await createAccount(db, t.config.secretKey, {
      organisationId: camden,
      username: 'lee.leaver',
      firstName: 'Lee',
      lastName: 'Leaver',
    });
    const schools = await db
      .insertInto('schools')
      .values([
        { urn: 310001, organisation_id: camden, name: 'Acorn Primary', phase: 'Primary', updated_at: new Date() },
        { urn: 310002, organisation_id: camden, name: 'Birch Academy', phase: 'Secondary', updated_at: new Date() },
      ])
      .returning('id')
      .execute();
    [acorn, birch] = schools.map((s) => s.id) as [number, number];
    group = await t.services.schoolGroups.create(
      actor,
      undefined,
      { name: 'North cluster', schoolIds: [String(acorn), String(birch)] },
      ctx,
    );
    await t.services.userChanges.addSchool(actor, tara.id, { schoolId: String(acorn), role: 'governor' }, ctx);
    await t.services.userChanges.replaceSchools(
      actor,
      tara.id,
      [
        { schoolId: String(acorn), role: 'headteacher' },
        { schoolId: String(birch), role: 'school_improvement_partner' },
      ],
      ctx,
    );
    await t.services.userChanges.setPrivileges(
      actor,
      tara.id,
      { userType: 'read_only', privileges: ['summary_reports'] },
      ctx,
    );
    await t.services.userChanges.editDetails(
      actor,
      tara.id,
      { schoolGroupIds: [String(group)], defaultSchoolGroupId: String(group) },
      ctx,
    );
    await t.services.userStatus.archive(actor, leaver.id, ctx);
    await t.services.userStatus.delete(actor, leaver.id, ctx);
  });

  it('the LA log: a sentence, before → after with names and labels, the account named and linked', async () => {
    const client = await signIn(admin);
    const page = await client.get('/admin/audit');
    expect(page.statusCode).toBe(200);
    const html = table(page.body);
    for (const words of [
      // Schools replaced: by name and URN, roles by label, not `[object Object]`.
      'Schools replaced: 1 school added and 1 role changed; 2 schools now.',
      'Added: Birch Academy (URN 310002) as School Improvement Partner',
      'Role changed at Acorn Primary (URN 310001): Governor → Headteacher',
      'Added to Acorn Primary (URN 310001) as Governor.',
      // Privileges by label.
      'Type of User changed to Read only and 2 privileges removed.',
      'Type of User: LA Officer / Analyst → Read only',
      'Removed: Can view users; Include access to batch reporting and pupil level reports',
      // School groups by name, not id.
      'School group “North cluster” created with 2 schools.',
      'School groups: (none) → North cluster',
      'Default school group: (none) → North cluster',
      // The account, named and linked; a deleted one as its tombstone says.
      `<a class="govuk-link" href="/admin/users/${tara.id}">Tara Officer</a>`,
      'Account deleted by camden.admin: its personal details are erased and only this record remains.',
      'Deleted account',
      'Details removed when the account was deleted.',
    ])
      expect(html).toContain(words);
    expect(html).toMatch(/Deleted on \d{1,2} [A-Z][a-z]+ \d{4} by camden\.admin/);
    expect(html).not.toContain(`href="/admin/users/${leaver.id}"`);
    expect(words(html)).not.toContain('[object');
    expect(words(html)).not.toMatch(/[{}]/);
    expect(words(html)).not.toMatch(/school_improvement_partner|la_officer|read_only|view_users|pupil_level/);
    expect(words(html)).not.toMatch(/\d{4}-\d{2}-\d{2}/);
    expect(html).not.toContain('>View<');
  });

  it("the account's timeline says the same", async () => {
    const client = await signIn(admin);
    const page = await client.get(`/admin/users/${tara.id}/audit`);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Schools replaced: 1 school added and 1 role changed; 2 schools now.');
    expect(page.body).toContain('Role changed at Acorn Primary (URN 310001): Governor → Headteacher');
    expect(page.body).toContain('Default school group: (none) → North cluster');
    expect(page.body).not.toContain('[object');
  });

  it('the CSV has the same words as the page', async () => {
    const client = await signIn(admin);
    const csv = await client.get('/admin/audit/export.csv');
    expect(csv.statusCode).toBe(200);
    const lines = csvLines(csv.body);
    const row = (what: string) => lines.find((l) => l.includes(what)) ?? '';
    expect(row('Schools replaced')).toContain(
      'Schools replaced,Schools replaced: 1 school added and 1 role changed; 2 schools now.,' +
        '"Added: Birch Academy (URN 310002) as School Improvement Partner\nRole changed at Acorn Primary (URN 310001): Governor → Headteacher",' +
        'camden.admin,Tara Officer (tara.officer),10.9.9.9,',
    );
    expect(row('Privileges changed')).toContain('Type of User: LA Officer / Analyst → Read only');
    expect(row('School group created')).toContain('School group “North cluster” created with 2 schools.');
    expect(row('Account deleted')).toMatch(/Deleted account \(Deleted on \d{1,2} [A-Z][a-z]+ \d{4} by camden\.admin\)/);
    const body = lines.slice(1).join('\n');
    expect(body).not.toContain('[object');
    expect(body).not.toMatch(/[{}]/);
    expect(body).not.toMatch(/school_improvement_partner|la_officer|read_only|view_users/);
  });

  it('names only the LA’s own schools and groups: another LA’s school of the same URN is not looked up', async () => {
    const db = t.handle.db;
    const islington = await createOrganisation(db, '206', 'Islington');
    await db
      .insertInto('schools')
      .values({
        urn: 399999,
        organisation_id: islington,
        name: 'Islington Secret School',
        phase: null,
        updated_at: new Date(),
      })
      .execute();
    // A forged event in Camden's log naming Islington's school by URN: it stays a number.
    await db
      .insertInto('audit_events')
      .values({
        occurred_at: new Date(),
        action: 'account.schools-replaced',
        actor_account_id: null,
        actor_label: 'system',
        organisation_id: camden,
        subject_account_id: tara.id,
        ip: null,
        request_id: null,
        details: JSON.stringify({ before: [], after: [{ urn: 399999, role: 'other' }] }),
      })
      .execute();
    const client = await signIn(admin);
    const html = table((await client.get('/admin/audit?action=account.schools-replaced')).body);
    expect(html).toContain('Added: URN 399999 as Other');
    expect(html).not.toContain('Islington Secret School');
  });

  it('a long list of changes shows its first lines and folds the rest, all still on the page', async () => {
    const db = t.handle.db;
    const urns = Array.from({ length: 12 }, (_, i) => 320000 + i);
    await db
      .insertInto('schools')
      .values(
        urns.map((urn) => ({
          urn,
          organisation_id: camden,
          name: `Rowan ${urn}`,
          phase: null,
          updated_at: new Date(),
        })),
      )
      .execute();
    await db
      .insertInto('audit_events')
      .values({
        occurred_at: new Date(),
        action: 'account.schools-replaced',
        actor_account_id: admin.id,
        actor_label: 'camden.admin',
        organisation_id: camden,
        subject_account_id: tara.id,
        ip: null,
        request_id: null,
        details: JSON.stringify({ before: [], after: urns.map((urn) => ({ urn, role: 'consultant' })) }),
      })
      .execute();
    const client = await signIn(admin);
    const html = table((await client.get('/admin/audit?action=account.schools-replaced')).body);
    expect(html).toContain('Schools replaced: 12 schools added; 12 schools now.');
    expect(html).toContain('Show 6 more');
    for (const urn of urns) expect(html).toContain(`Added: Rowan ${urn} (URN ${urn}) as Consultant`);
  });
});
