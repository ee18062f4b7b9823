import { typeDefaults, userTypeLabel, type Privilege, type UserType } from '../domain/privileges.ts';
import type { SchoolRole } from '../domain/school-roles.ts';
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
import { NAMED_ACCOUNTS, type DemoNamedAccount } from './data/named-accounts.ts';
import { PASSWORD_WORDS } from './data/password-words.ts';
import { FIRST_NAMES, LAST_NAMES } from './data/person-names.ts';
import { DAY_MS, deletionDueFor, isoDate, latest, toSeconds, type DemoTime } from './demo-dates.ts';
import type { DemoAccount, DemoAccountRecord, DemoOrganisation, DemoRetention } from './demo-model.ts';
import type { GeneratedSchools } from './generate-schools.ts';
import { drawHistory } from './generate-history.ts';
import { base32, type Random } from './random.ts';

export interface AccountGeneratorInput {
  rng: Random;
  /** The named accounts' credentials: their own stream, so they never depend on `now`. */
  credentialRng: Random;
  time: DemoTime;
  retention: DemoRetention;
  organisations: ReadonlyMap<string, DemoOrganisation>;
  schools: GeneratedSchools;
}

/**
 * The demo's accounts: the named ones first (their ids are drawn before any generated account),
 * then the central support staff, then each LA's placed administrators and specials followed by
 * accounts drawn from the account mix (data/account-mix.ts) up to the LA's count.
 */
