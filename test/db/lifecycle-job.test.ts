import { sql } from 'kysely';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { addDays, addMonthsUtc } from '../../src/domain/calendar.ts';
import { generateTotp } from '../../src/domain/totp.ts';
import { FormClient } from '../support/browser.ts';
import { createAccount, createOrganisation, TEST_PASSWORD } from '../support/fixtures.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';

const NOW = new Date('2026-11-02T02:00:00Z');
let t: TestApp;
let camden: number;

async function outbox(template?: string) {
  let query = t.handle.db.selectFrom('email_outbox').selectAll().orderBy('created_at').orderBy('dedup_key');
  if (template) query = query.where('template', '=', template);
  return query.execute();
}

beforeAll(async () => {
  t = await createTestApp({ now: NOW.toISOString(), env: { SUPPORT_EMAIL: 'help@ncer.example' } });
});

// One database for the file (opening one is the slow part); each test starts from empty tables.
beforeEach(async () => {
  await sql`TRUNCATE organisations, schools, school_groups, accounts, email_outbox, audit_events, lifecycle_notices, sessions, sign_in_throttle RESTART IDENTITY CASCADE`.execute(t.handle.db);
  t.clock.set(NOW);
  camden = await createOrganisation(t.handle.db, '202', 'Camden');
  await createOrganisation(t.handle.db, 'central', 'NCER Support');
});
afterAll(async () => t?.close());

