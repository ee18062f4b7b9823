import { sql } from 'kysely';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Actor } from '../../src/domain/access.ts';
import { addDays, addMonthsUtc } from '../../src/domain/calendar.ts';
import { PRIVILEGE_CODES } from '../../src/domain/privileges.ts';
import { generateTotp } from '../../src/domain/totp.ts';
import { formatDate } from '../../src/services/deps.ts';
import { FormClient } from '../support/browser.ts';
import { createAccount, createOrganisation, TEST_PASSWORD } from '../support/fixtures.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';

/**
 * The nightly lifecycle job (R35–R41) through its service, and what it writes: every sentence an
 * email states is checked against the account's history and against what the job later does.
 */

const NOW = new Date('2026-11-02T02:00:00Z'); // a run of the default nightly schedule (02:00 UK time)
const date = (d: Date) => formatDate(d, 'Europe/London');
const night = (iso: string) => new Date(`${iso}T02:00:00Z`); // 02:00 UK time in winter
let t: TestApp;
let camden: number;

async function outbox(template?: string) {
  let query = t.handle.db.selectFrom('email_outbox').selectAll().orderBy('created_at').orderBy('to_address');
  if (template) query = query.where('template', '=', template);
  return query.execute();
}

async function account(id: string) {
  return t.handle.db.selectFrom('accounts').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
}

function camdenAdmin(id = 'x'): Actor {
  return {
    kind: 'account',
    accountId: id,
    organisationId: camden,
    organisationKind: 'la',
    privileges: new Set(PRIVILEGE_CODES.filter((p) => p !== 'support')),
    label: 'admin',
  };
}

beforeAll(async () => {
  t = await createTestApp({
    now: NOW.toISOString(),
    env: { SUPPORT_EMAIL: 'help@ncer.example', SUPPORT_NAME: 'NCER Support' },
  });
});

// One database for the file (opening one is the slow part); each test starts from empty tables.
beforeEach(async () => {
  await sql`TRUNCATE organisations, schools, school_groups, accounts, email_outbox, email_mentions, audit_events, lifecycle_notices, lifecycle_policy, sessions, sign_in_throttle RESTART IDENTITY CASCADE`.execute(
    t.handle.db,
  );
  t.clock.set(NOW);
  camden = await createOrganisation(t.handle.db, '202', 'Camden');
  await createOrganisation(t.handle.db, 'central', 'NCER Support');
});
afterAll(async () => t?.close());

