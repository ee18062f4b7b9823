import type { ImportColumn, ImportRow, RowProblem } from './import-file.ts';
import { schoolRoleFrom, type SchoolRole } from './school-roles.ts';
import { normaliseUsername } from './usernames.ts';

/**
 * The CSV import of school assignments for the termly re-assignment (R26). Mode: every account
 * named in the file gets exactly the schools the file lists for it (its other schools are
 * removed); accounts not named keep theirs. Pure: the LA's accounts and schools are passed in.
 */

export const SCHOOL_IMPORT_COLUMNS: readonly ImportColumn[] = [
  { name: 'username', required: true, description: 'An account of your Local Authority', example: 'jo.bloggs' },
  { name: 'urn', required: true, description: 'The URN of a school of your Local Authority', example: '100001' },
  {
    name: 'role',
    required: true,
    description: 'A school role, as its code or name, e.g. consultant or Link Adviser',
    example: 'consultant',
  },
];

/** The most schools one account holds, as on the Schools tab. */
export const MAX_SCHOOLS_PER_ACCOUNT = 2000;

export interface SchoolImportContext {
  /** The LA's accounts by lower-case username (active or archived). */
  readonly accountIdsByUsername: ReadonlyMap<string, string>;
  readonly schoolIdsByUrn: ReadonlyMap<number, number>;
  readonly laName: string;
}

export interface SchoolImportPlan {
  readonly accountId: string;
  readonly username: string;
  readonly schools: { schoolId: number; urn: number; role: SchoolRole }[];
}

export function validateSchoolRows(
  rows: readonly ImportRow[],
  ctx: SchoolImportContext,
): { plans: SchoolImportPlan[]; problems: RowProblem[] } {
  const byAccount = new Map<string, SchoolImportPlan>();
  const lineOf = new Map<string, number>();
  const problems: RowProblem[] = [];
  for (const { line, values } of rows) {
    const problem = (column: string, reason: string) => problems.push({ line, column, reason });
    const username = normaliseUsername(values.username ?? '');
    const accountId = ctx.accountIdsByUsername.get(username);
    const urnText = (values.urn ?? '').trim();
    const schoolId = /^\d{1,9}$/.test(urnText) ? ctx.schoolIdsByUrn.get(Number(urnText)) : undefined;
    const role = schoolRoleFrom(values.role ?? '');
    // One message for "no such account" and "another LA's account", so the file reveals nothing (R4).
    if (!username) problem('username', 'Enter a username');
    else if (accountId === undefined)
      problem('username', `${username.slice(0, 64)} is not an account of ${ctx.laName}`);
    if (!urnText) problem('urn', 'Enter the URN of a school');
    else if (schoolId === undefined)
      problem('urn', `${urnText.slice(0, 20)} is not the URN of a school of ${ctx.laName}`);
    if (!(values.role ?? '').trim()) problem('role', 'Enter a school role');
    else if (!role) problem('role', `"${(values.role ?? '').trim().slice(0, 40)}" is not a school role`);
    if (accountId === undefined || schoolId === undefined || !role) continue;
    const key = `${accountId}:${schoolId}`;
    const first = lineOf.get(key);
    if (first !== undefined) {
      problem('urn', `${username} already has URN ${urnText} on line ${first}`);
      continue;
    }
    lineOf.set(key, line);
    const plan = byAccount.get(accountId) ?? { accountId, username, schools: [] };
    byAccount.set(accountId, plan);
    if (plan.schools.length === MAX_SCHOOLS_PER_ACCOUNT)
      problem('urn', `${username} would have more than ${MAX_SCHOOLS_PER_ACCOUNT.toLocaleString('en-GB')} schools`);
    else plan.schools.push({ schoolId, urn: Number(urnText), role });
  }
  return { plans: [...byAccount.values()], problems };
}
