import { accessEndDateFrom } from './account-fields.ts';
import type { ImportColumn, ImportRow, RowProblem } from './import-file.ts';
import { validateNewAccount, type NewAccountPlan } from './new-account.ts';
import type { Privilege } from './privileges.ts';
import { schoolRoleFrom, type SchoolRole } from './school-roles.ts';
import { phoneSavedAsNumber, spreadsheetDate } from './spreadsheet-cells.ts';
import { normaliseUsername } from './usernames.ts';

/**
 * The CSV import of accounts (R58): the columns, and the rules for one row, which are the rules
 * of Create user (validateNewAccount) plus schools, school groups and an access end date. Pure:
 * what the database knows (schools, groups, usernames taken) is passed in.
 */

export const ACCOUNT_IMPORT_COLUMNS: readonly ImportColumn[] = [
  {
    name: 'username',
    required: true,
    description:
      '3 to 64 characters: letters a to z, numbers, full stops, underscores, hyphens and @; unique in any case',
    example: 'jo.bloggs',
  },
  { name: 'first_name', required: true, description: 'Up to 100 characters', example: 'Jo' },
  { name: 'last_name', required: true, description: 'Up to 100 characters', example: 'Bloggs' },
  {
    name: 'email',
    required: true,
    description: 'An email address; the invitation is sent to it',
    example: 'jo.bloggs@example.gov.uk',
  },
  { name: 'job_title', required: false, description: 'Optional, up to 100 characters', example: 'Data Analyst' },
  {
    name: 'phone',
    required: false,
    description: 'Optional: digits, spaces, + ( ) . -',
    example: '01632 960 001',
    mayStartWithFormulaCharacter: true,
  },
  {
    name: 'user_type',
    required: true,
    description:
      'A Type of User code: la_admin, la_officer, school_improvement, commissioned, virtual_school, read_only',
    example: 'la_officer',
  },
  {
    name: 'privileges',
    required: false,
    description:
      'Optional privilege codes separated by spaces or semicolons; empty means the defaults of the Type of User, none means no privileges',
    example: '',
    list: true,
  },
  {
    name: 'cin_cla_agreed_by',
    required: false,
    description:
      'The name of the person who agreed access to CiN and CLA information, such as the Virtual Head; required when the account gets cin_cla',
    example: '',
  },
  {
    name: 'cin_cla_agreed_role',
    required: false,
    description: 'Their role, such as Virtual Head; required when the account gets cin_cla',
    example: '',
  },
  {
    name: 'cin_cla_agreed_on',
    required: false,
    description:
      'The date of the agreement, DD/MM/YYYY or YYYY-MM-DD, today or earlier; required when the account gets cin_cla',
    example: '',
  },
  {
    name: 'schools',
    required: false,
    description:
      'Optional "URN:role" entries separated by semicolons, e.g. 100001:consultant; role codes or names from the school-role list',
    example: '',
    list: true,
  },
  {
    name: 'school_groups',
    required: false,
    description: 'Optional names of school groups of your Local Authority, separated by semicolons',
    example: '',
    list: true,
  },
  {
    name: 'access_end_date',
    required: false,
    description: 'Optional date DD/MM/YYYY or YYYY-MM-DD in the future; the account is archived on that date',
    example: '',
  },
];

/** The privileges cell that means no privileges at all (an empty cell means the type's defaults). */
export const NO_PRIVILEGES = 'none';

/** The field names of validateNewAccount's errors → the column they came from. */
const COLUMN_OF: Record<string, string> = {
  username: 'username',
  firstName: 'first_name',
  lastName: 'last_name',
  email: 'email',
  jobTitle: 'job_title',
  phone: 'phone',
  userType: 'user_type',
  privileges: 'privileges',
  cinClaAgreedBy: 'cin_cla_agreed_by',
  cinClaAgreedRole: 'cin_cla_agreed_role',
  cinClaAgreedOn: 'cin_cla_agreed_on',
};

export interface AccountImportContext {
  readonly isCentral: boolean;
  /** R15–R16 (cin-cla-agreement.ts `mayGive`). */
  readonly mayGive: (privilege: Privilege) => boolean;
  /** The LA's schools, by URN. */
  readonly schoolIdsByUrn: ReadonlyMap<number, number>;
  /** The LA's school groups, by lower-case name. */
  readonly groupIdsByName: ReadonlyMap<string, number>;
  /** Usernames (lower case) of the file that an account already has. */
  readonly takenUsernames: ReadonlySet<string>;
  /** YYYY-MM-DD: an access end date must be after it, a CiN/CLA agreement not. */
  readonly today: string;
  readonly laName: string;
}

export interface AccountImportPlan extends NewAccountPlan {
  readonly line: number;
  readonly schools: readonly { schoolId: number; urn: number; role: SchoolRole }[];
  readonly groupIds: readonly number[];
  readonly accessEndDate: string | null;
}

