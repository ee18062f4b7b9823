import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYSTEM_CONTEXT } from '../../src/services/request-context.ts';
import { loadPrincipal } from '../../src/services/sign-in/principal.ts';
import { createAccount, createOrganisation, type FixtureAccount } from '../support/fixtures.ts';
import { signInAs } from '../support/sign-in.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';

/**
 * One deletion date (found by an independent check of issue 14): an account archived at 10:00 is due
 * for deletion at 10:00 on the day its retention ends, after that night's 02:00 run, so the job
 * deletes it on the next night. The audit log said the retention's day, Archived users the job's.
 * Both now say the job's night, from the same schedule.
 */
const NOW = new Date('2026-12-03T10:00:00Z');
let t: TestApp;
let admin: FixtureAccount;
let leaver: FixtureAccount;

const cells = (html: string, username: string): string[] => {
  const row = html.split('<tr class="govuk-table__row">').find((r) => r.includes(`>${username}<`)) ?? '';
  return [...row.matchAll(/<td class="govuk-table__cell[^"]*">([\s\S]*?)<\/td>/g)].map((m) =>
    m[1]!
      .replace(/<[^>]+>/g, ' ')
      .replace(/\s+/g, ' ')
      .trim(),
  );
};

beforeAll(async () => {
  t = await createTestApp({ now: NOW.toISOString() });
  const camden = await createOrganisation(t.handle.db, '202', 'Camden');
  admin = await createAccount(t.handle.db, t.config.secretKey, {
    organisationId: camden,
    username: 'camden.admin',
    userType: 'la_admin',
    lastSignInAt: NOW,
  });
  leaver = await createAccount(t.handle.db, t.config.secretKey, {
    organisationId: camden,
    username: 'lee.leaver',
    lastSignInAt: NOW,
  });
  const principal = await loadPrincipal(t.handle.db, admin.id);
  await t.services.userStatus.archive(principal!.actor, leaver.id, SYSTEM_CONTEXT, 'manual');
});
afterAll(async () => t?.close());

describe('the deletion date of an archived account', () => {
  it('is the same day in the audit log, Archived users and the stored due instant’s next run', async () => {
    const row = await t.handle.db
      .selectFrom('accounts')
      .select('deletion_due_at')
      .where('id', '=', leaver.id)
      .executeTakeFirstOrThrow();
    const dueAt = row.deletion_due_at!;
    // Due at 10:00 UTC: after that day's 02:00 run, so the run of the next day deletes it.
    expect(dueAt.toISOString().slice(11, 16)).toBe('10:00');
    const nextDay = new Date(dueAt.getTime() + 86_400_000);
    const jobDay = new Intl.DateTimeFormat('en-GB', {
      day: 'numeric',
      month: 'long',
      year: 'numeric',
      timeZone: 'Europe/London',
    }).format(nextDay);

    const client = await signInAs(t, admin);
    const archived = await client.get('/admin/archived-users');
    expect(archived.statusCode).toBe(200);
    expect(cells(archived.body, 'lee.leaver').at(-2)).toBe(jobDay);

    const log = await client.get('/admin/audit?action=account.archived');
    expect(log.statusCode).toBe(200);
    expect(log.body).toContain(`it will be deleted on ${jobDay} unless restored`);
  });
});