export function generateAccounts(input: AccountGeneratorInput): {
  accounts: DemoAccountRecord[];
  demoAccounts: DemoAccount[];
} {
  const generator = new AccountGenerator(input);
  for (const plan of NAMED_ACCOUNTS) generator.named(plan);
  for (const activity of CENTRAL_SUPPORT_STAFF) generator.generated('central', 'support', activity, null);
  LOCAL_AUTHORITIES.forEach((la, i) => {
    const orgKey = `la${i}`;
    const count = input.rng.int(la.accounts[0], la.accounts[1]);
    const plans: { type: UserType; activity: Activity }[] = [
      ...la.admins.map((activity): { type: UserType; activity: Activity } => ({ type: 'la_admin', activity })),
      ...(la.specials ?? []),
    ];
    // The single-admin LA keeps one former administrator, archived: restoring them is the way out.
    if (la.singleAdmin) plans.push({ type: 'la_admin', activity: 'archived-inactivity' });
    const typeWeights = la.singleAdmin ? { ...GENERATED_TYPE_WEIGHTS, la_admin: 0 } : GENERATED_TYPE_WEIGHTS;
    while (plans.length < count) {
      const type = input.rng.weighted(typeWeights);
      let activity = input.rng.weighted(ACTIVITY_WEIGHTS);
      if (activity === 'archived-access-ended' && type !== 'commissioned') activity = 'archived-inactivity';
      if (activity === 'archived-provisioning' && !la.scim) activity = 'archived-inactivity';
      plans.push({ type, activity });
    }
    for (const plan of plans) generator.generated(orgKey, plan.type, plan.activity, la);
  });
  return { accounts: generator.accounts, demoAccounts: generator.demoAccounts };
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

/** Builds the accounts one by one; what it has built so far decides who created (or archived) the next. */
class AccountGenerator {
  readonly accounts: DemoAccountRecord[] = [];
  readonly demoAccounts: DemoAccount[] = [];
  readonly #rng: Random;
  readonly #credentialRng: Random;
  readonly #time: DemoTime;
  readonly #retention: DemoRetention;
  readonly #organisations: ReadonlyMap<string, DemoOrganisation>;
  readonly #schools: GeneratedSchools;
  readonly #usernames = new Set<string>(NAMED_ACCOUNTS.map((n) => n.username));
  readonly #externalIds = new Set<string>();
  #supportId: string | null = null;

  constructor(input: AccountGeneratorInput) {
    this.#rng = input.rng;
    this.#credentialRng = input.credentialRng;
    this.#time = input.time;
    this.#retention = input.retention;
    this.#organisations = input.organisations;
    this.#schools = input.schools;
  }

  /** A named demo account, with its credentials (data/named-accounts.ts). */
  named(plan: DemoNamedAccount): void {
    const rng = this.#rng;
    const { at, monthsAgo, daysAgo, between } = this.#time;
    const orgKey = plan.organisation;
    const org = this.#organisations.get(orgKey)!;
    const password = demoPassword(this.#credentialRng);
    const totpSecret = base32(this.#credentialRng.bytes(20));
    const id = rng.uuid();
    const createdAt = toSeconds(new Date(monthsAgo(plan.createdMonthsAgo).getTime() + 9.5 * 3_600_000));
    const lastSignInAt = daysAgo(plan.lastSignInDaysAgo + 0.3);
    const archivedDay = plan.archived ? at.getUTCDate() - plan.archived.daysAgo : 0;
    const archivedAt = plan.archived
      ? toSeconds(new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), archivedDay, 2, 0, 0)))
      : null;
    const admins = this.#adminsOf(orgKey);
    const createdBy =
      plan.type === 'support'
        ? null
        : plan.type === 'la_admin' || admins.length === 0
          ? this.#supportId
          : admins[0]!.id;
    const groups = plan.type === 'support' ? { keys: [], defaultKey: null } : this.#namedGroups(orgKey, plan.type);
    const role: SchoolRole = plan.type === 'commissioned' ? 'school_improvement_partner' : 'link_adviser';
    const schoolRows =
      plan.type === 'school_improvement' || plan.type === 'commissioned'
        ? rng
            .sample(this.#schools.openSchoolsByOrg.get(orgKey) ?? [], 4)
            .map((s) => ({ urn: s.urn, role, assignedAt: between(createdAt, archivedAt ?? at) }))
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
      phone: this.#phoneFor(orgKey),
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
      deletionDueAt:
        archivedAt && plan.archived ? deletionDueFor(plan.archived.reason, archivedAt, this.#retention) : null,
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
    this.accounts.push(record);
    if (plan.type === 'support') this.#supportId = id;
    this.demoAccounts.push({
      username: plan.username,
      password,
      totpSecret,
      type: plan.type,
      typeLabel: userTypeLabel(plan.type),
      la: org.name,
      status: record.status,
    });
  }

  /** A generated account of `type` whose history follows `activity`; `la` null for central support. */
  generated(orgKey: string, type: UserType, activity: Activity, la: DemoLocalAuthority | null): void {
    const rng = this.#rng;
    const { at } = this.#time;
    const org = this.#organisations.get(orgKey)!;
    const id = rng.uuid();
    const firstName = rng.pick(FIRST_NAMES);
    const lastName = rng.pick(LAST_NAMES);
    const username = this.#uniqueUsername(firstName, lastName);
    const jobTitle = rng.chance(0.9) ? rng.pick(JOB_TITLES[type]) : null;
    const phone = this.#phoneFor(orgKey);
    const privileges = this.#privilegesFor(type, !(la?.singleAdmin ?? false));

    const history = drawHistory(activity, rng, this.#time);
    const { createdAt, lastSignInAt, restoredAt, archivedAt, archiveReason } = history;
    let { accessEndDate } = history;
    let archivedBy: string | null = null;
    if (activity === 'archived-manual') {
      const admins = this.#adminsOf(orgKey);
      archivedBy = admins.length > 0 ? rng.pick(admins).id : this.#supportId;
    }

    const status = archivedAt ? 'archived' : 'active';
    const provisioned =
      la?.scim === true && (archiveReason === 'provisioning' || (archiveReason === null && rng.chance(0.3)));
    let externalId: string | null = null;
    if (provisioned && la) {
      do externalId = `${la.externalIdPrefix}${rng.int(100000, 999999)}`;
      while (this.#externalIds.has(externalId));
      this.#externalIds.add(externalId);
    }
    if (type === 'commissioned' && status === 'active' && activity !== 'access-ends-this-month' && rng.chance(0.4)) {
      accessEndDate = isoDate(new Date(at.getTime() + rng.int(3, 300) * DAY_MS));
    }

    const admins = this.#adminsOf(orgKey).filter((a) => a.createdAt <= createdAt);
    const createdBy = provisioned
      ? null
      : type === 'la_admin' || type === 'support' || admins.length === 0
        ? type === 'support'
          ? null
          : this.#supportId
        : rng.pick(admins).id;

    const signedIn = lastSignInAt !== null;
    const enrolled = signedIn && rng.chance(0.95);
    const setUpAt = toSeconds(new Date(createdAt.getTime() + rng.between(0.02, 2) * DAY_MS));
    const firstUse = signedIn ? new Date(Math.min(setUpAt.getTime(), lastSignInAt.getTime())) : null;
    const until = archivedAt ?? at;
    const groups = this.#groupsFor(orgKey, type);

    this.accounts.push({
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
      deletionDueAt: archivedAt && archiveReason ? deletionDueFor(archiveReason, archivedAt, this.#retention) : null,
      accessEndDate,
      externalId,
      hasPassword: signedIn,
      passwordChangedAt: firstUse,
      totpEnrolledAt: enrolled ? firstUse : null,
      schoolGroupKeys: groups.keys,
      defaultSchoolGroupKey: groups.defaultKey,
      schools: this.#schoolsFor(orgKey, type, createdAt, until),
      subscriptions: this.#subscriptionsFor(type, createdAt, until),
      credentials: null,
      updatedAt: latest(createdAt, restoredAt, archivedAt),
    });
  }

  #uniqueUsername(first: string, last: string): string {
    const base = `${usernamePart(first)}.${usernamePart(last)}`.slice(0, 60);
    let name = base;
    for (let n = 2; this.#usernames.has(name); n++) name = `${base}${n}`;
    this.#usernames.add(name);
    return name;
  }

  /** Half the central staff and 55% of an LA's people have a phone number (the LA's switchboard prefix). */
  #phoneFor(orgKey: string): string | null {
    const rng = this.#rng;
    const la = LOCAL_AUTHORITIES[Number(orgKey.slice(2))];
    if (!la) return rng.chance(0.5) ? `0300 123 ${rng.int(1000, 9999)}` : null;
    return rng.chance(0.55) ? `${la.phonePrefix} ${rng.int(1000, 9999)}` : null;
  }

  #groupsFor(orgKey: string, type: UserType): { keys: string[]; defaultKey: string | null } {
    const rng = this.#rng;
    const groups = this.#schools.groupsByOrg.get(orgKey) ?? [];
    const advisory = type === 'school_improvement' || type === 'commissioned';
    const max = advisory || type === 'la_admin' || type === 'la_officer' ? 2 : 1;
    const count = groups.length === 0 ? 0 : rng.int(advisory ? 1 : 0, max);
    const keys = rng
      .sample(groups, count)
      .map((g) => g.key)
      .sort();
    const defaultKey = keys.length > 0 && rng.chance(0.85) ? rng.pick(keys) : null;
    return { keys, defaultKey };
  }

  /** A named account's groups: all for an administrator, a fixed choice by type otherwise (no draws). */
  #namedGroups(orgKey: string, type: UserType): { keys: string[]; defaultKey: string | null } {
    const groups = this.#schools.groupsByOrg.get(orgKey) ?? [];
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

  #schoolsFor(orgKey: string, type: UserType, from: Date, to: Date): DemoAccountRecord['schools'] {
    const rng = this.#rng;
    const open = this.#schools.openSchoolsByOrg.get(orgKey) ?? [];
    const [min, max, roles] = SCHOOL_ASSIGNMENTS[type];
    if (open.length === 0 || max === 0) return [];
    return rng
      .sample(open, rng.int(min, max))
      .map((s) => ({ urn: s.urn, role: rng.pick(roles), assignedAt: this.#time.between(from, to) }))
      .sort((a, b) => a.urn - b.urn);
  }

  #subscriptionsFor(type: UserType, createdAt: Date, until: Date): DemoAccountRecord['subscriptions'] {
    const rng = this.#rng;
    const { between } = this.#time;
    const subs: DemoAccountRecord['subscriptions'] = [];
    if (rng.chance(0.85)) subs.push({ topic: 'news', subscribedAt: createdAt });
    if (rng.chance(type === 'la_admin' || type === 'support' ? 0.7 : 0.25))
      subs.push({ topic: 'release_notes', subscribedAt: between(createdAt, until) });
    if (rng.chance(0.35)) subs.push({ topic: 'training', subscribedAt: between(createdAt, until) });
    if (rng.chance(type === 'la_officer' || type === 'la_admin' ? 0.6 : 0.15))
      subs.push({ topic: 'data_collection', subscribedAt: between(createdAt, until) });
    return subs;
  }

  #privilegesFor(type: UserType, allowManageUsers: boolean): Privilege[] {
    const rng = this.#rng;
    const held = new Set<Privilege>(typeDefaults(type));
    const options = PRIVILEGE_DEVIATIONS[type].filter((d) => allowManageUsers || d.add !== 'manage_users');
    if (options.length > 0 && rng.chance(0.12)) {
      const d = rng.pick(options);
      if (d.add) held.add(d.add);
      if (d.remove) held.delete(d.remove);
    }
    return [...held].sort();
  }

  /** The organisation's active administrators so far (Type of User `la_admin` holding `manage_users`). */
  #adminsOf(orgKey: string): DemoAccountRecord[] {
    return this.accounts.filter(
      (a) =>
        a.organisationKey === orgKey &&
        a.status === 'active' &&
        a.userType === 'la_admin' &&
        a.privileges.includes('manage_users'),
    );
  }
}
