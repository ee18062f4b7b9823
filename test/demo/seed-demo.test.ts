import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatabaseHandle } from '../../src/data/connect.ts';
import { passwordProblem } from '../../src/domain/passwords.ts';
import { USERNAME_PATTERN } from '../../src/domain/usernames.ts';
import { verifyPassword } from '../../src/services/sign-in/password-hasher.ts';
import { SecretBox } from '../../src/services/sign-in/secrets.ts';
import { demoCounts, type DemoAccount } from '../../src/demo/demo-model.ts';
import { generateDemo } from '../../src/demo/generate-demo.ts';
import { addMonthsUtc, wholeMonthsBetween } from '../../src/domain/calendar.ts';
import { demoGiasExtract } from '../../src/demo/gias-extract.ts';
import { decodeText, parseCsv } from '../../src/domain/csv-read.ts';
import {
  formatDemoAccounts,
  seedDemo,
  seedDemoWithReport,
  writeDemoAccountsFile,
  type SeedDemoResult,
} from '../../src/demo/seed-demo.ts';
import { settleDemo } from '../../src/demo/demo-lifecycle.ts';
import { dateIn } from '../../src/domain/calendar.ts';
import { inactiveSince, upcomingEvents } from '../../src/domain/lifecycle.ts';
import { defaultLifecycleSchedule } from '../../src/services/lifecycle/schedule.ts';
import { createLifecycleService } from '../../src/services/lifecycle/lifecycle-service.ts';
import { historiesFrom } from '../../src/services/lifecycle/schedule.ts';
import { ManualClock } from '../../src/domain/clock.ts';
import { testConfig } from '../support/test-app.ts';
import { createTestDatabase } from '../support/test-db.ts';

const NOW = new Date('2025-06-15T10:00:00Z');
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const DAY_MS = 86_400_000;

describe('generateDemo', () => {
  it('is deterministic for the same now', () => {
    expect(generateDemo(NOW)).toEqual(generateDemo(NOW));
  });

  it('gives the same demo credentials whatever now is', () => {
    const strip = (accounts: DemoAccount[]) => accounts.map((a) => ({ ...a }));
    expect(strip(generateDemo(new Date('2031-01-31T23:59:59Z')).demoAccounts)).toEqual(
      strip(generateDemo(NOW).demoAccounts),
    );
  });

  it('uses valid unique UUIDs, real LA codes and unique 6-digit URNs', () => {
    const data = generateDemo(NOW);
    const ids = data.accounts.map((a) => a.id);
    expect(ids.every((id) => UUID.test(id))).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    expect(data.organisations.filter((o) => o.kind === 'la').map((o) => `${o.laCode} ${o.name}`)).toEqual([
      '202 Camden',
      '330 Birmingham',
      '341 Liverpool',
      '886 Kent',
      '919 Hertfordshire',
    ]);
    expect(data.organisations.find((o) => o.kind === 'central')?.name).toBe('NCER Support');
    expect(generateDemo(NOW, { supportName: 'Acme Help' }).organisations.find((o) => o.kind === 'central')?.name).toBe(
      'Acme Help',
    );
    const urns = data.schools.map((s) => s.urn);
    expect(urns.every((u) => u >= 100000 && u <= 999999)).toBe(true);
    expect(new Set(urns).size).toBe(urns.length);
    expect(new Set(data.schools.map((s) => s.phase))).toEqual(
      new Set(['Primary', 'Secondary', 'Special', 'Nursery', '16 plus']),
    );
    expect(data.schools.some((s) => s.status === 'closed')).toBe(true);
    for (const o of data.organisations.filter((org) => org.kind === 'la')) {
      const count = data.schools.filter((s) => s.organisationKey === o.key).length;
      expect(count).toBeGreaterThanOrEqual(15);
      expect(count).toBeLessThanOrEqual(30);
      const groups = data.schoolGroups.filter((g) => g.organisationKey === o.key).length;
      expect(groups).toBeGreaterThanOrEqual(2);
      expect(groups).toBeLessThanOrEqual(3);
    }
  });

  it('gives the named demo accounts strong passwords and TOTP secrets', () => {
    const { demoAccounts } = generateDemo(NOW);
    expect(demoAccounts.map((a) => a.username)).toEqual([
      'support',
      'camden.admin',
      'camden.officer',
      'camden.improvement',
      'camden.readonly',
      'birmingham.admin',
      'birmingham.officer',
      'birmingham.improvement',
      'birmingham.readonly',
      'camden.leaver',
    ]);
    for (const a of demoAccounts) {
      expect(a.password.length).toBeGreaterThanOrEqual(16);
      expect(passwordProblem(a.password, [a.username])).toBeUndefined();
      expect(a.totpSecret).toMatch(/^[A-Z2-7]{32}$/);
    }
    expect(new Set(demoAccounts.map((a) => a.password)).size).toBe(demoAccounts.length);
  });
});

