/** The school-role list of R26. Informational only: a role never changes what someone may see. */
export const SCHOOL_ROLES = [
  { code: 'school_improvement_partner', label: 'School Improvement Partner' },
  { code: 'consultant', label: 'Consultant' },
  { code: 'link_adviser', label: 'Link Adviser' },
  { code: 'headteacher', label: 'Headteacher' },
  { code: 'governor', label: 'Governor' },
  { code: 'data_manager', label: 'Data Manager' },
  { code: 'virtual_school_head', label: 'Virtual School Head' },
  { code: 'education_welfare_officer', label: 'Education Welfare Officer' },
  { code: 'send_adviser', label: 'SEND Adviser' },
  { code: 'other', label: 'Other' },
] as const;

export type SchoolRole = (typeof SCHOOL_ROLES)[number]['code'];

export function isSchoolRole(value: string): value is SchoolRole {
  return SCHOOL_ROLES.some((r) => r.code === value);
}

export function schoolRoleLabel(code: SchoolRole): string {
  return SCHOOL_ROLES.find((r) => r.code === code)!.label;
}

/** A role written as its code or its name, in any case ("Link Adviser", "link_adviser"). */
export function schoolRoleFrom(text: string): SchoolRole | undefined {
  const wanted = text.trim().toLowerCase();
  return SCHOOL_ROLES.find((r) => r.code === wanted || r.label.toLowerCase() === wanted)?.code;
}
