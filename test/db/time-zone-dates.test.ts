import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatDate } from '../../src/services/deps.ts';
import { createAccount, createOrganisation } from '../support/fixtures.ts';
import { signInAs } from '../support/sign-in.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';

/**
 * Every date people read is in the service's time zone (LIFECYCLE_TIMEZONE), wherever it is
 * written: the archive confirmation and its message say the same day as the user page. Kiritimati
 * (UTC+14) makes a mix-up visible: at 12:00 UTC it is already the next day there.
 */
let t: TestApp;
beforeAll(async () => {
  t = await createTestApp({ now: '2026-11-20T12:00:00Z', env: { LIFECYCLE_TIMEZONE: 'Pacific/Kiritimati' } });
});
afterAll(async () => t?.close());

describe('dates people read', () => {
  it('the archive page, its message and the user page give the same deletion day, in the configured time zone', async () => {
    const camden = await createOrganisation(t.handle.db, '202', 'Camden');
    const admin = await createAccount(t.handle.db, t.config.secretKey, {
      organisationId: camden,
      username: 'camden.admin',
      userType: 'la_admin',
    });
    const leaver = await createAccount(t.handle.db, t.config.secretKey, {
      organisationId: camden,
      username: 'camden.leaver',
      userType: 'la_officer',
    });
    const browser = await signInAs(t, admin);
    const day = formatDate(t.services.userStatus.deletionDateIfArchivedNow(), 'Pacific/Kiritimati');
    expect(day).not.toBe(formatDate(t.services.userStatus.deletionDateIfArchivedNow(), 'Europe/London'));
    const confirm = await browser.get(`/admin/users/${leaver.id}/archive`);
    expect(confirm.body).toContain(`the account will be deleted on ${day}.`);
    const archived = await browser.post(`/admin/users/${leaver.id}/archive`, {});
    expect(archived.statusCode).toBe(303);
    const page = await browser.get(`/admin/users/${leaver.id}`);
    expect(page.body).toContain(`Account archived. It will be deleted on ${day}.`);
    expect(page.body).toContain(`It will be deleted on ${day} unless it is restored.`);
  });
});
