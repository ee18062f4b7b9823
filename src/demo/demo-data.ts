import { addMonthsUtc } from '../domain/calendar.ts';
import { typeDefaults, userTypeLabel, type Privilege, type UserType } from '../domain/privileges.ts';
import type { SchoolRole } from '../domain/school-roles.ts';
import type { TopicCode } from '../domain/topics.ts';
import {
  ACTIVITY_WEIGHTS,
  CENTRAL_SUPPORT_STAFF,
  GENERATED_TYPE_WEIGHTS,
  PRIVILEGE_DEVIATIONS,
  SCHOOL_ASSIGNMENTS,
  type Activity,
} from './data/account-mix.ts';
import { JOB_TITLES } from './data/job-titles.ts';
import { LOCAL_AUTHORITIES, type DemoLocalAuthority } from './data/local-authorities.ts';
import { NAMED_ACCOUNTS, NAMED_DEMO_USERNAMES, type DemoNamedAccount } from './data/named-accounts.ts';
import { PASSWORD_WORDS } from './data/password-words.ts';
import { FIRST_NAMES, LAST_NAMES } from './data/person-names.ts';
import {
  DEMO_SCHOOL_PHASES,
  PHASE_WEIGHTS,
  SAINTS,
  SCHOOL_NAME_PATTERNS,
  SPECIAL_SUFFIXES,
  TREES,
  type DemoSchoolPhase,
} from './data/schools.ts';

export { NAMED_DEMO_USERNAMES, type DemoSchoolPhase };

/**
 * The demo of SPEC §14 as plain data. PURE: `generateDemo(now)` draws everything from a seeded
 * PRNG (mulberry32), so the same `now` (and options) always gives the same description, ids
 * included. Every date is relative to `now`. `seed-demo.ts` writes it to the database.
 *
 * What it contains:
 * - a central support organisation and five real English LAs with their DfE LA codes;
 * - 18–28 generated schools per LA (unique 6-digit URNs, all five phases, one or two closed)
 *   and 2–3 school groups per LA;
 * - a few hundred generated accounts of every Type of User, with the type's default privileges
 *   and occasional deviations, last sign-ins spread over 0–40 months, some never signed in,
 *   some archived for each reason with the deletion date of R33, a few restored;
 * - placed accounts, so that on any date the demo shows an archive due this week, an access end
 *   date this month and an administrator's first warning in three days;
 * - the named demo accounts printed for newcomers, with known passwords and TOTP secrets.
 *   Their credentials come from a separate PRNG stream, so they never depend on `now`.
 *
 * Birmingham (the second LA) has exactly one active holder of `manage_users`
 * (`birmingham.admin`), to show the last-administrator protection (R17); Hertfordshire's only
 * administrator is about to be warned, which alerts central support (R38); every other LA has at
 * least two. This is the history as generated: demo-lifecycle.ts then brings it to the state
 * the nightly job would have left it in on `now` (warnings sent, archives and deletions done).
 */

export const DEMO_SEED = 0x4e455855; // "NEXU"

export type DemoArchiveReason = 'manual' | 'inactivity' | 'access-ended' | 'provisioning';

/** A demo account printed for newcomers and written to data/demo-accounts.json (SPEC §14). */
export interface DemoAccount {
  username: string;
  password: string;
  totpSecret: string;
  /** Type of User code, e.g. `la_admin`. */
  type: string;
  typeLabel: string;
  /** LA name, or the support organisation's name. */
  la: string;
  /** `archived` for the one account that shows the archived sign-in message. */
  status: 'active' | 'archived';
}

export interface DemoOrganisation {
  key: string;
  kind: 'la' | 'central';
  laCode: string | null;
  name: string;
  slug: string;
  emailDomain: string;
  createdAt: Date;
}

export interface DemoSchool {
  urn: number;
  organisationKey: string;
  name: string;
  phase: DemoSchoolPhase;
  status: 'open' | 'closed';
  /** Not written: the GIAS import stamps its own time (kept so the generator's draws stay as they were). */
  updatedAt: Date;
}

export interface DemoSchoolGroup {
  key: string;
  organisationKey: string;
  name: string;
  createdAt: Date;
  schoolUrns: number[];
}

