import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addDays, addMonthsUtc } from '../../src/domain/calendar.ts';
import { formatDate } from '../../src/services/deps.ts';
import { isoWeek } from '../../src/services/lifecycle/digest-service.ts';
import { createAccount, createOrganisation, type FixtureAccount } from '../support/fixtures.ts';
import { signInAs } from '../support/sign-in.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';

const NOW = new Date('2026-11-30T07:00:00Z'); // a Monday
const date = (d: Date) => formatDate(d, 'Europe/London');
let t: TestApp;
let ids: Record<string, string>;
const fixtures = new Map<string, FixtureAccount>();

/** The lines of one section of a digest's text body. */
function section(body: string, title: string): string[] {
  const start = body.indexOf(title);
  expect(start, `section "${title}"`).toBeGreaterThanOrEqual(0);
  const rest = body.slice(start + title.length).replace(/^\n\n/, '');
  if (rest.startsWith('None.')) return [];
  return rest
    .split('\n\n')[0]!
    .split('\n')
    .map((l) => l.replace(/^- /, ''));
}

beforeAll(async () => {
  t = await createTestApp({ now: NOW.toISOString() });
  const db = t.handle.db;
  const camden = await createOrganisation(db, '202', 'Camden');
  const kent = await createOrganisation(db, '886', 'Kent');
  const key = t.config.secretKey;
  const make = async (username: string, options: Omit<Parameters<typeof createAccount>[2], 'username'>) => {
    const account = await createAccount(db, key, { ...options, username });
    fixtures.set(username, account);
    return account.id;
  };
  ids = {
    admin: await make('camden.admin', {
      organisationId: camden,
      userType: 'la_admin',
      email: 'admin@camden.gov.uk',
      lastSignInAt: NOW,
    }),
    twofa: await make('camden.2fa', {
      organisationId: camden,
      userType: 'read_only',
      privileges: ['nexus_admin'],
      email: 'twofa@camden.gov.uk',
      lastSignInAt: NOW,
    }),
    // Invited, never activated: no digest (nobody reads that inbox as an administrator yet).
    invited: await make('camden.invited', {
      organisationId: camden,
      userType: 'la_admin',
      email: 'invited@camden.gov.uk',
      password: null,
      enrolled: false,
      lastSignInAt: null,
      createdAt: addDays(NOW, -3),
    }),
    officer: await make('camden.officer', { organisationId: camden, userType: 'la_officer', lastSignInAt: NOW }),
    old: await make('old.timer', {
      organisationId: camden,
      lastSignInAt: new Date('2025-10-20T10:00:00Z'),
      firstName: 'Olive',
      lastName: 'Old',
    }),
    never: await make('never.came', {
      organisationId: camden,
      lastSignInAt: null,
      createdAt: new Date('2025-10-01T10:00:00Z'),
      password: null,
      enrolled: false,
      firstName: 'Nev',
      lastName: 'Er',
    }),
    near: await make('near.archive', { organisationId: camden, lastSignInAt: addDays(addMonthsUtc(NOW, -18), 10) }),
    brand: await make('brand.new', { organisationId: camden, createdAt: addDays(NOW, -2), lastSignInAt: null }),
    gone: await make('gone.soon', { organisationId: camden, status: 'archived' }),
    kent: await make('kent.admin', {
      organisationId: kent,
      userType: 'la_admin',
      email: 'admin@kent.gov.uk',
      lastSignInAt: NOW,
    }),
  };
  await db
    .updateTable('accounts')
    .set({ deletion_due_at: addDays(NOW, 5) })
    .where('id', '=', ids.gone!)
    .execute();
  await db
    .insertInto('audit_events')
    .values({
      occurred_at: addDays(NOW, -1),
      action: 'sign-in.archived-account',
      actor_label: 'gone.soon',
      organisation_id: camden,
      subject_account_id: ids.gone!,
      ip: '198.51.100.7',
      details: JSON.stringify({ username: 'gone.soon' }),
      security_alert: true,
    })
    .execute();
  // Lifecycle history for "warned this week": the job as it runs each night.
  for (let day = 6; day >= 1; day--)
    await t.services.lifecycle.run({ now: new Date(addDays(NOW, -day).setUTCHours(2)) });
});
afterAll(async () => t?.close());

