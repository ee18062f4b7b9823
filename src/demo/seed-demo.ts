import { randomBytes } from 'node:crypto';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Kysely, Transaction } from 'kysely';
import type { Database, Executor, NewAccount } from '../data/database.ts';
import { hasOrganisations } from '../data/queries/account-queries.ts';
import {
  existingUsernames,
  insertDemoRows,
  insertLifecyclePolicy,
  insertOrganisations,
  insertSchoolGroups,
  lockOrganisationsForSeeding,
} from '../data/queries/demo-queries.ts';
import { schoolIdsByUrn } from '../data/queries/school-queries.ts';
import { newTotpSecret } from '../domain/totp.ts';
import { hashPassword } from '../services/sign-in/password-hasher.ts';
import { SYSTEM_CONTEXT } from '../services/request-context.ts';
import { applyGiasFile } from '../services/imports/school-import-service.ts';
import type { SecretBox } from '../services/sign-in/secrets.ts';
import { defaultLifecycleSchedule, policyFingerprint, type LifecycleSchedule } from '../services/lifecycle/schedule.ts';
import { DEMO_GIAS_FILE_NAME, demoGiasExtract } from './gias-extract.ts';
import { NAMED_DEMO_USERNAMES } from './data/named-accounts.ts';
import { settleDemo, type SettledDemo } from './demo-lifecycle.ts';
import { demoCounts, type DemoAccount, type DemoCounts } from './demo-model.ts';
import { generateDemo } from './generate-demo.ts';

export type { DemoAccount } from './demo-model.ts';

/**
 * Writes the demo of SPEC §14 (see generate-demo.ts) into an EMPTY database, in one transaction.
 *
 * When the database already has organisations nothing is written: the demo (or real data) is
 * already there. The demo accounts are then re-derived from the generator (their credentials
 * depend only on the PRNG seed) and returned for those usernames that exist in the database,
 * so `npm start` can print them again; a database of real data returns an empty list.
 * Passwords changed since seeding are of course not known.
 *
 * Only the named demo accounts get their own argon2id hash. Every generated account that has
 * a password shares ONE hash of a random password nobody knows (computed once), so seeding
 * takes about a second. TOTP secrets are stored sealed with the SecretBox.
 */

export interface SeedDemoOptions {
  now: Date;
  secretBox: SecretBox;
  supportName?: string;
  /**
   * The service's lifecycle schedule (policy, retention, nightly runs): the demo is settled by it.
   * Default: the defaults.
   */
  schedule?: LifecycleSchedule;
}

export interface SeedDemoResult {
  /** false when the database already had organisations and nothing was written. */
  seeded: boolean;
  accounts: DemoAccount[];
  /** Rows written (all zero when not seeded). */
  counts: DemoCounts;
}

async function existingDemoAccounts(db: Executor, accounts: readonly DemoAccount[]): Promise<DemoAccount[]> {
  const present = new Set((await existingUsernames(db, [...NAMED_DEMO_USERNAMES])).map((u) => u.toLowerCase()));
  return accounts.filter((a) => present.has(a.username));
}

const ZERO_COUNTS: DemoCounts = {
  organisations: 0,
  schools: 0,
  schoolGroups: 0,
  schoolGroupSchools: 0,
  accounts: 0,
  activeAccounts: 0,
  archivedAccounts: 0,
  accountPrivileges: 0,
  schoolAssignments: 0,
  accountSchoolGroups: 0,
  subscriptions: 0,
};

export async function seedDemo(db: Kysely<Database>, options: SeedDemoOptions): Promise<DemoAccount[]> {
  return (await seedDemoWithReport(db, options)).accounts;
}