describe('lifecycle job (R35–R41)', () => {
  it('warns at 15 months naming the LA administrators, and a second run sends nothing new', async () => {
    const db = t.handle.db;
    await createAccount(db, t.config.secretKey, { organisationId: camden, username: 'camden.admin', userType: 'la_admin', firstName: 'Ada', lastName: 'Admin', email: 'ada@camden.gov.uk', lastSignInAt: NOW });
    const sleeper = await createAccount(db, t.config.secretKey, { organisationId: camden, username: 'sleepy', lastSignInAt: addMonthsUtc(NOW, -15) });
    const first = await t.services.lifecycle.run({ now: NOW });
    expect(first.counts).toMatchObject({ warned: 1, archived: 0, deleted: 0 });
    const [mail] = await outbox('inactivity-warning_15');
    expect(mail!.account_id).toBe(sleeper.id);
    expect(mail!.text_body).toContain('Ada Admin (ada@camden.gov.uk)');
    expect(mail!.text_body).toContain('archived on');
    const notices = await db.selectFrom('lifecycle_notices').selectAll().where('account_id', '=', sleeper.id).execute();
    expect(notices.map((n) => n.stage)).toEqual(['warning_15']);

    const second = await t.services.lifecycle.run({ now: NOW });
    expect(second.items).toEqual([]);
    expect(await outbox()).toHaveLength(1);
  });

  it('a dry run reports what it would do and writes nothing', async () => {
    const db = t.handle.db;
    await createAccount(db, t.config.secretKey, { organisationId: camden, username: 'sleepy', lastSignInAt: addMonthsUtc(NOW, -17) });
    const before = await sql<{ n: string }>`SELECT (SELECT count(*) FROM email_outbox) + (SELECT count(*) FROM lifecycle_notices) + (SELECT count(*) FROM audit_events) AS n`.execute(db);
    const result = await t.services.lifecycle.run({ now: NOW, dryRun: true });
    expect(result.items.map((i) => i.detail)).toEqual(['17-month warning']);
    const after = await sql<{ n: string }>`SELECT (SELECT count(*) FROM email_outbox) + (SELECT count(*) FROM lifecycle_notices) + (SELECT count(*) FROM audit_events) AS n`.execute(db);
    expect(after.rows[0]!.n).toBe(before.rows[0]!.n);
  });

  it('archives at 18 months after a warning, ends sessions, tells the user, and alerts the other administrators when an administrator is archived (R38)', async () => {
    const db = t.handle.db;
    const active = await createAccount(db, t.config.secretKey, { organisationId: camden, username: 'camden.admin', userType: 'la_admin', email: 'active.admin@camden.gov.uk', lastSignInAt: NOW });
    const dormant = await createAccount(db, t.config.secretKey, { organisationId: camden, username: 'dormant.admin', userType: 'la_admin', lastSignInAt: addMonthsUtc(NOW, -17) });
    // First run: the 17-month warning (the first of this period), and an alert to the other administrator.
    t.clock.set(NOW);
    const warned = await t.services.lifecycle.run({ now: NOW });
    expect(warned.counts.warned).toBe(1);
    const alerts = await outbox('admin-at-risk');
    expect(alerts.map((a) => a.to_address)).toEqual(['active.admin@camden.gov.uk']);
    expect(alerts[0]!.subject).toContain('is due to be archived');
    await db.insertInto('sessions').values({ id_hash: 'h'.repeat(64), account_id: dormant.id, stage: 'signed_in', created_at: NOW, last_seen_at: NOW, expires_at: addDays(NOW, 1), ip: null, user_agent: null }).execute();

    const at18 = addMonthsUtc(addMonthsUtc(NOW, -17), 18);
    const archived = await t.services.lifecycle.run({ now: at18 });
    expect(archived.counts.archived).toBe(1);
    const row = await db.selectFrom('accounts').selectAll().where('id', '=', dormant.id).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ status: 'archived', archive_reason: 'inactivity' });
    expect(row.deletion_due_at).toEqual(addMonthsUtc(at18, 18));
    expect(await db.selectFrom('sessions').select('id_hash').where('account_id', '=', dormant.id).execute()).toEqual([]);
    expect((await outbox('archived-inactivity')).map((m) => m.account_id)).toEqual([dormant.id]);
    expect((await outbox('admin-at-risk')).map((a) => a.subject)).toEqual([expect.stringContaining('due to be archived'), expect.stringContaining('has been archived')]);
    void active;
  });

  it('alerts central support when the LA has no other active administrator (R38)', async () => {
    const db = t.handle.db;
    await createAccount(db, t.config.secretKey, { organisationId: camden, username: 'only.admin', userType: 'la_admin', lastSignInAt: addMonthsUtc(NOW, -15) });
    await t.services.lifecycle.run({ now: NOW });
    const alerts = await outbox('admin-at-risk');
    expect(alerts.map((a) => a.to_address)).toEqual(['help@ncer.example']);
    expect(alerts[0]!.text_body).toContain('has no other active administrator');
  });

  it('applies access end dates (R11, R40) and tells the LA administrators', async () => {
    const db = t.handle.db;
    await createAccount(db, t.config.secretKey, { organisationId: camden, username: 'camden.admin', userType: 'la_admin', email: 'admin@camden.gov.uk', lastSignInAt: NOW });
    const contractor = await createAccount(db, t.config.secretKey, { organisationId: camden, username: 'contractor', userType: 'commissioned', lastSignInAt: NOW });
    await db.updateTable('accounts').set({ access_end_date: '2026-11-02' }).where('id', '=', contractor.id).execute();
    const result = await t.services.lifecycle.run({ now: NOW });
    expect(result.counts.accessEnded).toBe(1);
    expect((await db.selectFrom('accounts').select('archive_reason').where('id', '=', contractor.id).executeTakeFirstOrThrow()).archive_reason).toBe('access-ended');
    expect((await outbox('access-ended-admin')).map((m) => m.to_address)).toEqual(['admin@camden.gov.uk']);
    expect((await outbox('access-ended')).map((m) => m.account_id)).toEqual([contractor.id]);
  });

  it('deletes archived accounts when their retention ends (R39)', async () => {
    const db = t.handle.db;
    const old = await createAccount(db, t.config.secretKey, { organisationId: camden, username: 'long.gone', status: 'archived' });
    await db.updateTable('accounts').set({ deletion_due_at: NOW }).where('id', '=', old.id).execute();
    const notYet = await createAccount(db, t.config.secretKey, { organisationId: camden, username: 'not.yet', status: 'archived' });
    await db.updateTable('accounts').set({ deletion_due_at: addDays(NOW, 1) }).where('id', '=', notYet.id).execute();
    const result = await t.services.lifecycle.run({ now: NOW });
    expect(result.counts.deleted).toBe(1);
    expect(await db.selectFrom('accounts').select('username').where('status', '=', 'archived').execute()).toEqual([{ username: 'not.yet' }]);
    expect(await db.selectFrom('audit_events').select('action').where('subject_account_id', '=', old.id).where('action', '=', 'account.deleted').execute()).toHaveLength(1);
  });

  it('a change that rolls back leaves no email and no notice; the next run does it once', async () => {
    const db = t.handle.db;
    const sleeper = await createAccount(db, t.config.secretKey, { organisationId: camden, username: 'sleepy', lastSignInAt: addMonthsUtc(NOW, -16) });
    await sql`CREATE FUNCTION fail_warning() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN
      IF NEW.action = 'lifecycle.warning-sent' THEN RAISE EXCEPTION 'simulated failure'; END IF; RETURN NEW; END $$`.execute(db);
    await sql`CREATE TRIGGER fail_warning BEFORE INSERT ON audit_events FOR EACH ROW EXECUTE FUNCTION fail_warning()`.execute(db);
    const failed = await t.services.lifecycle.run({ now: NOW });
    expect(failed.failures.map((f) => f.accountId)).toEqual([sleeper.id]);
    expect(await outbox()).toEqual([]);
    expect(await db.selectFrom('lifecycle_notices').selectAll().execute()).toEqual([]);
    await sql`DROP TRIGGER fail_warning ON audit_events`.execute(db);
    const retried = await t.services.lifecycle.run({ now: NOW });
    expect(retried.counts.warned).toBe(1);
    expect(await outbox()).toHaveLength(1);
  });

  it('previews the coming days: who is warned, archived or deleted, and when', async () => {
    const db = t.handle.db;
    await createAccount(db, t.config.secretKey, { organisationId: camden, username: 'soon.warned', lastSignInAt: addDays(addMonthsUtc(NOW, -15), 10) });
    await createAccount(db, t.config.secretKey, { organisationId: camden, username: 'fresh', lastSignInAt: NOW });
    const events = await t.services.lifecycle.preview({ now: NOW, days: 30 });
    expect(events.map((e) => [e.username, e.detail])).toEqual([['soon.warned', '15-month warning']]);
    expect(events[0]!.date.toISOString().slice(0, 10)).toBe('2026-11-12');
    expect(await outbox()).toEqual([]);

    const actor = { kind: 'account' as const, accountId: 'x', organisationId: camden, organisationKind: 'la' as const, privileges: new Set(['manage_users' as const]), label: 'admin' };
    const view = await t.services.lifecycleView.preview(actor, { days: '30' });
    expect(view.events.map((e) => e.username)).toEqual(['soon.warned']);
    await expect(t.services.lifecycleView.preview(actor, { days: '0' })).rejects.toMatchObject({ fields: { days: expect.any(String) } });
    await expect(t.services.lifecycleView.preview(actor, { days: '9999' })).rejects.toMatchObject({ fields: { days: expect.any(String) } });
  });

  it('serves the preview as JSON at /api/v1/lifecycle/preview, with problem details for bad input', async () => {
    const db = t.handle.db;
    const admin = await createAccount(db, t.config.secretKey, { organisationId: camden, username: 'camden.admin', userType: 'la_admin', lastSignInAt: NOW });
    await createAccount(db, t.config.secretKey, { organisationId: camden, username: 'soon.warned', lastSignInAt: addDays(addMonthsUtc(NOW, -15), 10) });
    const client = new FormClient(t.app);
    await client.get('/sign-in');
    await client.post('/sign-in', { username: 'camden.admin', password: TEST_PASSWORD });
    await client.get('/sign-in/two-factor');
    await client.post('/sign-in/two-factor', { code: generateTotp(admin.totpSecret!, t.clock.now()) });
    const ok = await client.get('/api/v1/lifecycle/preview?days=30');
    expect(ok.statusCode).toBe(200);
    const body = JSON.parse(ok.body);
    expect(body).toMatchObject({ organisation: { laCode: '202', name: 'Camden' }, days: 30 });
    expect(body.events).toEqual([expect.objectContaining({ action: 'warn', detail: '15-month warning', account: expect.objectContaining({ username: 'soon.warned' }) })]);
    const bad = await client.get('/api/v1/lifecycle/preview?days=abc');
    expect(bad.statusCode).toBe(400);
    expect(bad.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(JSON.parse(bad.body)).toMatchObject({ status: 400, errors: { days: expect.any(String) } });
    const anonymous = await t.app.inject('/api/v1/lifecycle/preview');
    expect(anonymous.statusCode).toBe(401);
  });
});
