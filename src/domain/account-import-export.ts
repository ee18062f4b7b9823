import { ACCOUNT_IMPORT_COLUMNS, NO_PRIVILEGES } from './account-import.ts';
import { AGREED_PRIVILEGE } from './cin-cla-agreement.ts';
import { isPrivilege, sortPrivileges } from './privileges.ts';

/**
 * An account as a line of the import file (R58, issue 14): every column of the import, in its
 * order, with codes rather than labels, so that export → edit in a spreadsheet → import gives the
 * same accounts. Pure; the one place that knows how an account reads back in.
 */

export const ACCOUNT_IMPORT_HEADER: readonly string[] = ACCOUNT_IMPORT_COLUMNS.map((c) => c.name);

export interface AccountForImport {
  readonly username: string;
  readonly firstName: string;
  readonly lastName: string;
  readonly email: string;
  readonly jobTitle: string | null;
  readonly phone: string | null;
  readonly userType: string;
  readonly privileges: readonly string[];
  readonly agreement: { agreedBy: string; agreedRole: string; agreedOn: string } | null;
  readonly schools: readonly { urn: number; role: string }[];
  readonly groups: readonly string[];
  /** YYYY-MM-DD */
  readonly accessEndDate: string | null;
}

/** The lists are written as the import reads them: semicolons between entries. */
const LIST = '; ';

export function accountImportRow(a: AccountForImport): string[] {
  const known = a.privileges.filter(isPrivilege);
  // Written out even when they are the type's defaults, so the file does not change meaning if the
  // defaults do; "none" because an empty cell would give the defaults.
  const privileges = known.length === 0 ? NO_PRIVILEGES : sortPrivileges(known).join(LIST);
  const agreement = known.includes(AGREED_PRIVILEGE) ? a.agreement : null;
  const cells: Record<string, string> = {
    username: a.username,
    first_name: a.firstName,
    last_name: a.lastName,
    email: a.email,
    job_title: a.jobTitle ?? '',
    phone: a.phone ?? '',
    user_type: a.userType,
    privileges,
    cin_cla_agreed_by: agreement?.agreedBy ?? '',
    cin_cla_agreed_role: agreement?.agreedRole ?? '',
    cin_cla_agreed_on: agreement?.agreedOn ?? '',
    schools: a.schools.map((s) => `${s.urn}:${s.role}`).join(LIST),
    school_groups: a.groups.join(LIST),
    access_end_date: a.accessEndDate ?? '',
  };
  return ACCOUNT_IMPORT_HEADER.map((name) => cells[name] ?? '');
}