export async function seedDemoWithReport(db: Kysely<Database>, options: SeedDemoOptions): Promise<SeedDemoResult> {
  const schedule = options.schedule ?? defaultLifecycleSchedule();
  const settled = settleDemo(
    generateDemo(options.now, {
      ...(options.supportName !== undefined ? { supportName: options.supportName } : {}),
      retention: {
        manualDays: schedule.retention.manualRetentionDays,
        automaticMonths: schedule.retention.automaticRetentionMonths,
      },
    }),
    schedule,
  );
  const { data } = settled;
  if (await hasOrganisations(db)) {
    return { seeded: false, accounts: await existingDemoAccounts(db, data.demoAccounts), counts: ZERO_COUNTS };
  }

  // Hashing needs no database: do it before the transaction, in parallel.
  const named = data.accounts.filter((a) => a.credentials !== null);
  const [sharedHash, ...namedHashes] = await Promise.all([
    hashPassword(`demo-unusable-${randomBytes(32).toString('base64url')}`),
    ...named.map((a) => hashPassword(a.credentials!.password)),
  ]);
  const hashById = new Map(named.map((a, i) => [a.id, namedHashes[i]!]));

  const seeded = await db.transaction().execute(async (trx) => {
    // Serialise concurrent seeders (several processes starting at once on PostgreSQL).
    await lockOrganisationsForSeeding(trx);
    if (await hasOrganisations(trx)) return false;
    await insertDemo(trx, settled, options.secretBox, sharedHash, hashById);
    await insertLifecyclePolicy(trx, policyFingerprint(schedule), data.now);
    return true;
  });
  if (!seeded) {
    return { seeded: false, accounts: await existingDemoAccounts(db, data.demoAccounts), counts: ZERO_COUNTS };
  }
  return { seeded: true, accounts: data.demoAccounts, counts: demoCounts(data) };
}

