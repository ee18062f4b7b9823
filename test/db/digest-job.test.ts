import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addDays, addMonthsUtc } from '../../src/domain/calendar.ts';
import { isoWeek } from '../../src/jobs/digest-job.ts';
import { createAccount, createOrganisation } from '../support/fixtures.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';

const NOW = new Date('2026-11-30T07:00:00Z'); // a Monday
let t: TestApp;

beforeAll(async () => {
  t = await createTestApp({ now: NOW.toISOString() });
  const db = t.handle.db;
  const camden = await createOrganisation(db, '202', 'Camden');
  const kent = await createOrganisation(db, '886', 'Kent');
  const key = t.config.secretKey;
  await createAccount(db, key, { organisationId: camden, username: 'camden.admin', userType: 'la_admin', email: 'admin@camden.gov.uk', lastSignInAt: NOW });
  await createAccount(db, key, { organisationId: camden, username: 'camden.2fa', userType: 'read_only', privileges: ['nexus_admin'], email: 'twofa@camden.gov.uk', lastSignInAt: NOW });
  await createAccount(db, key, { organisationId: camden, username: 'camden.officer', userType: 'la_officer', lastSignInAt: NOW });
  await createAccount(db, key, { organisationId: camden, username: 'old.timer', lastSignInAt: addMonthsUtc(NOW, -13), firstName: 'Olive', lastName: 'Old' });
  await createAccount(db, key, { organisationId: camden, username: 'near.archive', lastSignInAt: addDays(addMonthsUtc(NOW, -18), 10) });
  await createAccount(db, key, { organisationId: camden, username: 'brand.new', createdAt: addDays(NOW, -2), lastSignInAt: null });
  const archived = await createAccount(db, key, { organisationId: camden, username: 'gone.soon', status: 'archived' });
  await db.updateTable('accounts').set({ deletion_due_at: addDays(NOW, 5) }).where('id', '=', archived.id).execute();
  await db.insertInto('audit_events').values({ occurred_at: addDays(NOW, -1), action: 'sign-in.archived-account', actor_label: 'gone.soon', organisation_id: camden, subject_account_id: archived.id, ip: '198.51.100.7', details: JSON.stringify({ username: 'gone.soon' }), security_alert: true }).execute();
  await createAccount(db, key, { organisationId: kent, username: 'kent.admin', userType: 'la_admin', email: 'admin@kent.gov.uk', lastSignInAt: NOW });
  // Lifecycle history for "warned this week".
  await t.services.lifecycle.run({ now: addDays(NOW, -1) });
});
afterAll(async () => t?.close());

describe('weekly Admin Digest (R47)', () => {
  it('numbers weeks as ISO 8601 does', () => {
    expect(isoWeek(new Date('2026-11-30T07:00:00Z'))).toBe('2026-W49');
    expect(isoWeek(new Date('2027-01-01T00:00:00Z'))).toBe('2026-W53');
    expect(isoWeek(new Date('2025-12-29T00:00:00Z'))).toBe('2026-W01');
  });

  it('sends one digest to each holder of manage_users or nexus_admin with every section, and never two in a week', async () => {
    const first = await t.services.digest.send({ now: NOW });
    expect(first).toMatchObject({ week: '2026-W49', recipients: 3, sent: 3 });
    const rows = await t.handle.db.selectFrom('email_outbox').selectAll().where('template', '=', 'admin-digest').orderBy('to_address').execute();
    expect(rows.map((r) => r.to_address)).toEqual(['admin@camden.gov.uk', 'admin@kent.gov.uk', 'twofa@camden.gov.uk']);
    const camden = rows[0]!.text_body;
    expect(camden).toContain('Olive Old (old.timer): last signed in');
    expect(camden).toMatch(/near\.archive\): 17-month warning sent/);
    expect(camden).toMatch(/Accounts due to be archived in the next 30 days:\n\n- .*near\.archive/);
    expect(camden).toMatch(/Deletions scheduled in the next 30 days:\n\n- .*gone\.soon/);
    expect(camden).toMatch(/New accounts this week:\n\n- .*brand\.new/);
    expect(camden).toContain('Accounts archived this week:\n\nNone.');
    expect(camden).toContain('sign-in attempt on archived account gone.soon from 198.51.100.7');
    expect(rows[1]!.text_body).not.toContain('old.timer');

    const again = await t.services.digest.send({ now: addDays(NOW, 3) });
    expect(again.sent).toBe(0);
    expect(await t.handle.db.selectFrom('email_outbox').select('id').where('template', '=', 'admin-digest').execute()).toHaveLength(3);
    const nextWeek = await t.services.digest.send({ now: addDays(NOW, 7) });
    expect(nextWeek.sent).toBe(3);
  });
});
