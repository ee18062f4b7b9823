/** The privilege catalogue and the Types of User (R12–R13): the one place they are defined. */

export const PRIVILEGES = [
  {
    code: 'manage_users',
    label: 'Can Add, Delete and Manage Users',
    hint: 'Create, edit, archive, restore and delete accounts in your Local Authority',
  },
  {
    code: 'nexus_admin',
    label: 'Nexus Admin',
    hint: 'Reset two-factor authentication for users of your Local Authority; receives the weekly Admin Digest',
  },
  { code: 'view_users', label: 'Can view users', hint: 'See Admin > Users and the Schools tab, read-only' },
  {
    code: 'summary_reports',
    label: 'Access to summary (school-level) reports',
    hint: 'Reports that show schools, not pupils',
  },
  {
    code: 'pupil_level',
    label: 'Include access to batch reporting and pupil level reports',
    hint: 'Reports that show individual pupils',
  },
  {
    code: 'cin_cla',
    label: 'Access to Children in Need (CiN) and Children Looked After (CLA) information',
    hint: 'Should be agreed with the Virtual Head',
  },
  {
    code: 'manage_school_groups',
    label: 'Can manage school groups',
    hint: 'Create, rename and delete the school groups of your Local Authority',
  },
  { code: 'upload_data', label: 'Can upload data', hint: 'Upload data files to Nexus' },
  {
    code: 'support',
    label: 'Central support (all Local Authorities)',
    hint: 'Act in every Local Authority; central organisation only',
  },
] as const;

export type Privilege = (typeof PRIVILEGES)[number]['code'];
export const PRIVILEGE_CODES: readonly Privilege[] = PRIVILEGES.map((p) => p.code);

export const USER_TYPES = [
  {
    code: 'la_admin',
    label: 'LA Administrator',
    defaults: ['manage_users', 'nexus_admin', 'view_users', 'summary_reports', 'pupil_level', 'manage_school_groups'],
  },
  { code: 'la_officer', label: 'LA Officer / Analyst', defaults: ['view_users', 'summary_reports', 'pupil_level'] },
  { code: 'school_improvement', label: 'School Improvement Officer', defaults: ['summary_reports'] },
  {
    code: 'commissioned',
    label: 'Commissioned Consultant / School Improvement Partner',
    defaults: ['summary_reports'],
  },
  { code: 'virtual_school', label: 'Virtual School', defaults: ['summary_reports', 'pupil_level', 'cin_cla'] },
  { code: 'read_only', label: 'Read only', defaults: ['summary_reports'] },
  { code: 'support', label: 'Central Support', defaults: [...PRIVILEGE_CODES] },
] as const satisfies readonly { code: string; label: string; defaults: readonly Privilege[] }[];

export type UserType = (typeof USER_TYPES)[number]['code'];
export const USER_TYPE_CODES: readonly UserType[] = USER_TYPES.map((t) => t.code);

/**
 * An LA's administrator: an active account holding this privilege. The one definition behind the
 * last-administrator rule (R17), the contacts named to archived people (R30, R35) and the alerts
 * about administrators at risk (R38).
 */
export const ADMINISTRATOR_PRIVILEGE = 'manage_users' satisfies Privilege;

/**
 * Who oversees an LA's accounts: its administrators and its Nexus Admins. They receive the weekly
 * Admin Digest (R47) and see the security alerts (R52); SPEC §12 names both privileges.
 */
export const OVERSIGHT_PRIVILEGES: readonly Privilege[] = [ADMINISTRATOR_PRIVILEGE, 'nexus_admin'];

/** Privileges and types that only the central support organisation may hold. */
export const CENTRAL_ONLY_PRIVILEGES: readonly Privilege[] = ['support'];
export const CENTRAL_ONLY_TYPES: readonly UserType[] = ['support'];

export function isPrivilege(value: string): value is Privilege {
  return (PRIVILEGE_CODES as readonly string[]).includes(value);
}

export function isUserType(value: string): value is UserType {
  return (USER_TYPE_CODES as readonly string[]).includes(value);
}

export function privilegeLabel(code: Privilege): string {
  return PRIVILEGES.find((p) => p.code === code)!.label;
}

export function userTypeLabel(code: UserType): string {
  return USER_TYPES.find((t) => t.code === code)!.label;
}

export function typeDefaults(code: UserType): readonly Privilege[] {
  return USER_TYPES.find((t) => t.code === code)!.defaults;
}

/** Differences between an account's privileges and its type's defaults ("differs from type defaults", R14). */
export function differenceFromDefaults(
  type: UserType,
  held: readonly Privilege[],
): { added: Privilege[]; removed: Privilege[] } {
  const defaults = new Set<Privilege>(typeDefaults(type));
  const have = new Set(held);
  return {
    added: PRIVILEGE_CODES.filter((p) => have.has(p) && !defaults.has(p)),
    removed: PRIVILEGE_CODES.filter((p) => defaults.has(p) && !have.has(p)),
  };
}

/** Sort privileges in catalogue order so that every page and export lists them the same way. */
export function sortPrivileges(held: Iterable<string>): Privilege[] {
  const set = new Set(held);
  return PRIVILEGE_CODES.filter((p) => set.has(p));
}