export interface DemoAccountRecord {
  id: string;
  organisationKey: string;
  username: string;
  firstName: string;
  lastName: string;
  email: string;
  jobTitle: string | null;
  phone: string | null;
  userType: UserType;
  privileges: Privilege[];
  status: 'active' | 'archived';
  createdAt: Date;
  createdBy: string | null;
  lastSignInAt: Date | null;
  restoredAt: Date | null;
  archivedAt: Date | null;
  archivedBy: string | null;
  archiveReason: DemoArchiveReason | null;
  deletionDueAt: Date | null;
  /** YYYY-MM-DD */
  accessEndDate: string | null;
  externalId: string | null;
  /** Generated accounts that have a password share one unguessable hash (see seed-demo.ts). */
  hasPassword: boolean;
  passwordChangedAt: Date | null;
  /** Set when an authenticator is enrolled; generated accounts get a random secret when seeded. */
  totpEnrolledAt: Date | null;
  schoolGroupKeys: string[];
  defaultSchoolGroupKey: string | null;
  schools: { urn: number; role: SchoolRole; assignedAt: Date }[];
  subscriptions: { topic: TopicCode; subscribedAt: Date }[];
  /** Only for the named demo accounts. */
  credentials: { password: string; totpSecret: string } | null;
  updatedAt: Date;
}

export interface DemoData {
  now: Date;
  organisations: DemoOrganisation[];
  schools: DemoSchool[];
  schoolGroups: DemoSchoolGroup[];
  accounts: DemoAccountRecord[];
  demoAccounts: DemoAccount[];
}

export interface DemoRetention {
  /** Days a manual archive is kept before deletion (R33). */
  manualDays: number;
  /** Calendar months an automatic archive (inactivity, access-ended, provisioning) is kept (R33). */
  automaticMonths: number;
}

export interface GenerateDemoOptions {
  supportName?: string;
  retention?: DemoRetention;
  seed?: number;
}

export const DEFAULT_RETENTION: DemoRetention = { manualDays: 30, automaticMonths: 18 };

// ---------------------------------------------------------------------------------------------
// Dates (calendar months in UTC, clamped to the month's last day, as R42)

const DAY_MS = 86_400_000;

/** Retention end of an archive (R33). */
export function deletionDueFor(
  reason: DemoArchiveReason,
  archivedAt: Date,
  retention: DemoRetention = DEFAULT_RETENTION,
): Date {
  return reason === 'manual'
    ? new Date(archivedAt.getTime() + retention.manualDays * DAY_MS)
    : addMonthsUtc(archivedAt, retention.automaticMonths);
}

function toSeconds(date: Date): Date {
  return new Date(Math.floor(date.getTime() / 1000) * 1000);
}

function isoDate(date: Date): string {
  return date.toISOString().slice(0, 10);
}

// ---------------------------------------------------------------------------------------------
// Seeded randomness

class Random {
  #state: number;
  constructor(seed: number) {
    this.#state = seed >>> 0;
  }
  /** mulberry32 */
  uint32(): number {
    this.#state = (this.#state + 0x6d2b79f5) >>> 0;
    let t = this.#state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }
  float(): number {
    return this.uint32() / 4_294_967_296;
  }
  between(min: number, max: number): number {
    return min + this.float() * (max - min);
  }
  int(min: number, max: number): number {
    return min + Math.floor(this.float() * (max - min + 1));
  }
  chance(p: number): boolean {
    return this.float() < p;
  }
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.float() * items.length)]!;
  }
  weighted<T extends string>(weights: Readonly<Partial<Record<T, number>>>): T {
    const entries = Object.entries(weights) as [T, number][];
    const total = entries.reduce((sum, [, w]) => sum + w, 0);
    let r = this.float() * total;
    for (const [value, w] of entries) {
      if ((r -= w) < 0) return value;
    }
    return entries[entries.length - 1]![0];
  }
  shuffle<T>(items: readonly T[]): T[] {
    const copy = [...items];
    for (let i = copy.length - 1; i > 0; i--) {
      const j = Math.floor(this.float() * (i + 1));
      [copy[i], copy[j]] = [copy[j]!, copy[i]!];
    }
    return copy;
  }
  sample<T>(items: readonly T[], count: number): T[] {
    return this.shuffle(items).slice(0, Math.max(0, Math.min(count, items.length)));
  }
  bytes(count: number): Uint8Array {
    const out = new Uint8Array(count);
    for (let i = 0; i < count; i += 4) {
      const value = this.uint32();
      for (let j = 0; j < 4 && i + j < count; j++) out[i + j] = (value >>> (8 * j)) & 0xff;
    }
    return out;
  }
  /** A valid RFC 4122 version-4 UUID. */
  uuid(): string {
    const b = this.bytes(16);
    b[6] = (b[6]! & 0x0f) | 0x40;
    b[8] = (b[8]! & 0x3f) | 0x80;
    const hex = [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  }
}

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

