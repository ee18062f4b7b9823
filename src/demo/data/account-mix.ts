import type { Privilege, UserType } from '../../domain/privileges.ts';
import type { SchoolRole } from '../../domain/school-roles.ts';

/**
 * The mix of generated accounts: which Types of User and which sign-in histories ("activities")
 * the generator draws, how often, and what a type's accounts deviate to and are assigned to.
 * The weights are relative; their ORDER is part of the demo (the generator walks them in order).
 */

/** A generated account's sign-in history, turned into dates relative to `now` by generate-history.ts. */
export type Activity =
  | 'recent' // signed in within the last 12 months
  | 'dormant' // 12–15 months
  | 'warned' // 15–18 months: the 15/16/17-month warnings
  | 'overdue' // 18–40 months, still active: the job archives them (after a final warning, R37)
  | 'never' // never signed in (inactive since creation)
  | 'restored' // archived for inactivity once, restored recently (R34)
  | 'due-this-week' // the first warning falls due in three days
  | 'archive-this-week' // warned three times; archived in four days
  | 'access-ends-this-month' // an access end date later this month (R11)
  | 'archived-inactivity'
  | 'archived-manual'
  | 'archived-access-ended'
  | 'archived-provisioning';

export const ACTIVITY_WEIGHTS: Readonly<Record<Activity, number>> = {
  recent: 48,
  dormant: 9,
  warned: 10,
  overdue: 9,
  never: 8,
  restored: 1,
  'archived-inactivity': 6,
  'archived-manual': 3,
  'archived-access-ended': 3,
  'archived-provisioning': 2,
  // Placed, never drawn.
  'due-this-week': 0,
  'archive-this-week': 0,
  'access-ends-this-month': 0,
};

/** Types of User of an LA's generated accounts (after its placed administrators and specials). */
export const GENERATED_TYPE_WEIGHTS: Readonly<Partial<Record<UserType, number>>> = {
  la_officer: 20,
  school_improvement: 18,
  commissioned: 16,
  virtual_school: 7,
  read_only: 32,
  la_admin: 4,
};

/** The central support organisation's generated staff (besides the named `support` account). */
export const CENTRAL_SUPPORT_STAFF: readonly Activity[] = ['recent', 'recent', 'dormant'];

/**
 * Occasional deviations from a type's defaults (R14), drawn for 12% of the accounts. `manage_users` only
 * where it does not break the single-admin LA.
 */
export const PRIVILEGE_DEVIATIONS: Readonly<Record<UserType, readonly { add?: Privilege; remove?: Privilege }[]>> = {
  la_admin: [{ remove: 'nexus_admin' }, { remove: 'pupil_level' }, { add: 'cin_cla' }, { add: 'upload_data' }],
  la_officer: [
    { add: 'cin_cla' },
    { add: 'upload_data' },
    { add: 'manage_school_groups' },
    { remove: 'pupil_level' },
    { add: 'manage_users' },
  ],
  school_improvement: [{ add: 'pupil_level' }, { add: 'view_users' }],
  commissioned: [{ add: 'pupil_level' }],
  virtual_school: [{ remove: 'pupil_level' }, { add: 'view_users' }],
  read_only: [{ add: 'view_users' }, { add: 'upload_data' }],
  support: [],
};

/** How many open schools of its LA a generated account of each type is assigned to, and in which roles. */
export const SCHOOL_ASSIGNMENTS: Readonly<
  Record<UserType, readonly [min: number, max: number, roles: readonly SchoolRole[]]>
> = {
  commissioned: [2, 6, ['school_improvement_partner', 'consultant']],
  school_improvement: [3, 9, ['link_adviser', 'school_improvement_partner']],
  virtual_school: [0, 3, ['virtual_school_head']],
  read_only: [0, 2, ['education_welfare_officer', 'send_adviser', 'governor', 'data_manager', 'other']],
  la_officer: [0, 2, ['data_manager', 'other']],
  la_admin: [0, 0, []],
  support: [0, 0, []],
};
