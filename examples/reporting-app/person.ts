/**
 * What the app knows about the person signed in: the claims Nexus Accounts sends with the scopes
 * `profile` and `nexus` (the ID token, or userinfo), read afresh at every refresh, so a privilege
 * or a school removed in Nexus is gone here after the next one.
 */

export interface School {
  readonly urn: number;
  readonly name: string;
}

export interface Person {
  readonly sub: string;
  readonly name: string;
  readonly la: { readonly code: string; readonly name: string } | null;
  readonly userType: string;
  readonly privileges: readonly string[];
  /** My Schools, then the Default School Group's schools that are not among them. */
  readonly schools: readonly School[];
}

/** Nexus's Types of User; a type this list does not know yet is shown by its code. */
const USER_TYPE_LABELS: Record<string, string> = {
  la_admin: 'LA Administrator',
  la_officer: 'LA Officer / Analyst',
  school_improvement: 'School Improvement Officer',
  commissioned: 'Commissioned Consultant / School Improvement Partner',
  virtual_school: 'Virtual School',
  read_only: 'Read only',
  support: 'Central Support',
};

export const userTypeLabel = (code: string): string => USER_TYPE_LABELS[code] ?? code;

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null;

function schoolsOf(value: unknown): School[] {
  if (!Array.isArray(value)) return [];
  return value.flatMap((s) =>
    isRecord(s) && typeof s.urn === 'number' && typeof s.name === 'string' ? [{ urn: s.urn, name: s.name }] : [],
  );
}

/**
 * The person in the claims. Claims are read defensively: a claim that is missing or not the
 * expected shape gives nothing (no privilege, no school) rather than an error.
 */
export function personFromClaims(claims: Record<string, unknown>): Person {
  const la = isRecord(claims.nexus_la) ? claims.nexus_la : undefined;
  const group = isRecord(claims.nexus_default_school_group) ? claims.nexus_default_school_group : undefined;
  const schools = new Map<number, School>();
  for (const school of [...schoolsOf(claims.nexus_schools), ...schoolsOf(group?.schools)])
    if (!schools.has(school.urn)) schools.set(school.urn, school);
  return {
    sub: String(claims.sub),
    name: typeof claims.name === 'string' ? claims.name : String(claims.preferred_username ?? claims.sub),
    la: la && typeof la.code === 'string' && typeof la.name === 'string' ? { code: la.code, name: la.name } : null,
    userType: typeof claims.nexus_user_type === 'string' ? claims.nexus_user_type : '',
    privileges: Array.isArray(claims.nexus_privileges)
      ? claims.nexus_privileges.filter((p): p is string => typeof p === 'string')
      : [],
    schools: [...schools.values()],
  };
}