function base32(bytes: Uint8Array): string {
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += BASE32[(value << (5 - bits)) & 31];
  return out;
}

// ---------------------------------------------------------------------------------------------
// Content

// ---------------------------------------------------------------------------------------------
// Generator

function slugify(name: string): string {
  return (
    name
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '') || 'support'
  );
}

function usernamePart(name: string): string {
  return name.toLowerCase().replace(/[^a-z-]/g, '');
}

function demoPassword(rng: Random): string {
  const words = rng.sample(
    PASSWORD_WORDS.filter((w) => w.length >= 5),
    3,
  );
  const digits = String(rng.int(1000, 9999));
  return `${words[0]![0]!.toUpperCase()}${words[0]!.slice(1)}-${words[1]}-${words[2]}-${digits}`;
}

export function generateDemo(now: Date, options: GenerateDemoOptions = {}): DemoData {
  const supportName = options.supportName?.trim() || 'NCER Support';
  const retention = options.retention ?? DEFAULT_RETENTION;
  const seed = options.seed ?? DEMO_SEED;
  const at = toSeconds(now);
  const rng = new Random(seed);
  // Credentials have their own stream: they depend only on the seed, never on `now`.
  const credentialRng = new Random(seed ^ 0x5eed_c0de);

  const monthsAgo = (months: number): Date => {
    const whole = Math.floor(months);
    const hi = addMonthsUtc(at, -whole).getTime();
    const lo = addMonthsUtc(at, -(whole + 1)).getTime();
    return toSeconds(new Date(hi - (months - whole) * (hi - lo)));
  };
  const daysAgo = (days: number): Date => toSeconds(new Date(at.getTime() - days * DAY_MS));
  const between = (from: Date, to: Date): Date =>
    toSeconds(new Date(from.getTime() + rng.float() * Math.max(0, to.getTime() - from.getTime())));
  const latest = (...dates: (Date | null)[]): Date =>
    new Date(Math.max(...dates.filter((d): d is Date => d !== null).map((d) => d.getTime())));

  // Organisations
  const organisations: DemoOrganisation[] = [];
  const centralSlug = slugify(supportName);
  organisations.push({
    key: 'central',
    kind: 'central',
    laCode: null,
    name: supportName,
    slug: centralSlug,
    emailDomain: `${centralSlug}.org.uk`,
    createdAt: monthsAgo(48.5),
  });
  LOCAL_AUTHORITIES.forEach((la, i) => {
    organisations.push({
      key: `la${i}`,
      kind: 'la',
      laCode: la.code,
      name: la.name,
      slug: la.slug,
      emailDomain: `${la.slug}.gov.uk`,
      createdAt: monthsAgo(48.2 - i * 0.05),
    });
  });
  const orgByKey = new Map(organisations.map((o) => [o.key, o]));

  // Schools and school groups
  const schools: DemoSchool[] = [];
  const schoolGroups: DemoSchoolGroup[] = [];
  const usedUrns = new Set<number>();
  const openSchoolsByOrg = new Map<string, DemoSchool[]>();
  const groupsByOrg = new Map<string, DemoSchoolGroup[]>();

  LOCAL_AUTHORITIES.forEach((la, i) => {
    const orgKey = `la${i}`;
    const org = orgByKey.get(orgKey)!;
    const count = rng.int(la.schools[0], la.schools[1]);
    const phases: DemoSchoolPhase[] = [...DEMO_SCHOOL_PHASES];
    while (phases.length < count) phases.push(rng.weighted(PHASE_WEIGHTS));
    const names = new Set<string>();
    const closedCount = rng.int(1, 2);
    const closedAt = new Set(
      rng.sample(
        [...phases.keys()].filter((k) => k >= 5),
        closedCount,
      ),
    );
    const laSchools: DemoSchool[] = [];
    phases.forEach((phase, k) => {
      let name = '';
      for (let attempt = 0; attempt < 50 && (name === '' || names.has(name)); attempt++)
        name = schoolName(rng, phase, la.places);
      if (names.has(name)) name = `${name} ${k + 1}`;
      names.add(name);
      let urn = rng.int(100000, 149999);
      while (usedUrns.has(urn)) urn = rng.int(100000, 149999);
      usedUrns.add(urn);
      const closed = closedAt.has(k);
      laSchools.push({
        urn,
        organisationKey: orgKey,
        name,
        phase,
        status: closed ? 'closed' : 'open',
        updatedAt: closed ? monthsAgo(rng.between(2, 30)) : between(org.createdAt, monthsAgo(1)),
      });
    });
    laSchools.sort((a, b) => a.name.localeCompare(b.name));
    schools.push(...laSchools);
    const open = laSchools.filter((s) => s.status === 'open');
    openSchoolsByOrg.set(orgKey, open);

    const groups: DemoSchoolGroup[] = [];
    const place = rng.pick(la.places);
    const secondaries = open.filter((s) => s.phase === 'Secondary' || s.phase === '16 plus');
    const primaries = open.filter((s) => s.phase === 'Primary' || s.phase === 'Nursery');
    groups.push({
      key: `${orgKey}:g0`,
      organisationKey: orgKey,
      name: `${place} primary cluster`,
      createdAt: monthsAgo(rng.between(30, 46)),
      schoolUrns: rng.sample(primaries, rng.int(5, 8)).map((s) => s.urn),
    });
    groups.push({
      key: `${orgKey}:g1`,
      organisationKey: orgKey,
      name: 'Secondary and post-16',
      createdAt: monthsAgo(rng.between(30, 46)),
      schoolUrns: secondaries.map((s) => s.urn),
    });
    if (rng.chance(0.7)) {
      groups.push({
        key: `${orgKey}:g2`,
        organisationKey: orgKey,
        name: 'Schools causing concern',
        createdAt: monthsAgo(rng.between(3, 20)),
        schoolUrns: rng.sample(open, rng.int(3, 5)).map((s) => s.urn),
      });
    }
    schoolGroups.push(...groups);
    groupsByOrg.set(orgKey, groups);
  });

  // Accounts
  const accounts: DemoAccountRecord[] = [];
  const usernames = new Set<string>(NAMED_ACCOUNTS.map((n) => n.username));
  const externalIds = new Set<string>();
  const demoAccounts: DemoAccount[] = [];

  const uniqueUsername = (first: string, last: string): string => {
    const base = `${usernamePart(first)}.${usernamePart(last)}`.slice(0, 60);
    let name = base;
    for (let n = 2; usernames.has(name); n++) name = `${base}${n}`;
    usernames.add(name);
    return name;
  };
  const phoneFor = (orgKey: string): string | null => {
    const la = LOCAL_AUTHORITIES[Number(orgKey.slice(2))];
    if (!la) return rng.chance(0.5) ? `0300 123 ${rng.int(1000, 9999)}` : null;
    return rng.chance(0.55) ? `${la.phonePrefix} ${rng.int(1000, 9999)}` : null;
  };
  const groupsFor = (orgKey: string, type: UserType): { keys: string[]; defaultKey: string | null } => {
    const groups = groupsByOrg.get(orgKey) ?? [];
    const max =
      type === 'school_improvement' || type === 'commissioned'
        ? 2
        : type === 'la_admin' || type === 'la_officer'
          ? 2
          : 1;
    const count =
      groups.length === 0 ? 0 : rng.int(type === 'school_improvement' || type === 'commissioned' ? 1 : 0, max);
    const keys = rng
      .sample(groups, count)
      .map((g) => g.key)
      .sort();
    const defaultKey = keys.length > 0 && rng.chance(0.85) ? rng.pick(keys) : null;
    return { keys, defaultKey };
  };
  const schoolsFor = (orgKey: string, type: UserType, from: Date, to: Date): DemoAccountRecord['schools'] => {
    const open = openSchoolsByOrg.get(orgKey) ?? [];
    const [min, max, roles] = SCHOOL_ASSIGNMENTS[type];
    if (open.length === 0 || max === 0) return [];
    return rng
      .sample(open, rng.int(min, max))
      .map((s) => ({ urn: s.urn, role: rng.pick(roles), assignedAt: between(from, to) }))
      .sort((a, b) => a.urn - b.urn);
  };
  const subscriptionsFor = (type: UserType, createdAt: Date, until: Date): DemoAccountRecord['subscriptions'] => {
    const subs: DemoAccountRecord['subscriptions'] = [];
    if (rng.chance(0.85)) subs.push({ topic: 'news', subscribedAt: createdAt });
    if (rng.chance(type === 'la_admin' || type === 'support' ? 0.7 : 0.25))
      subs.push({ topic: 'release_notes', subscribedAt: between(createdAt, until) });
    if (rng.chance(0.35)) subs.push({ topic: 'training', subscribedAt: between(createdAt, until) });
    if (rng.chance(type === 'la_officer' || type === 'la_admin' ? 0.6 : 0.15))
      subs.push({ topic: 'data_collection', subscribedAt: between(createdAt, until) });
    return subs;
  };
  const privilegesFor = (type: UserType, allowManageUsers: boolean): Privilege[] => {
    const held = new Set<Privilege>(typeDefaults(type));
    const options = PRIVILEGE_DEVIATIONS[type].filter((d) => allowManageUsers || d.add !== 'manage_users');
    if (options.length > 0 && rng.chance(0.12)) {
      const d = rng.pick(options);
      if (d.add) held.add(d.add);
      if (d.remove) held.delete(d.remove);
    }
    return [...held].sort();
  };
  const adminsOf = (orgKey: string): DemoAccountRecord[] =>
    accounts.filter(
      (a) =>
        a.organisationKey === orgKey &&
        a.status === 'active' &&
        a.userType === 'la_admin' &&
        a.privileges.includes('manage_users'),
    );

  // Named demo accounts first (ids are drawn before any generated account).
  const orgKeyOf = (p: DemoNamedAccount): string => (p.organisation === 'central' ? 'central' : p.organisation);
  let supportId: string | null = null;
  for (const plan of NAMED_ACCOUNTS) {
    const orgKey = orgKeyOf(plan);
    const org = orgByKey.get(orgKey)!;
    const password = demoPassword(credentialRng);
    const totpSecret = base32(credentialRng.bytes(20));
    const id = rng.uuid();
    const createdAt = toSeconds(new Date(monthsAgo(plan.createdMonthsAgo).getTime() + 9.5 * 3_600_000));
    const lastSignInAt = daysAgo(plan.lastSignInDaysAgo + 0.3);
    const archivedAt = plan.archived
      ? toSeconds(
          new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), at.getUTCDate() - plan.archived.daysAgo, 2, 0, 0)),
        )
      : null;
    const admins = adminsOf(orgKey);
    const createdBy =
      plan.type === 'support' ? null : plan.type === 'la_admin' || admins.length === 0 ? supportId : admins[0]!.id;
    const groups = plan.type === 'support' ? { keys: [], defaultKey: null } : namedGroups(orgKey, plan.type);
    const namedRole: SchoolRole = plan.type === 'commissioned' ? 'school_improvement_partner' : 'link_adviser';
    const schoolRows =
      plan.type === 'school_improvement' || plan.type === 'commissioned'
        ? rng
            .sample(openSchoolsByOrg.get(orgKey) ?? [], 4)
            .map((s) => ({
              urn: s.urn,
              role: namedRole,
              assignedAt: between(createdAt, archivedAt ?? at),
            }))
            .sort((a, b) => a.urn - b.urn)
        : [];
    const subs: DemoAccountRecord['subscriptions'] = [{ topic: 'news', subscribedAt: createdAt }];
    if (plan.type === 'la_admin' || plan.type === 'support')
      subs.push({ topic: 'release_notes', subscribedAt: createdAt });
    if (plan.type === 'la_officer') subs.push({ topic: 'data_collection', subscribedAt: createdAt });
    const record: DemoAccountRecord = {
      id,
      organisationKey: orgKey,
      username: plan.username,
      firstName: plan.firstName,
      lastName: plan.lastName,
      email: `${usernamePart(plan.firstName)}.${usernamePart(plan.lastName)}@${org.emailDomain}`,
      jobTitle: plan.jobTitle,
      phone: phoneFor(orgKey),
      userType: plan.type,
      privileges: [...typeDefaults(plan.type)].sort(),
      status: archivedAt ? 'archived' : 'active',
      createdAt,
      createdBy,
      lastSignInAt,
      restoredAt: null,
      archivedAt,
      archivedBy: null,
      archiveReason: plan.archived?.reason ?? null,
      deletionDueAt: archivedAt && plan.archived ? deletionDueFor(plan.archived.reason, archivedAt, retention) : null,
      accessEndDate: archivedAt ? isoDate(archivedAt) : null,
      externalId: null,
      hasPassword: true,
      passwordChangedAt: toSeconds(new Date(createdAt.getTime() + 3_600_000)),
      totpEnrolledAt: toSeconds(new Date(createdAt.getTime() + 3_700_000)),
      schoolGroupKeys: groups.keys,
      defaultSchoolGroupKey: groups.defaultKey,
      schools: schoolRows,
      subscriptions: subs,
      credentials: { password, totpSecret },
      updatedAt: latest(createdAt, archivedAt),
    };
    accounts.push(record);
    if (plan.type === 'support') supportId = id;
    demoAccounts.push({
      username: plan.username,
      password,
      totpSecret,
      type: plan.type,
      typeLabel: userTypeLabel(plan.type),
      la: org.name,
      status: record.status,
    });
  }

  function namedGroups(orgKey: string, type: UserType): { keys: string[]; defaultKey: string | null } {
    const groups = groupsByOrg.get(orgKey) ?? [];
    const keys =
      type === 'la_admin'
        ? groups.map((g) => g.key)
        : type === 'school_improvement' || type === 'commissioned'
          ? groups.filter((g) => !g.key.endsWith(':g1')).map((g) => g.key)
          : type === 'la_officer'
            ? groups.filter((g) => g.key.endsWith(':g1')).map((g) => g.key)
            : groups.slice(0, 1).map((g) => g.key);
    return { keys, defaultKey: keys[0] ?? null };
  }

  // Generated central support staff.
  for (const activity of CENTRAL_SUPPORT_STAFF) {
    accounts.push(generatedAccount('central', 'support', activity, null));
  }

  // Generated LA accounts.
  LOCAL_AUTHORITIES.forEach((la, i) => {
    const orgKey = `la${i}`;
    const count = rng.int(la.accounts[0], la.accounts[1]);
    const plans: { type: UserType; activity: Activity }[] = [
      ...la.admins.map((activity): { type: UserType; activity: Activity } => ({ type: 'la_admin', activity })),
      ...(la.specials ?? []),
    ];
    // The single-admin LA keeps one former administrator, archived: restoring them is the way out.
    if (la.singleAdmin) plans.push({ type: 'la_admin', activity: 'archived-inactivity' });
    const typeWeights = la.singleAdmin ? { ...GENERATED_TYPE_WEIGHTS, la_admin: 0 } : GENERATED_TYPE_WEIGHTS;
    while (plans.length < count) {
      const type = rng.weighted(typeWeights);
      let activity = rng.weighted(ACTIVITY_WEIGHTS);
      if (activity === 'archived-access-ended' && type !== 'commissioned') activity = 'archived-inactivity';
      if (activity === 'archived-provisioning' && !la.scim) activity = 'archived-inactivity';
      plans.push({ type, activity });
    }
    for (const plan of plans) accounts.push(generatedAccount(orgKey, plan.type, plan.activity, la));
  });

  function generatedAccount(
    orgKey: string,
    type: UserType,
    activity: Activity,
    la: DemoLocalAuthority | null,
  ): DemoAccountRecord {
    const org = orgByKey.get(orgKey)!;
    const id = rng.uuid();
    const firstName = rng.pick(FIRST_NAMES);
    const lastName = rng.pick(LAST_NAMES);
    const username = uniqueUsername(firstName, lastName);
    const jobTitle = rng.chance(0.9) ? rng.pick(JOB_TITLES[type]) : null;
    const phone = phoneFor(orgKey);
    const privileges = privilegesFor(type, !(la?.singleAdmin ?? false));

    let lastSignInAt: Date | null = null;
    let createdAt: Date;
    let restoredAt: Date | null = null;
    let archivedAt: Date | null = null;
    let archiveReason: DemoArchiveReason | null = null;
    let archivedBy: string | null = null;
    let accessEndDate: string | null = null;

    const createdBefore = (date: Date): Date => between(monthsAgo(48), date);
    const createdForAge = (age: number): Date => monthsAgo(Math.max(age, 1) + rng.float() * (48 - Math.max(age, 1)));

    switch (activity) {
      case 'recent': {
        const age = 12 * rng.float() ** 2;
        lastSignInAt = monthsAgo(age);
        createdAt = createdForAge(age);
        break;
      }
      case 'dormant':
      case 'warned':
      case 'overdue': {
        const [lo, hi] = activity === 'dormant' ? [12, 15] : activity === 'warned' ? [15, 18] : [18, 40];
        const age = rng.between(lo, hi);
        const never = activity !== 'dormant' && rng.chance(0.12);
        if (never) {
          createdAt = monthsAgo(age);
        } else {
          lastSignInAt = monthsAgo(age);
          createdAt = createdForAge(age);
        }
        break;
      }
      case 'due-this-week':
      case 'archive-this-week': {
        const [months, days] = activity === 'due-this-week' ? [15, 3] : [18, 4];
        lastSignInAt = toSeconds(new Date(addMonthsUtc(at, -months).getTime() + days * DAY_MS));
        createdAt = createdBefore(lastSignInAt);
        break;
      }
      case 'access-ends-this-month': {
        lastSignInAt = daysAgo(rng.between(1, 30));
        createdAt = createdBefore(lastSignInAt);
        // Later this month; ten days ahead when the month is about to end.
        const lastOfMonth = new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth() + 1, 0));
        const daysLeft = Math.floor((lastOfMonth.getTime() - at.getTime()) / DAY_MS);
        accessEndDate = isoDate(
          daysLeft >= 3
            ? new Date(at.getTime() + Math.min(10, daysLeft) * DAY_MS)
            : new Date(at.getTime() + 10 * DAY_MS),
        );
        break;
      }
      case 'never': {
        // A quarter are new (invitation pending); the rest were invited and never came.
        createdAt = rng.chance(0.25) ? daysAgo(rng.between(0.2, 30)) : monthsAgo(rng.between(1, 15));
        break;
      }
      case 'restored': {
        lastSignInAt = monthsAgo(rng.between(20, 26));
        createdAt = createdBefore(lastSignInAt);
        // Archived for inactivity 18 months after that sign-in (2–8 months ago), restored since.
        restoredAt = monthsAgo(rng.between(0.5, 1.8));
        break;
      }
      case 'archived-inactivity': {
        archivedAt = monthsAgo(rng.between(0.1, 18.4));
        const inactiveSince = toSeconds(
          new Date(addMonthsUtc(archivedAt, -18).getTime() - rng.between(14, 25) * DAY_MS),
        );
        if (rng.chance(0.2)) {
          createdAt = inactiveSince;
        } else {
          lastSignInAt = inactiveSince;
          createdAt = createdBefore(inactiveSince);
        }
        archiveReason = 'inactivity';
        break;
      }
      case 'archived-manual': {
        archivedAt = daysAgo(rng.between(2, 36));
        lastSignInAt = toSeconds(new Date(archivedAt.getTime() - rng.between(0, 20 * 30) * DAY_MS));
        createdAt = createdBefore(lastSignInAt);
        archiveReason = 'manual';
        const admins = adminsOf(orgKey);
        archivedBy = admins.length > 0 ? rng.pick(admins).id : supportId;
        break;
      }
      case 'archived-access-ended': {
        const day = monthsAgo(rng.between(0.1, 17.9));
        archivedAt = new Date(Date.UTC(day.getUTCFullYear(), day.getUTCMonth(), day.getUTCDate(), 2, 0, 0));
        if (archivedAt > at) archivedAt = new Date(archivedAt.getTime() - DAY_MS);
        accessEndDate = isoDate(archivedAt);
        lastSignInAt = toSeconds(new Date(archivedAt.getTime() - rng.between(1, 200) * DAY_MS));
        createdAt = createdBefore(lastSignInAt);
        archiveReason = 'access-ended';
        break;
      }
      case 'archived-provisioning': {
        archivedAt = monthsAgo(rng.between(0.1, 17.9));
        lastSignInAt = toSeconds(new Date(archivedAt.getTime() - rng.between(1, 120) * DAY_MS));
        createdAt = createdBefore(lastSignInAt);
        archiveReason = 'provisioning';
        break;
      }
    }

    const status = archivedAt ? 'archived' : 'active';
    const provisioned =
      la?.scim === true && (archiveReason === 'provisioning' || (archiveReason === null && rng.chance(0.3)));
    let externalId: string | null = null;
    if (provisioned && la) {
      do externalId = `${la.externalIdPrefix}${rng.int(100000, 999999)}`;
      while (externalIds.has(externalId));
      externalIds.add(externalId);
    }
    if (type === 'commissioned' && status === 'active' && activity !== 'access-ends-this-month' && rng.chance(0.4)) {
      accessEndDate = isoDate(new Date(at.getTime() + rng.int(3, 300) * DAY_MS));
    }

    const admins = adminsOf(orgKey).filter((a) => a.createdAt <= createdAt);
    const createdBy = provisioned
      ? null
      : type === 'la_admin' || type === 'support' || admins.length === 0
        ? type === 'support'
          ? null
          : supportId
        : rng.pick(admins).id;

    const signedIn = lastSignInAt !== null;
    const enrolled = signedIn && rng.chance(0.95);
    const setUpAt = toSeconds(new Date(createdAt.getTime() + rng.between(0.02, 2) * DAY_MS));
    const firstUse = signedIn ? new Date(Math.min(setUpAt.getTime(), lastSignInAt!.getTime())) : null;
    const until = archivedAt ?? at;
    const groups = groupsFor(orgKey, type);

    return {
      id,
      organisationKey: orgKey,
      username,
      firstName,
      lastName,
      email: `${username}@${org.emailDomain}`,
      jobTitle,
      phone,
      userType: type,
      privileges,
      status,
      createdAt,
      createdBy,
      lastSignInAt,
      restoredAt,
      archivedAt,
      archivedBy,
      archiveReason,
      deletionDueAt: archivedAt && archiveReason ? deletionDueFor(archiveReason, archivedAt, retention) : null,
      accessEndDate,
      externalId,
      hasPassword: signedIn,
      passwordChangedAt: firstUse,
      totpEnrolledAt: enrolled ? firstUse : null,
      schoolGroupKeys: groups.keys,
      defaultSchoolGroupKey: groups.defaultKey,
      schools: schoolsFor(orgKey, type, createdAt, until),
      subscriptions: subscriptionsFor(type, createdAt, until),
      credentials: null,
      updatedAt: latest(createdAt, restoredAt, archivedAt),
    };
  }

  return { now: at, organisations, schools, schoolGroups, accounts, demoAccounts };
}