describe('seedDemo on a fresh database', () => {
  let handle: DatabaseHandle;
  const box = new SecretBox('test-secret-key-for-the-demo-seed-0123456789');
  const schedule = defaultLifecycleSchedule();
  // What is written: the generated history, settled to the state the nightly job leaves on NOW.
  const data = settleDemo(generateDemo(NOW), schedule).data;
  let first: SeedDemoResult;
  let seedMs = 0;

  beforeAll(async () => {
    handle = await createTestDatabase();
    const started = performance.now();
    first = await seedDemoWithReport(handle.db, { now: NOW, secretBox: box });
    seedMs = performance.now() - started;
  }, 60_000);

  afterAll(async () => {
    await handle?.close();
  });

  it('seeds within a few seconds and returns the demo accounts', () => {
    console.info(`demo seeded in ${Math.round(seedMs)} ms`, first.counts);
    expect(first.seeded).toBe(true);
    expect(first.accounts).toEqual(data.demoAccounts);
    expect(seedMs).toBeLessThan(10_000);
  });

  it('writes the expected counts', async () => {
    const { db } = handle;
    const count = async (
      table:
        | 'organisations'
        | 'schools'
        | 'school_groups'
        | 'school_group_schools'
        | 'accounts'
        | 'account_privileges'
        | 'school_assignments'
        | 'account_school_groups'
        | 'communication_subscriptions',
    ) =>
      Number(
        (
          await db
            .selectFrom(table)
            .select((eb) => eb.fn.countAll<string>().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      );
    const expected = demoCounts(data);
    expect(first.counts).toEqual(expected);
    expect(await count('organisations')).toBe(expected.organisations);
    expect(expected.organisations).toBe(6);
    expect(await count('schools')).toBe(expected.schools);
    expect(await count('school_groups')).toBe(expected.schoolGroups);
    expect(await count('school_group_schools')).toBe(expected.schoolGroupSchools);
    expect(await count('accounts')).toBe(expected.accounts);
    expect(expected.accounts).toBeGreaterThanOrEqual(200);
    expect(expected.accounts).toBeLessThanOrEqual(600);
    expect(await count('account_privileges')).toBe(expected.accountPrivileges);
    expect(await count('school_assignments')).toBe(expected.schoolAssignments);
    expect(await count('account_school_groups')).toBe(expected.accountSchoolGroups);
    expect(await count('communication_subscriptions')).toBe(expected.subscriptions);
    const archived = await db.selectFrom('accounts').select('id').where('status', '=', 'archived').execute();
    expect(archived.length).toBe(expected.archivedAccounts);
    expect(archived.length).toBeGreaterThan(10);
    const types = await db.selectFrom('accounts').select('user_type').distinct().execute();
    expect(new Set(types.map((t) => t.user_type))).toEqual(
      new Set([
        'la_admin',
        'la_officer',
        'school_improvement',
        'commissioned',
        'virtual_school',
        'read_only',
        'support',
      ]),
    );
    const news = await db
      .selectFrom('communication_subscriptions')
      .select('account_id')
      .where('topic', '=', 'news')
      .execute();
    expect(news.length / expected.accounts).toBeGreaterThan(0.7);
  });

  it('brings its schools in through the GIAS import, from a Windows-1252 extract (R58a)', async () => {
    const bytes = demoGiasExtract(data);
    expect(decodeText(bytes).encoding).toBe('windows-1252');
    expect(Array.from(bytes)).toContain(0x92); // a curly apostrophe (’), as Windows-1252 writes it
    const header = parseCsv(decodeText(bytes).text)[0]!.cells;
    expect(header).toEqual(
      expect.arrayContaining([
        'URN',
        'EstablishmentName',
        'LA (code)',
        'LA (name)',
        'PhaseOfEducation (name)',
        'EstablishmentStatus (name)',
        'TypeOfEstablishment (name)',
        'Postcode',
      ]),
    );
    const imports = await handle.db.selectFrom('school_imports').selectAll().execute();
    expect(imports).toHaveLength(1);
    expect(imports[0]).toMatchObject({
      imported_by: 'demo seed',
      organisations_created: 0,
      organisations_updated: 0,
      schools_created: data.schools.length,
      rows_skipped: 0,
    });
    const schools = await handle.db
      .selectFrom('schools')
      .innerJoin('organisations', 'organisations.id', 'schools.organisation_id')
      .select(['schools.urn', 'schools.name', 'schools.status', 'organisations.la_code'])
      .orderBy('schools.urn')
      .execute();
    const laCode = new Map(data.organisations.map((o) => [o.key, o.laCode]));
    expect(schools).toEqual(
      [...data.schools]
        .sort((a, b) => a.urn - b.urn)
        .map((d) => ({ urn: d.urn, name: d.name, status: d.status, la_code: laCode.get(d.organisationKey) })),
    );
    expect(schools.filter((r) => r.status === 'closed').length).toBeGreaterThanOrEqual(2);
    expect(schools.some((r) => r.name.includes('’'))).toBe(true);
  });

  it('has unique usernames (case-insensitively) matching R7, and LA email addresses', async () => {
    const rows = await handle.db
      .selectFrom('accounts')
      .innerJoin('organisations', 'organisations.id', 'accounts.organisation_id')
      .select(['accounts.username', 'accounts.email', 'organisations.kind', 'organisations.name'])
      .execute();
    const lower = rows.map((r) => r.username.toLowerCase());
    expect(new Set(lower).size).toBe(rows.length);
    for (const r of rows) {
      expect(r.username).toMatch(USERNAME_PATTERN);
      if (r.kind === 'la') expect(r.email.endsWith(`@${r.name.toLowerCase()}.gov.uk`)).toBe(true);
    }
  });

  it('leaves every LA at least one active administrator, and exactly one LA with only one', async () => {
    const rows = await handle.db
      .selectFrom('organisations')
      .leftJoin('accounts', (join) =>
        join.onRef('accounts.organisation_id', '=', 'organisations.id').on('accounts.status', '=', 'active'),
      )
      .leftJoin('account_privileges', (join) =>
        join
          .onRef('account_privileges.account_id', '=', 'accounts.id')
          .on('account_privileges.privilege', '=', 'manage_users'),
      )
      .where('organisations.kind', '=', 'la')
      .select(['organisations.name', (eb) => eb.fn.count<string>('account_privileges.account_id').as('admins')])
      .groupBy('organisations.name')
      .execute();
    expect(rows).toHaveLength(5);
    for (const r of rows) expect(Number(r.admins)).toBeGreaterThanOrEqual(1);
    expect(
      rows
        .filter((r) => Number(r.admins) === 1)
        .map((r) => r.name)
        .sort(),
    ).toEqual(['Birmingham', 'Hertfordshire']);
    expect(rows.filter((r) => Number(r.admins) >= 2)).toHaveLength(3);
  });

  it('generates last sign-ins over 0–40 months, with warned, archive-range and never-signed-in accounts', () => {
    const generated = generateDemo(NOW).accounts.filter((a) => a.status === 'active');
    const ages = generated.filter((a) => a.lastSignInAt !== null).map((a) => wholeMonthsBetween(a.lastSignInAt!, NOW));
    expect(Math.min(...ages)).toBe(0);
    expect(Math.max(...ages)).toBeGreaterThanOrEqual(30);
    expect(Math.max(...ages)).toBeLessThanOrEqual(40);
    for (const month of [15, 16, 17]) expect(ages.filter((a) => a === month).length).toBeGreaterThan(0);
    expect(generated.some((a) => a.lastSignInAt === null)).toBe(true);
  });

  it('is true to its own date: the state the nightly job would have left, nothing overdue, the past never shown as future', async () => {
    const db = handle.db;
    // The last nightly run at or before NOW finds nothing to do: every due event has been done.
    const lastRun = new Date(schedule.runs.nextRunAtOrAfter(new Date(NOW.getTime() - 86_400_000)).getTime());
    expect(lastRun.getTime()).toBeLessThanOrEqual(NOW.getTime());
    const lifecycle = createLifecycleService({
      db,
      clock: new ManualClock(NOW),
      config: testConfig(),
      secretBox: box,
      schedule,
    });
    const dry = await lifecycle.run({ now: lastRun, dryRun: true });
    expect(dry.items).toEqual([]);
    expect(dry.visited).toBe(0);
    // Every stored next-event time is the schedule's, and none is in the past of the last run.
    const accounts = await db.selectFrom('accounts').selectAll().execute();
    const notices = await db
      .selectFrom('lifecycle_notices')
      .select(['account_id', 'period_start', 'stage', 'sent_at'])
      .execute();
    const histories = historiesFrom(accounts, notices);
    for (const a of accounts) {
      expect(a.lifecycle_due_at).not.toBeNull();
      expect(a.lifecycle_due_at!.getTime()).toBeGreaterThan(lastRun.getTime());
      // No archived account shows a deletion date that has passed (issue 10: "Deleted on 27 November" on 1 December).
      if (a.status === 'archived')
        expect(schedule.runs.nextRunAtOrAfter(a.deletion_due_at!).getTime()).toBeGreaterThan(NOW.getTime());
      // No active account is past its archive run (issue 10: 36-month-inactive accounts Active and never warned).
      if (a.status === 'active') expect(wholeMonthsBetween(inactiveSince(histories.get(a.id)!), NOW)).toBeLessThan(19);
    }
    // Warned accounts of every stage, each with the warnings the job would have sent.
    const stages = new Set(
      notices.filter((n) => accounts.some((a) => a.id === n.account_id && a.status === 'active')).map((n) => n.stage),
    );
    for (const stage of ['warning_1', 'warning_2', 'warning_3']) expect(stages).toContain(stage);
    // This week: an archive, and Hertfordshire's only administrator's first warning (central support is alerted, R38).
    const week = new Date(NOW.getTime() + 7 * 86_400_000);
    const events = accounts.flatMap((a) =>
      upcomingEvents(histories.get(a.id)!, schedule.policy, schedule.retention, schedule.runs, NOW, week).map((e) => ({
        a,
        e,
      })),
    );
    expect(events.some(({ e }) => e.event.kind === 'archive' && e.event.reason === 'inactivity')).toBe(true);
    const herts = (
      await db.selectFrom('organisations').select('id').where('name', '=', 'Hertfordshire').executeTakeFirstOrThrow()
    ).id;
    const hertsAdmins = await db
      .selectFrom('accounts')
      .innerJoin('account_privileges', 'account_privileges.account_id', 'accounts.id')
      .select('accounts.id')
      .where('accounts.organisation_id', '=', herts)
      .where('accounts.status', '=', 'active')
      .where('account_privileges.privilege', '=', 'manage_users')
      .execute();
    expect(hertsAdmins).toHaveLength(1);
    expect(events.some(({ a, e }) => a.id === hertsAdmins[0]!.id && e.event.kind === 'warn' && e.event.first)).toBe(
      true,
    );
    // An access end date this month (ten days ahead when the month is about to end).
    const ending = accounts
      .filter((a) => a.status === 'active' && a.access_end_date !== null)
      .map((a) => a.access_end_date!);
    const today = dateIn(NOW, 'Europe/London');
    expect(
      ending.some(
        (d) =>
          d > today &&
          (d.slice(0, 7) === today.slice(0, 7) ||
            d <= dateIn(new Date(NOW.getTime() + 10 * 86_400_000), 'Europe/London')),
      ),
    ).toBe(true);
  });

  it('archives with deletion dates consistent with the reason (R33)', async () => {
    const rows = await handle.db
      .selectFrom('accounts')
      .select(['status', 'archived_at', 'archive_reason', 'deletion_due_at', 'last_sign_in_at', 'access_end_date'])
      .execute();
    const archived = rows.filter((r) => r.status === 'archived');
    expect(new Set(archived.map((r) => r.archive_reason))).toEqual(
      new Set(['manual', 'inactivity', 'access-ended', 'provisioning']),
    );
    for (const r of archived) {
      expect(r.archived_at).not.toBeNull();
      expect(r.archived_at!.getTime()).toBeLessThanOrEqual(NOW.getTime());
      const expected =
        r.archive_reason === 'manual'
          ? new Date(r.archived_at!.getTime() + 30 * DAY_MS)
          : addMonthsUtc(r.archived_at!, 18);
      expect(r.deletion_due_at?.toISOString()).toBe(expected.toISOString());
      if (r.last_sign_in_at) expect(r.last_sign_in_at.getTime()).toBeLessThan(r.archived_at!.getTime());
      if (r.archive_reason === 'access-ended')
        expect(r.access_end_date).toBe(r.archived_at!.toISOString().slice(0, 10));
    }
    for (const r of rows.filter((x) => x.status === 'active')) {
      expect(r.archived_at).toBeNull();
      expect(r.deletion_due_at).toBeNull();
    }
    // Deletions are visible: some due within the next 30 days.
    const soon = archived.filter((r) => r.deletion_due_at!.getTime() < NOW.getTime() + 30 * DAY_MS);
    expect(soon.length).toBeGreaterThan(0);
  });

  it("sets every default school group to one of the account's groups", async () => {
    const rows = await handle.db
      .selectFrom('accounts')
      .leftJoin('account_school_groups', (join) =>
        join
          .onRef('account_school_groups.account_id', '=', 'accounts.id')
          .onRef('account_school_groups.school_group_id', '=', 'accounts.default_school_group_id'),
      )
      .where('accounts.default_school_group_id', 'is not', null)
      .select(['accounts.id', 'account_school_groups.school_group_id'])
      .execute();
    expect(rows.length).toBeGreaterThan(50);
    for (const r of rows) expect(r.school_group_id).not.toBeNull();
    // Groups, schools and assignments stay inside the account's LA.
    const crossGroups = await handle.db
      .selectFrom('account_school_groups')
      .innerJoin('accounts', 'accounts.id', 'account_school_groups.account_id')
      .innerJoin('school_groups', 'school_groups.id', 'account_school_groups.school_group_id')
      .whereRef('school_groups.organisation_id', '<>', 'accounts.organisation_id')
      .select('accounts.id')
      .execute();
    expect(crossGroups).toHaveLength(0);
    const crossSchools = await handle.db
      .selectFrom('school_assignments')
      .innerJoin('accounts', 'accounts.id', 'school_assignments.account_id')
      .innerJoin('schools', 'schools.id', 'school_assignments.school_id')
      .whereRef('schools.organisation_id', '<>', 'accounts.organisation_id')
      .select('accounts.id')
      .execute();
    expect(crossSchools).toHaveLength(0);
  });

  it('stores the named demo passwords and sealed TOTP secrets', async () => {
    const rows = await handle.db
      .selectFrom('accounts')
      .innerJoin('organisations', 'organisations.id', 'accounts.organisation_id')
      .select([
        'accounts.username',
        'accounts.password_hash',
        'accounts.totp_secret',
        'accounts.totp_enrolled_at',
        'accounts.user_type',
        'accounts.status',
        'organisations.name',
      ])
      .where(
        'accounts.username',
        'in',
        data.demoAccounts.map((a) => a.username),
      )
      .execute();
    expect(rows).toHaveLength(data.demoAccounts.length);
    for (const a of data.demoAccounts) {
      const row = rows.find((r) => r.username === a.username)!;
      expect(row.user_type).toBe(a.type);
      expect(row.name).toBe(a.la);
      expect(row.status).toBe(a.status);
      expect(await verifyPassword(row.password_hash!, a.password)).toBe(true);
      expect(row.totp_secret).not.toBe(a.totpSecret);
      expect(box.open(row.totp_secret!)).toBe(a.totpSecret);
      expect(row.totp_enrolled_at).not.toBeNull();
    }
    expect(rows.find((r) => r.username === 'camden.leaver')?.status).toBe('archived');
    expect(rows.find((r) => r.username === 'support')?.user_type).toBe('support');
    // Generated accounts share one hash that none of the demo passwords opens.
    const hashes = await handle.db
      .selectFrom('accounts')
      .select('password_hash')
      .distinct()
      .where('password_hash', 'is not', null)
      .where(
        'username',
        'not in',
        data.demoAccounts.map((a) => a.username),
      )
      .execute();
    expect(hashes).toHaveLength(1);
    expect(await verifyPassword(hashes[0]!.password_hash!, data.demoAccounts[0]!.password)).toBe(false);
    // Every enrolled TOTP secret is sealed.
    const secrets = await handle.db
      .selectFrom('accounts')
      .select('totp_secret')
      .where('totp_secret', 'is not', null)
      .execute();
    for (const s of secrets) expect(box.open(s.totp_secret!)).toMatch(/^[A-Z2-7]+$/);
  }, 30_000);

  it('does not duplicate when seeded a second time', async () => {
    const before = await handle.db
      .selectFrom('accounts')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .executeTakeFirstOrThrow();
    const again = await seedDemoWithReport(handle.db, { now: new Date(NOW.getTime() + 90 * DAY_MS), secretBox: box });
    expect(again.seeded).toBe(false);
    expect(again.accounts).toEqual(data.demoAccounts);
    expect(await seedDemo(handle.db, { now: NOW, secretBox: box })).toEqual(data.demoAccounts);
    const after = await handle.db
      .selectFrom('accounts')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .executeTakeFirstOrThrow();
    expect(after.n).toBe(before.n);
    const orgs = await handle.db.selectFrom('organisations').select('id').execute();
    expect(orgs).toHaveLength(6);
  });
});

describe('demo accounts output', () => {
  it('writes data/demo-accounts.json with the fields of SPEC §14', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'nexus-demo-'));
    try {
      const accounts = generateDemo(NOW).demoAccounts;
      const file = await writeDemoAccountsFile(path.join(dir, 'data'), accounts);
      expect(file).toBe(path.join(dir, 'data', 'demo-accounts.json'));
      const written = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>[];
      expect(written).toHaveLength(accounts.length);
      for (const entry of written) {
        for (const field of ['username', 'password', 'totpSecret', 'type', 'la'])
          expect(typeof entry[field]).toBe('string');
      }
      expect(written[0]).toMatchObject({ username: 'support', type: 'support', la: 'NCER Support' });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('formats a readable table', () => {
    const accounts = generateDemo(NOW).demoAccounts;
    const table = formatDemoAccounts(accounts);
    const lines = table.split('\n');
    expect(lines[0]).toMatch(/^Username\s+Type of User\s+LA\s+Password\s+TOTP secret/);
    expect(lines).toHaveLength(accounts.length + 2);
    for (const a of accounts) expect(table).toContain(a.password);
    expect(table).toContain('LA Administrator');
  });
});