describe('weekly Admin Digest (R47)', () => {
  it('numbers weeks as ISO 8601 does', () => {
    expect(isoWeek(new Date('2026-11-30T07:00:00Z'))).toBe('2026-W49');
    expect(isoWeek(new Date('2027-01-01T00:00:00Z'))).toBe('2026-W53');
    expect(isoWeek(new Date('2025-12-29T00:00:00Z'))).toBe('2026-W01');
  });

  it('sends one digest to each activated holder of manage_users or nexus_admin, and never two in a week', async () => {
    const first = await t.services.digest.send({ now: NOW });
    expect(first).toMatchObject({ week: '2026-W49', recipients: 3, sent: 3 });
    const rows = await t.handle.db
      .selectFrom('email_outbox')
      .selectAll()
      .where('template', '=', 'admin-digest')
      .orderBy('to_address')
      .execute();
    expect(rows.map((r) => r.to_address)).toEqual(['admin@camden.gov.uk', 'admin@kent.gov.uk', 'twofa@camden.gov.uk']);
    expect(rows[1]!.text_body).not.toContain('old.timer');
    const again = await t.services.digest.send({ now: addDays(NOW, 3) });
    expect(again.sent).toBe(0);
    expect(
      await t.handle.db.selectFrom('email_outbox').select('id').where('template', '=', 'admin-digest').execute(),
    ).toHaveLength(3);
    const nextWeek = await t.services.digest.send({ now: addDays(NOW, 7) });
    expect(nextWeek.sent).toBe(3);
  });

  it('each section lists each account once, with its username, and the dates of the one schedule', async () => {
    const [row] = await t.handle.db
      .selectFrom('email_outbox')
      .selectAll()
      .where('to_address', '=', 'admin@camden.gov.uk')
      .where('dedup_key', 'like', '%2026-W49')
      .execute();
    const body = row!.text_body;
    const preview = await t.services.lifecycle.preview({ now: NOW, days: 30 });
    const on = (username: string, kind: string) =>
      date(preview.find((e) => e.username === username && e.action === kind)!.date);

    // Longest inactive first; one never used says so.
    expect(section(body, 'Accounts not signed in for 12 months or more:')).toEqual([
      `Test near.archive (near.archive): last signed in ${date(addDays(addMonthsUtc(NOW, -18), 10))} (17 months ago)`,
      'Nev Er (never.came): has never signed in (created 1 October 2025, 13 months ago)',
      'Olive Old (old.timer): last signed in 20 October 2025 (13 months ago)',
    ]);
    const warned = section(body, 'Accounts warned this week:');
    expect(warned).toHaveLength(1);
    expect(warned[0]).toMatch(
      /^Test near\.archive \(near\.archive\): final warning sent \d+ November 2026; will be archived on \d+ December 2026 unless they sign in$/,
    );
    expect(warned[0]).toContain(`will be archived on ${on('near.archive', 'archive')}`);
    expect(section(body, 'Accounts due to be archived in the next 30 days:')).toEqual([
      `Test near.archive (near.archive): ${on('near.archive', 'archive')}`,
    ]);
    // Once, from the schedule: the run that deletes it (not also the instant its retention ends).
    expect(section(body, 'Deletions scheduled in the next 30 days:')).toEqual([
      `Test gone.soon (gone.soon): ${on('gone.soon', 'delete')}`,
    ]);
    expect(section(body, 'New accounts this week:')).toEqual([
      'Test camden.invited (camden.invited): created 27 November 2026',
      'Test brand.new (brand.new): created 28 November 2026',
    ]);
    expect(section(body, 'Accounts archived this week:')).toEqual([]);
    expect(
      section(
        body,
        'Security alerts this week (a leaver trying to sign in is a possible data breach: report it to your Information Governance team):',
      ),
    ).toEqual([
      '29 November 2026 at 7:00am: sign-in attempt on the archived account gone.soon (Test gone.soon) from 198.51.100.7',
    ]);
    // The accounts it names are recorded, so that deleting one erases it from this email (R31).
    const mentions = await t.handle.db
      .selectFrom('email_mentions')
      .select('account_id')
      .where('email_id', '=', row!.id)
      .execute();
    expect(new Set(mentions.map((m) => m.account_id))).toEqual(
      new Set([ids.never, ids.old, ids.near, ids.gone, ids.brand, ids.invited]),
    );
  });

  it("shows the LA at a glance with Home's numbers: bars as table cells in the HTML, the numbers in the text", async () => {
    const [row] = await t.handle.db
      .selectFrom('email_outbox')
      .selectAll()
      .where('to_address', '=', 'admin@camden.gov.uk')
      .where('dedup_key', 'like', '%2026-W49')
      .execute();
    const html = row!.html_body;
    const text = row!.text_body;
    // Home at the digest's instant, for the same LA.
    t.clock.set(NOW);
    const client = await signInAs(t, fixtures.get('camden.admin')!);
    t.clock.set(NOW);
    const home = (await client.get('/')).body;
    const homeBuckets = new Map(
      [
        ...home.matchAll(
          /<th scope="row" class="govuk-table__header app-health-chart__key">([^<]+)<\/th>\s*<td[^>]*>(\d+)<\/td>/g,
        ),
      ].map((m) => [m[1]!, m[2]!]),
    );
    const homeWeeks = new Map(
      [
        ...home.matchAll(/<tr class="govuk-table__row" data-week="[^"]+">\s*<th[^>]*>([^<]+)<\/th>([\s\S]*?)<\/tr>/g),
      ].map((m) => [m[1]!, [...m[2]!.matchAll(/<td[^>]*>(\d+)<\/td>/g)].map((c) => c[1]!).join(',')]),
    );
    expect(homeBuckets.size).toBe(6);
    expect(homeWeeks.size).toBe(13); // Monday 30 November to the week of Sunday 28 February
    // Not all zero: this LA has accounts in several buckets and events in the coming weeks.
    expect(new Set(homeBuckets.values()).size).toBeGreaterThan(2);
    expect([...homeWeeks.values()].some((w) => w !== '0,0,0')).toBe(true);

    const emailRows = [
      ...html.matchAll(/<tr><th scope="row"[^>]*>([^<]+)<\/th>((?:<td style="[^"]*">\d+<\/td>)+)/g),
    ].map((m) => [m[1]!, [...m[2]!.matchAll(/>(\d+)</g)].map((c) => c[1]!).join(',')] as const);
    expect(new Map(emailRows.filter(([label]) => homeBuckets.has(label)))).toEqual(homeBuckets);
    expect(new Map(emailRows.filter(([label]) => !homeBuckets.has(label)))).toEqual(homeWeeks);
    // Drawn without SVG (many email clients show none): coloured cells, as wide as their numbers.
    expect(html).not.toContain('<svg');
    expect(html).toMatch(/<td width="\d+" height="14" bgcolor="#[0-9a-f]{6}"/);
    for (const [label, count] of homeBuckets) expect(text).toContain(`- ${label}: ${count}\n`);
    for (const [week, counts] of homeWeeks) {
      const [w, a, d] = counts.split(',');
      const n = (count: string, word: string) => `${count} ${word}${count === '1' ? '' : 's'}`;
      expect(text).toContain(`- Week of ${week}: ${n(w!, 'warning')}, ${n(a!, 'archive')}, ${n(d!, 'deletion')}`);
    }
  });
});