/** A school's name by its phase's patterns (data/schools.ts); draws the place and the saint first, always. */
function schoolName(rng: Random, phase: DemoSchoolPhase, places: readonly string[]): string {
  const place = rng.pick(places);
  const saint = rng.pick(SAINTS);
  if (phase === 'Special') return `${rng.pick(TREES)} ${rng.pick(SPECIAL_SUFFIXES)} School`;
  return rng
    .pick(SCHOOL_NAME_PATTERNS[phase])
    .replace(/\{(place|saint)\}/g, (_match: string, key: string) => (key === 'place' ? place : saint));
}

/** Row counts the seed writes, for tests and the console. */
export interface DemoCounts {
  organisations: number;
  schools: number;
  schoolGroups: number;
  schoolGroupSchools: number;
  accounts: number;
  activeAccounts: number;
  archivedAccounts: number;
  accountPrivileges: number;
  schoolAssignments: number;
  accountSchoolGroups: number;
  subscriptions: number;
}

export function demoCounts(data: DemoData): DemoCounts {
  const sum = (f: (a: DemoAccountRecord) => number): number => data.accounts.reduce((n, a) => n + f(a), 0);
  return {
    organisations: data.organisations.length,
    schools: data.schools.length,
    schoolGroups: data.schoolGroups.length,
    schoolGroupSchools: data.schoolGroups.reduce((n, g) => n + g.schoolUrns.length, 0),
    accounts: data.accounts.length,
    activeAccounts: data.accounts.filter((a) => a.status === 'active').length,
    archivedAccounts: data.accounts.filter((a) => a.status === 'archived').length,
    accountPrivileges: sum((a) => a.privileges.length),
    schoolAssignments: sum((a) => a.schools.length),
    accountSchoolGroups: sum((a) => a.schoolGroupKeys.length),
    subscriptions: sum((a) => a.subscriptions.length),
  };
}