describe('lifecycle job (R35–R41)', () => {
  it('sends the first warning at 15 months, saying when and how long, naming the administrators; a second run sends nothing new', async () => {
    const db = t.handle.db;
    await createAccount(db, t.config.secretKey, {
      organisationId: camden,
      username: 'camden.admin',
      userType: 'la_admin',
      firstName: 'Ada',
      lastName: 'Admin',
      email: 'ada@camden.gov.uk',
      lastSignInAt: NOW,
    });
    const lastSignIn = new Date('2025-08-01T14:48:00Z');
    const sleeper = await createAccount(db, t.config.secretKey, {
      organisationId: camden,
      username: 'sleepy',
      firstName: 'Sam',
      lastSignInAt: lastSignIn,
    });
    const first = await t.services.lifecycle.run({ now: NOW });
    expect(first.counts).toMatchObject({ warned: 1, archived: 0, deleted: 0, emails: 1 });
    expect(first.items.map((i) => i.detail)).toEqual(['first warning']);
    const [mail] = await outbox('inactivity-warning-1');
    expect(mail!.account_id).toBe(sleeper.id);
    expect(mail!.to_address).toBe('sleepy@example.gov.uk');
    // 1 August 2025 14:48 + 15 months = 1 November 2026 14:48 → the 02:00 run of 2 November.
    // Warnings at 16 and 17 months go out on 2 December and 2 January; the archive at 18 months,
    // 1 February 14:48, on the run of 2 February 2027.
    expect(mail!.subject).toBe('Your Nexus account will be archived on 2 February 2027 unless you sign in');
    expect(mail!.text_body).toContain(
      'Nobody has signed in to the Nexus account sleepy (Camden) since 1 August 2025, 15 months ago.',
    );
    expect(mail!.text_body).toContain(
      'archives accounts that nobody signs in to for 18 months. If you do not sign in, this account will be archived on 2 February 2027.',
    );
    expect(mail!.text_body).toContain('- Ada Admin (ada@camden.gov.uk)');
    expect(mail!.text_body).not.toContain('last reminder');
    expect(mail!.html_body).toContain('2 February 2027');
    const notices = await db.selectFrom('lifecycle_notices').selectAll().where('account_id', '=', sleeper.id).execute();
    expect(notices.map((n) => [n.stage, n.period_start.toISOString(), n.sent_at.toISOString()])).toEqual([
      ['warning_1', lastSignIn.toISOString(), NOW.toISOString()],
    ]);

    const second = await t.services.lifecycle.run({ now: NOW });
    expect(second.items).toEqual([]);
    expect(await outbox()).toHaveLength(1);

    // The date it announced is the date the job archives it, if nobody signs in.
    for (const day of ['2026-12-02', '2027-01-02', '2027-02-01']) await t.services.lifecycle.run({ now: night(day) });
    expect((await account(sleeper.id)).status).toBe('active');
    const archived = await t.services.lifecycle.run({ now: night('2027-02-02') });
    expect(archived.items.map((i) => [i.username, i.detail])).toEqual([['sleepy', 'archived for inactivity']]);
    const [second2, final] = [(await outbox('inactivity-warning-2'))[0]!, (await outbox('inactivity-warning-3'))[0]!];
    expect(second2.text_body).toContain('since 1 August 2025, 16 months ago.');
    expect(final.subject).toBe('Final reminder: your Nexus account will be archived on 2 February 2027');
    expect(final.text_body).toContain('since 1 August 2025, 17 months ago.');
    expect(final.text_body).toContain('This is the last reminder you will get.');
  });

  it('an account found 21 months inactive gets a final warning that says 21 months, and is archived after the notice period (R37)', async () => {
    const db = t.handle.db;
    await createAccount(db, t.config.secretKey, {
      organisationId: camden,
      username: 'camden.admin',
      userType: 'la_admin',
      lastSignInAt: NOW,
    });
    const late = await createAccount(db, t.config.secretKey, {
      organisationId: camden,
      username: 'late',
      lastSignInAt: new Date('2025-01-11T09:00:00Z'),
    });
    await t.services.lifecycle.run({ now: NOW });
    const [mail] = await outbox('inactivity-warning-3');
    expect(mail!.account_id).toBe(late.id);
    expect(mail!.text_body).toContain('since 11 January 2025, 21 months ago.');
    // Not before 14 days after this warning: the run of 16 November.
    expect(mail!.subject).toBe('Final reminder: your Nexus account will be archived on 16 November 2026');
    await t.services.lifecycle.run({ now: night('2026-11-15') });
    expect((await account(late.id)).status).toBe('active');
    await t.services.lifecycle.run({ now: night('2026-11-16') });
    expect((await account(late.id)).status).toBe('archived');
  });

  it('a dry run reports what it would do and writes nothing', async () => {
    const db = t.handle.db;
    await createAccount(db, t.config.secretKey, {
      organisationId: camden,
      username: 'sleepy',
      lastSignInAt: addMonthsUtc(NOW, -17),
    });
    const count = async () =>
      (
        await sql<{
          n: string;
        }>`SELECT (SELECT count(*) FROM email_outbox) + (SELECT count(*) FROM lifecycle_notices) + (SELECT count(*) FROM audit_events) AS n`.execute(
          db,
        )
      ).rows[0]!.n;
    const before = await count();
    const result = await t.services.lifecycle.run({ now: NOW, dryRun: true });
    expect(result.items.map((i) => i.detail)).toEqual(['final warning']);
    expect(await count()).toBe(before);
  });

  it('an administrator at the first warning: the others are told what to do if they still need access and if they have left (R38)', async () => {
    const db = t.handle.db;
    await createAccount(db, t.config.secretKey, {
      organisationId: camden,
      username: 'camden.admin',
      userType: 'la_admin',
      firstName: 'Ada',
      lastName: 'Active',
      email: 'ada@camden.gov.uk',
      lastSignInAt: NOW,
    });
    const dormant = await createAccount(db, t.config.secretKey, {
      organisationId: camden,
      username: 'dormant.admin',
      userType: 'la_admin',
      firstName: 'Dan',
      lastName: 'Dormant',
      lastSignInAt: new Date('2025-08-01T10:00:00Z'),
    });
    await t.services.lifecycle.run({ now: NOW });
    const [alert] = await outbox('admin-at-risk');
    expect(alert!.to_address).toBe('ada@camden.gov.uk');
    expect(alert!.subject).toBe(
      'Camden: administrator Dan Dormant (dormant.admin) will be archived on 2 February 2027 unless they sign in',
    );
    expect(alert!.text_body).toContain(
      'Dan Dormant (dormant.admin) holds "Can Add, Delete and Manage Users" at Camden. Nobody has signed in to the account since 1 August 2025, 15 months ago. It will be archived on 2 February 2027 unless it is used.',
    );
    expect(alert!.text_body).toContain(
      'If Dan Dormant still needs access, ask them to sign in before 2 February 2027.',
    );
    expect(alert!.text_body).toContain(
      'If they have left, archive the account now, or remove "Can Add, Delete and Manage Users" from it',
    );
    expect(alert!.text_body).toContain(`/admin/users/${dormant.id}`);
    // Not the old advice: the account is not archived, and a leaver who can manage users needs action.
    expect(alert!.text_body).not.toMatch(/restore it from Archived users|no action is needed/);
    // The alert names the account: deleting it erases it from this email (R31).
    expect(
      await db.selectFrom('email_mentions').select('account_id').where('email_id', '=', alert!.id).execute(),
    ).toEqual([{ account_id: dormant.id }]);
    // Only at the first warning.
    await t.services.lifecycle.run({ now: night('2026-12-02') });
    expect(await outbox('admin-at-risk')).toHaveLength(1);
  });

  it('an administrator archived: the others are told how to restore it; the archive notice names only administrators still active', async () => {
    const db = t.handle.db;
    const active = await createAccount(db, t.config.secretKey, {
      organisationId: camden,
      username: 'camden.admin',
      userType: 'la_admin',
      firstName: 'Ada',
      lastName: 'Active',
      email: 'ada@camden.gov.uk',
      lastSignInAt: NOW,
    });
    // Two administrators archived in the same run: neither is named as a contact, nor told about the other.
    const since = new Date('2025-05-01T10:00:00Z');
    const [one, two] = await Promise.all(
      ['one.admin', 'two.admin'].map((u) =>
        createAccount(db, t.config.secretKey, {
          organisationId: camden,
          username: u,
          userType: 'la_admin',
          email: `${u}@camden.gov.uk`,
          lastSignInAt: since,
        }),
      ),
    );
    await db
      .insertInto('sessions')
      .values({
        id_hash: 'h'.repeat(64),
        account_id: one!.id,
        stage: 'signed_in',
        created_at: NOW,
        last_seen_at: NOW,
        expires_at: addDays(NOW, 1),
        ip: null,
        user_agent: null,
      })
      .execute();
    for (const stage of ['warning_1', 'warning_2', 'warning_3'] as const) {
      await db
        .insertInto('lifecycle_notices')
        .values([one!, two!].map((a) => ({ account_id: a.id, period_start: since, stage, sent_at: addDays(NOW, -30) })))
        .execute();
    }
    const run = await t.services.lifecycle.run({ now: NOW });
    expect(run.counts.archived).toBe(2);
    const row = await account(one!.id);
    expect(row).toMatchObject({ status: 'archived', archive_reason: 'inactivity' });
    expect(row.deletion_due_at).toEqual(addMonthsUtc(NOW, 18));
    expect(row.lifecycle_due_at).toEqual(addMonthsUtc(NOW, 18));
    expect(await db.selectFrom('sessions').select('id_hash').where('account_id', '=', one!.id).execute()).toEqual([]);
    const notices = await outbox('archived-inactivity');
    expect(notices.map((m) => m.account_id).sort()).toEqual([one!.id, two!.id].sort());
    for (const m of notices) {
      expect(m.text_body).toContain(
        'was archived on 2 November 2026 because nobody had signed in to it since 1 May 2025 (18 months).',
      );
      // 18 months after 02:00 GMT is 03:00 BST, after that night's 02:00 BST run: the next night's run deletes it.
      expect(m.text_body).toContain('restore the account before 3 May 2028, when it will be deleted:');
      expect(m.text_body).toContain('- Ada Active (ada@camden.gov.uk)');
      expect(m.text_body).not.toMatch(/one\.admin@|two\.admin@/);
    }
    const alerts = await outbox('admin-at-risk');
    expect(alerts.map((a) => a.to_address)).toEqual(['ada@camden.gov.uk', 'ada@camden.gov.uk']);
    expect(alerts.map((a) => a.account_id)).toEqual([active.id, active.id]);
    for (const a of alerts) {
      expect(a.subject).toMatch(/^Camden: administrator Test (one|two)\.admin \((one|two)\.admin\) has been archived$/);
      expect(a.text_body).toContain(
        'was archived on 2 November 2026 because nobody had signed in to it since 1 May 2025 (18 months).',
      );
      expect(a.text_body).toContain(
        'restore the account from Archived users before 3 May 2028, when it will be deleted.',
      );
      expect(a.text_body).not.toContain('ask its holder to sign in');
    }
    // The deletion date announced is the one Archived users shows, and the run that deletes it.
    const archivedPage = await t.services.directory.archived(camdenAdmin(active.id), undefined);
    expect(archivedPage.rows.map((r) => date(r.deleteAt!))).toEqual(['3 May 2028', '3 May 2028']);
    await t.services.lifecycle.run({ now: new Date('2028-05-02T01:00:00Z') });
    expect((await account(one!.id)).status).toBe('archived');
    const deleted = await t.services.lifecycle.run({ now: new Date('2028-05-03T01:00:00Z') });
    expect(deleted.counts.deleted).toBe(2);
  });

  it('alerts central support when the LA has no other active administrator (R38), and names support as the contact', async () => {
    const db = t.handle.db;
    const only = await createAccount(db, t.config.secretKey, {
      organisationId: camden,
      username: 'only.admin',
      userType: 'la_admin',
      lastSignInAt: new Date('2025-08-01T10:00:00Z'),
    });
    await t.services.lifecycle.run({ now: NOW });
    const alerts = await outbox('admin-at-risk');
    expect(alerts.map((a) => [a.to_address, a.account_id])).toEqual([['help@ncer.example', null]]);
    expect(alerts[0]!.text_body).toContain(
      'Camden has no other active administrator: once this account is archived, nobody at Camden can manage its users.',
    );
    const [warning] = await outbox('inactivity-warning-1');
    expect(warning!.text_body).toContain('- NCER Support (help@ncer.example), as Camden has no active administrator');
    void only;
  });

  it('an access end date archives on its day (R11, R40): the user and the administrators are told, with the date the job acted', async () => {
    const db = t.handle.db;
    const admin = await createAccount(db, t.config.secretKey, {
      organisationId: camden,
      username: 'camden.admin',
      userType: 'la_admin',
      email: 'admin@camden.gov.uk',
      lastSignInAt: NOW,
    });
    const contractor = await createAccount(db, t.config.secretKey, {
      organisationId: camden,
      username: 'contractor',
      firstName: 'Cara',
      lastName: 'Contract',
      userType: 'commissioned',
      lastSignInAt: NOW,
    });
    await db.updateTable('accounts').set({ access_end_date: '2026-11-03' }).where('id', '=', contractor.id).execute();
    expect((await t.services.lifecycle.run({ now: NOW })).counts.accessEnded).toBe(0);
    const result = await t.services.lifecycle.run({ now: night('2026-11-03') });
    expect(result.counts.accessEnded).toBe(1);
    expect((await account(contractor.id)).archive_reason).toBe('access-ended');
    const [toAdmin] = await outbox('access-ended-admin');
    expect(toAdmin!.to_address).toBe('admin@camden.gov.uk');
    expect(toAdmin!.text_body).toContain(
      'The access end date of Cara Contract (contractor), 3 November 2026, was reached, so the account was archived on 3 November 2026.',
    );
    expect(toAdmin!.text_body).toContain('before 4 May 2028, when it will be deleted.');
    const [toUser] = await outbox('access-ended');
    expect(toUser!.account_id).toBe(contractor.id);
    expect(toUser!.text_body).toContain(
      'was archived on 3 November 2026 because its access end date, 3 November 2026, was reached.',
    );
    // Restored, it stays restored: the date that has passed is cleared, not applied again that night.
    t.clock.set(new Date('2026-11-04T10:00:00Z'));
    await t.services.userStatus.restore(camdenAdmin(admin.id), contractor.id, {
      ip: null,
      userAgent: null,
      requestId: null,
    });
    expect(await account(contractor.id)).toMatchObject({ status: 'active', access_end_date: null });
    expect((await t.services.lifecycle.run({ now: night('2026-11-05') })).items).toEqual([]);
    expect((await account(contractor.id)).status).toBe('active');
  });

  it("the LA's only administrator archived by an access end date: central support is told (R38)", async () => {
    const db = t.handle.db;
    const only = await createAccount(db, t.config.secretKey, {
      organisationId: camden,
      username: 'only.admin',
      userType: 'la_admin',
      firstName: 'Olu',
      lastName: 'Only',
      lastSignInAt: NOW,
    });
    await db.updateTable('accounts').set({ access_end_date: '2026-11-02' }).where('id', '=', only.id).execute();
    await t.services.lifecycle.run({ now: NOW });
    const alerts = await outbox('admin-at-risk');
    expect(alerts.map((a) => a.to_address)).toEqual(['help@ncer.example']);
    expect(alerts[0]!.subject).toBe('Camden: administrator Olu Only (only.admin) has been archived');
    expect(alerts[0]!.text_body).toContain('because its access end date, 2 November 2026, was reached.');
    expect(alerts[0]!.text_body).toContain('Camden now has no active administrator.');
    expect(alerts[0]!.text_body).toContain('/admin/archived-users?la=202');
  });

  it('deletes archived accounts on the run after their retention ends (R39), the date Archived users showed', async () => {
    const db = t.handle.db;
    const old = await createAccount(db, t.config.secretKey, {
      organisationId: camden,
      username: 'long.gone',
      status: 'archived',
    });
    await db
      .updateTable('accounts')
      .set({ deletion_due_at: new Date('2026-11-01T14:05:00Z') })
      .where('id', '=', old.id)
      .execute();
    const notYet = await createAccount(db, t.config.secretKey, {
      organisationId: camden,
      username: 'not.yet',
      status: 'archived',
    });
    await db
      .updateTable('accounts')
      .set({ deletion_due_at: new Date('2026-11-02T14:05:00Z') })
      .where('id', '=', notYet.id)
      .execute();
    const shown = await t.services.directory.archived(camdenAdmin(), undefined);
    expect(Object.fromEntries(shown.rows.map((r) => [r.username, date(r.deleteAt!)]))).toEqual({
      'long.gone': '2 November 2026',
      'not.yet': '3 November 2026',
    });
    const result = await t.services.lifecycle.run({ now: NOW });
    expect(result.counts.deleted).toBe(1);
    expect(await db.selectFrom('accounts').select('username').where('status', '=', 'archived').execute()).toEqual([
      { username: 'not.yet' },
    ]);
    expect(
      await db
        .selectFrom('audit_events')
        .select('action')
        .where('subject_account_id', '=', old.id)
        .where('action', '=', 'account.deleted')
        .execute(),
    ).toHaveLength(1);
    expect((await t.services.lifecycle.run({ now: night('2026-11-03') })).counts.deleted).toBe(1);
  });

  it('a change that rolls back leaves no email and no notice; the next run does it once', async () => {
    const db = t.handle.db;
    const sleeper = await createAccount(db, t.config.secretKey, {
      organisationId: camden,
      username: 'sleepy',
      lastSignInAt: addMonthsUtc(NOW, -16),
    });
    const other = await createAccount(db, t.config.secretKey, {
      organisationId: camden,
      username: 'other',
      lastSignInAt: addMonthsUtc(NOW, -15),
    });
    await sql`CREATE FUNCTION fail_warning() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN
      IF NEW.action = 'lifecycle.warning-sent' AND NEW.details->>'stage' = 'warning_2' THEN RAISE EXCEPTION 'simulated failure'; END IF; RETURN NEW; END $$`.execute(
      db,
    );
    await sql`CREATE TRIGGER fail_warning BEFORE INSERT ON audit_events FOR EACH ROW EXECUTE FUNCTION fail_warning()`.execute(
      db,
    );
    try {
      const failed = await t.services.lifecycle.run({ now: NOW });
      // The batch failed; retried an account at a time, only the bad one fails.
      expect(failed.failures.map((f) => f.accountId)).toEqual([sleeper.id]);
      expect((await outbox()).map((m) => m.account_id)).toEqual([other.id]);
      expect(await db.selectFrom('lifecycle_notices').select('account_id').execute()).toEqual([
        { account_id: other.id },
      ]);
    } finally {
      await sql`DROP TRIGGER fail_warning ON audit_events`.execute(db);
      await sql`DROP FUNCTION fail_warning()`.execute(db);
    }
    const retried = await t.services.lifecycle.run({ now: NOW });
    expect(retried.counts.warned).toBe(1);
    expect(await outbox()).toHaveLength(2);
  });

  it('previews the coming days on the runs that will do them', async () => {
    const db = t.handle.db;
    await createAccount(db, t.config.secretKey, {
      organisationId: camden,
      username: 'soon.warned',
      lastSignInAt: new Date('2025-08-11T15:00:00Z'),
    });
    await createAccount(db, t.config.secretKey, { organisationId: camden, username: 'fresh', lastSignInAt: NOW });
    const events = await t.services.lifecycle.preview({ now: NOW, days: 30 });
    expect(events.map((e) => [e.username, e.detail, e.date.toISOString()])).toEqual([
      ['soon.warned', 'first warning', '2026-11-12T02:00:00.000Z'],
    ]);
    expect(await outbox()).toEqual([]);

    const view = await t.services.lifecycleView.preview(camdenAdmin(), { days: '30' });
    expect(view.events.map((e) => e.username)).toEqual(['soon.warned']);
    await expect(t.services.lifecycleView.preview(camdenAdmin(), { days: '0' })).rejects.toMatchObject({
      fields: { days: expect.any(String) },
    });
    await expect(t.services.lifecycleView.preview(camdenAdmin(), { days: '9999' })).rejects.toMatchObject({
      fields: { days: expect.any(String) },
    });
    // And the job does it on that run, not a night earlier or later.
    await t.services.lifecycle.run({ now: night('2026-11-11') });
    expect(await outbox()).toEqual([]);
    await t.services.lifecycle.run({ now: night('2026-11-12') });
    expect(await outbox('inactivity-warning-1')).toHaveLength(1);
  });

  it('serves the preview as JSON at /api/v1/lifecycle/preview, with problem details for bad input', async () => {
    const db = t.handle.db;
    const admin = await createAccount(db, t.config.secretKey, {
      organisationId: camden,
      username: 'camden.admin',
      userType: 'la_admin',
      lastSignInAt: NOW,
    });
    await createAccount(db, t.config.secretKey, {
      organisationId: camden,
      username: 'soon.warned',
      lastSignInAt: new Date('2025-08-11T15:00:00Z'),
    });
    const client = new FormClient(t.app);
    await client.get('/sign-in');
    await client.post('/sign-in', { username: 'camden.admin', password: TEST_PASSWORD });
    await client.get('/sign-in/two-factor');
    await client.post('/sign-in/two-factor', { code: generateTotp(admin.totpSecret!, t.clock.now()) });
    const ok = await client.get('/api/v1/lifecycle/preview?days=30');
    expect(ok.statusCode).toBe(200);
    const body = ok.json<{ events: unknown[] }>();
    expect(body).toMatchObject({ organisation: { laCode: '202', name: 'Camden' }, days: 30 });
    expect(body.events).toEqual([
      expect.objectContaining({
        action: 'warn',
        detail: 'first warning',
        date: '2026-11-12T02:00:00.000Z',
        account: expect.objectContaining({ username: 'soon.warned' }),
      }),
    ]);
    const bad = await client.get('/api/v1/lifecycle/preview?days=abc');
    expect(bad.statusCode).toBe(400);
    expect(bad.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(JSON.parse(bad.body)).toMatchObject({ status: 400, errors: { days: expect.any(String) } });
    const anonymous = await t.app.inject('/api/v1/lifecycle/preview');
    expect(anonymous.statusCode).toBe(401);
  });

  it('a night with nothing due looks at nothing: the cost follows the due work', async () => {
    const db = t.handle.db;
    for (let i = 0; i < 30; i++)
      await createAccount(db, t.config.secretKey, {
        organisationId: camden,
        username: `user${i}`,
        lastSignInAt: addMonthsUtc(NOW, -(i % 12)),
      });
    const first = await t.services.lifecycle.run({ now: NOW });
    expect(first.visited).toBe(30); // computes the next-event time of accounts that had none
    const second = await t.services.lifecycle.run({ now: night('2026-11-03') });
    expect(second.visited).toBe(0);
  });

  it('a new policy makes every stored next-event time stale: they are computed again, once', async () => {
    const db = t.handle.db;
    const a = await createAccount(db, t.config.secretKey, {
      organisationId: camden,
      username: 'someone',
      lastSignInAt: NOW,
    });
    await t.services.lifecycle.run({ now: NOW });
    expect((await account(a.id)).lifecycle_due_at).toEqual(addMonthsUtc(NOW, 15));
    await db.updateTable('lifecycle_policy').set({ fingerprint: 'an older policy' }).execute();
    const dry = await t.services.lifecycle.run({ now: night('2026-11-03'), dryRun: true });
    expect(dry.visited).toBe(1);
    expect((await account(a.id)).lifecycle_due_at).toEqual(addMonthsUtc(NOW, 15));
    const run = await t.services.lifecycle.run({ now: night('2026-11-03') });
    expect(run.visited).toBe(1);
    expect((await account(a.id)).lifecycle_due_at).toEqual(addMonthsUtc(NOW, 15));
    expect((await t.services.lifecycle.run({ now: night('2026-11-04') })).visited).toBe(0);
  });
});

describe('lifecycle job with LIFECYCLE_WARNING_MONTHS=6,7,8 and LIFECYCLE_ARCHIVE_MONTHS=9', () => {
  let short: TestApp;
  beforeAll(async () => {
    short = await createTestApp({
      now: NOW.toISOString(),
      env: { LIFECYCLE_WARNING_MONTHS: '6,7,8', LIFECYCLE_ARCHIVE_MONTHS: '9' },
    });
  });
  afterAll(async () => short?.close());

  it('the emails state the configured months and dates, never 15 or 18', async () => {
    const db = short.handle.db;
    const la = await createOrganisation(db, '202', 'Camden');
    await createAccount(db, short.config.secretKey, {
      organisationId: la,
      username: 'camden.admin',
      userType: 'la_admin',
      lastSignInAt: NOW,
    });
    const sleeper = await createAccount(db, short.config.secretKey, {
      organisationId: la,
      username: 'sleepy',
      lastSignInAt: new Date('2026-05-01T10:00:00Z'),
    });
    await short.services.lifecycle.run({ now: NOW });
    const [warning] = await short.handle.db
      .selectFrom('email_outbox')
      .selectAll()
      .where('template', '=', 'inactivity-warning-1')
      .execute();
    expect(warning!.text_body).toContain('since 1 May 2026, 6 months ago.');
    expect(warning!.text_body).toContain(
      'nobody signs in to for 9 months. If you do not sign in, this account will be archived on 2 February 2027.',
    );
    expect(warning!.text_body).not.toMatch(/\b1[5-8] months\b/);
    for (const day of ['2026-12-02', '2027-01-02']) await short.services.lifecycle.run({ now: night(day) });
    await short.services.lifecycle.run({ now: night('2027-02-02') });
    const row = await db
      .selectFrom('accounts')
      .select(['status'])
      .where('id', '=', sleeper.id)
      .executeTakeFirstOrThrow();
    expect(row.status).toBe('archived');
    const [archived] = await db
      .selectFrom('email_outbox')
      .selectAll()
      .where('template', '=', 'archived-inactivity')
      .execute();
    expect(archived!.text_body).toContain('because nobody had signed in to it since 1 May 2026 (9 months).');
  });
});