async function insertDemo(
  trx: Transaction<Database>,
  settled: SettledDemo,
  box: SecretBox,
  sharedHash: string,
  hashById: ReadonlyMap<string, string>,
): Promise<void> {
  const { data } = settled;
  const orgRows = await insertOrganisations(
    trx,
    data.organisations.map((o) => ({ kind: o.kind, la_code: o.laCode, name: o.name, created_at: o.createdAt })),
  );
  const orgId = new Map<string, number>();
  for (const o of data.organisations) {
    const row = orgRows.find((r) => r.kind === o.kind && r.la_code === o.laCode);
    if (!row) throw new Error(`Demo organisation ${o.name} was not inserted`);
    orgId.set(o.key, row.id);
  }
  const org = (key: string): number => {
    const id = orgId.get(key);
    if (id === undefined) throw new Error(`Unknown demo organisation ${key}`);
    return id;
  };

  // Schools come in as they do in production: a GIAS extract through the import (R58a).
  await applyGiasFile(
    trx,
    { name: DEMO_GIAS_FILE_NAME, bytes: demoGiasExtract(data) },
    { accountId: null, label: 'demo seed' },
    SYSTEM_CONTEXT,
    data.now,
  );
  const schoolId = await schoolIdsByUrn(trx);
  const school = (urn: number): number => {
    const id = schoolId.get(urn);
    if (id === undefined) throw new Error(`Unknown demo school ${urn}`);
    return id;
  };

  const groupRows = await insertSchoolGroups(
    trx,
    data.schoolGroups.map((g) => ({
      organisation_id: org(g.organisationKey),
      name: g.name,
      created_at: g.createdAt,
    })),
  );
  const groupId = new Map<string, number>();
  for (const g of data.schoolGroups) {
    const row = groupRows.find((r) => r.organisation_id === org(g.organisationKey) && r.name === g.name);
    if (!row) throw new Error(`Demo school group ${g.name} was not inserted`);
    groupId.set(g.key, row.id);
  }
  const group = (key: string): number => {
    const id = groupId.get(key);
    if (id === undefined) throw new Error(`Unknown demo school group ${key}`);
    return id;
  };

  const memberships = data.schoolGroups.flatMap((g) =>
    g.schoolUrns.map((urn) => ({ school_group_id: group(g.key), school_id: school(urn) })),
  );

  // Accounts first without their default group: the foreign key of R10 needs the membership row.
  const accountRows: NewAccount[] = data.accounts.map((a) => {
    const namedHash = hashById.get(a.id);
    const totpSecret = a.credentials?.totpSecret ?? (a.totpEnrolledAt ? newTotpSecret() : null);
    return {
      id: a.id,
      organisation_id: org(a.organisationKey),
      username: a.username,
      first_name: a.firstName,
      last_name: a.lastName,
      email: a.email,
      job_title: a.jobTitle,
      phone: a.phone,
      user_type: a.userType,
      status: a.status,
      password_hash: namedHash ?? (a.hasPassword ? sharedHash : null),
      password_changed_at: a.hasPassword ? a.passwordChangedAt : null,
      totp_secret: a.totpEnrolledAt && totpSecret ? box.seal(totpSecret) : null,
      totp_enrolled_at: a.totpEnrolledAt,
      totp_last_step: null,
      last_sign_in_at: a.lastSignInAt,
      created_at: a.createdAt,
      created_by: a.createdBy,
      restored_at: a.restoredAt,
      archived_at: a.archivedAt,
      archived_by: a.archivedBy,
      archive_reason: a.archiveReason,
      deletion_due_at: a.deletionDueAt,
      access_end_date: a.accessEndDate,
      default_school_group_id: null,
      external_id: a.externalId,
      updated_at: a.updatedAt,
      lifecycle_due_at: settled.dueAt.get(a.id) ?? null,
    };
  });

  const privileges = data.accounts.flatMap((a) => a.privileges.map((privilege) => ({ account_id: a.id, privilege })));

  const assignments = data.accounts.flatMap((a) =>
    a.schools.map((s) => ({ account_id: a.id, school_id: school(s.urn), role: s.role, assigned_at: s.assignedAt })),
  );

  const accountGroups = data.accounts.flatMap((a) =>
    a.schoolGroupKeys.map((key) => ({ account_id: a.id, school_group_id: group(key) })),
  );

  const defaults = data.accounts
    .filter((a) => a.defaultSchoolGroupKey !== null)
    .map((a) => ({ accountId: a.id, groupId: group(a.defaultSchoolGroupKey!) }));

  const notices = settled.notices.map((n) => ({
    account_id: n.accountId,
    period_start: n.periodStart,
    stage: n.stage,
    sent_at: n.sentAt,
  }));

  const subscriptions = data.accounts.flatMap((a) =>
    a.subscriptions.map((s) => ({ account_id: a.id, topic: s.topic, subscribed_at: s.subscribedAt })),
  );
  await insertDemoRows(trx, {
    schoolGroupSchools: memberships,
    accounts: accountRows,
    accountPrivileges: privileges,
    schoolAssignments: assignments,
    accountSchoolGroups: accountGroups,
    defaultSchoolGroups: defaults,
    lifecycleNotices: notices,
    communicationSubscriptions: subscriptions,
  });
}

/** Writes `<dataDir>/demo-accounts.json` (SPEC §14) atomically; returns the file's path. */
export async function writeDemoAccountsFile(dataDir: string, accounts: readonly DemoAccount[]): Promise<string> {
  await mkdir(dataDir, { recursive: true });
  const file = path.join(dataDir, 'demo-accounts.json');
  const temporary = `${file}.${process.pid}.tmp`;
  const body = accounts.map((a) => ({
    username: a.username,
    password: a.password,
    totpSecret: a.totpSecret,
    type: a.type,
    typeLabel: a.typeLabel,
    la: a.la,
    status: a.status,
  }));
  await writeFile(temporary, JSON.stringify(body, null, 2) + '\n', { mode: 0o600 });
  await rename(temporary, file);
  return file;
}

/** The demo accounts as a plain-text table for the console. */
export function formatDemoAccounts(accounts: readonly DemoAccount[]): string {
  const header = ['Username', 'Type of User', 'LA', 'Password', 'TOTP secret', 'Note'];
  const rows = accounts.map((a) => [
    a.username,
    a.typeLabel,
    a.la,
    a.password,
    a.totpSecret,
    a.status === 'archived' ? 'archived: shows the archived sign-in message' : '',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}