const list = (cell: string | undefined, separator: RegExp) =>
  (cell ?? '')
    .split(separator)
    .map((s) => s.trim())
    .filter((s) => s !== '');

export function validateAccountRows(
  rows: readonly ImportRow[],
  ctx: AccountImportContext,
): { plans: AccountImportPlan[]; problems: RowProblem[] } {
  const plans: AccountImportPlan[] = [];
  const problems: RowProblem[] = [];
  const firstLineOf = new Map<string, number>();
  for (const { line, values } of rows) {
    const before = problems.length;
    const problem = (column: string, reason: string) => problems.push({ line, column, reason });
    const privilegesCell = list(values.privileges, /[\s;,]+/).map((p) => p.toLowerCase());
    // Problems of the spreadsheet's making come first: sortProblems keeps a cell's first problem.
    const phoneProblem = phoneSavedAsNumber(values.phone);
    if (phoneProblem) problem('phone', phoneProblem);
    const agreedOn = spreadsheetDate(values.cin_cla_agreed_on);
    if (agreedOn.error) problem('cin_cla_agreed_on', agreedOn.error);
    const endDate = spreadsheetDate(values.access_end_date);
    if (endDate.error) problem('access_end_date', endDate.error);
    const { plan, errors } = validateNewAccount(
      {
        username: values.username,
        firstName: values.first_name,
        lastName: values.last_name,
        email: values.email,
        jobTitle: values.job_title,
        phone: values.phone,
        userType: (values.user_type ?? '').trim().toLowerCase(),
        privileges:
          privilegesCell.length === 1 && privilegesCell[0] === NO_PRIVILEGES
            ? []
            : privilegesCell.length > 0
              ? privilegesCell
              : undefined,
        cinClaAgreedBy: values.cin_cla_agreed_by,
        cinClaAgreedRole: values.cin_cla_agreed_role,
        cinClaAgreedOn: agreedOn.error ? values.cin_cla_agreed_on : agreedOn.date,
      },
      ctx.isCentral,
      ctx.mayGive,
      ctx.today,
    );
    for (const [field, message] of Object.entries(errors)) {
      const column = COLUMN_OF[field] ?? field;
      // The pages' messages speak of a list to pick from; a file names codes.
      const hint =
        column === 'user_type'
          ? ': use one of the codes in the template'
          : message === 'Select privileges from the list'
            ? ': use privilege codes such as summary_reports'
            : '';
      problem(column, `${message}${hint}`);
    }
    // A good username is checked against the file and the accounts even when the row has other
    // problems, so that one upload lists them all (found by an independent check).
    if (!('username' in errors)) {
      const username = plan?.fields.username ?? normaliseUsername(values.username ?? '');
      const first = firstLineOf.get(username);
      if (first !== undefined)
        problem('username', `The username ${username} is also on line ${first}; each account needs its own`);
      else if (ctx.takenUsernames.has(username))
        problem('username', `The username ${username} is already taken. Choose another one.`);
      firstLineOf.set(username, first ?? line);
    }

    const schools: { schoolId: number; urn: number; role: SchoolRole }[] = [];
    for (const entry of list(values.schools, /;/)) {
      const match = /^(\d{1,9})\s*:\s*(.+)$/.exec(entry);
      const role = match ? schoolRoleFrom(match[2]!) : undefined;
      const schoolId = match ? ctx.schoolIdsByUrn.get(Number(match[1])) : undefined;
      if (!match) problem('schools', `"${entry.slice(0, 40)}" is not a URN and role, like 100001:consultant`);
      else if (schoolId === undefined) problem('schools', `URN ${match[1]} is not a school of ${ctx.laName}`);
      else if (!role) problem('schools', `"${match[2]!.slice(0, 40)}" is not a school role`);
      else if (schools.some((s) => s.schoolId === schoolId)) problem('schools', `URN ${match[1]} is listed twice`);
      else schools.push({ schoolId, urn: Number(match[1]), role });
    }
    const groupIds: number[] = [];
    for (const name of list(values.school_groups, /;/)) {
      const id = ctx.groupIdsByName.get(name.toLowerCase());
      if (id === undefined) problem('school_groups', `"${name.slice(0, 60)}" is not a school group of ${ctx.laName}`);
      else if (!groupIds.includes(id)) groupIds.push(id);
    }
    const { date: accessEndDate, error: accessEndDateError } = accessEndDateFrom(endDate.date, ctx.today);
    if (accessEndDateError && !endDate.error) problem('access_end_date', accessEndDateError);
    if (plan && problems.length === before) plans.push({ ...plan, line, schools, groupIds, accessEndDate });
  }
  return { plans, problems };
}
