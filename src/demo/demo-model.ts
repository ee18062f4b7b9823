import type { Privilege, UserType } from '../domain/privileges.ts';
import type { SchoolRole } from '../domain/school-roles.ts';
import type { TopicCode } from '../domain/topics.ts';
import type { DemoSchoolPhase } from './data/schools.ts';

/**
 * The generated demo's shape: what generate-demo.ts produces from the data of data/, a seed and
 * `now`, what demo-lifecycle.ts settles and what seed-demo.ts writes.
 */

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
