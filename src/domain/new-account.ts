import {
  privilegesAllowedFor,
  validateAccountFields,
  type AccountFields,
  type AccountFieldsInput,
} from './account-fields.ts';
import { sortPrivileges, typeDefaults, type Privilege } from './privileges.ts';

/**
 * The rules for a new account (R6–R8, R13–R16), one place for every way accounts are created:
 * the Create user page, `create-admin`, and the CSV import. Returns errors keyed by field.
 */

export interface NewAccountInput extends AccountFieldsInput {
  /** Defaults to the Type of User's defaults (R14). */
  privileges?: readonly string[];
  /** Who agreed CiN/CLA access (R16), required when the new account gets it. */
  cinClaAgreedBy?: string;
}

export interface NewAccountPlan {
  fields: AccountFields;
  privileges: Privilege[];
  cinClaAgreedBy: string | null;
}

export function validateNewAccount(
  input: NewAccountInput,
  isCentral: boolean,
  /** R15: may the creator give this privilege? (access.ts `mayGrant`) */
  mayGrant: (privilege: Privilege) => boolean,
): { plan?: NewAccountPlan; errors: Record<string, string> } {
  const { fields, errors: fieldErrors } = validateAccountFields(input, isCentral);
  const errors: Record<string, string> = { ...fieldErrors };
  if (!fields) return { errors };
  const allowed = privilegesAllowedFor(isCentral, input.privileges ?? typeDefaults(fields.userType));
  if (allowed.error) return { errors: { privileges: allowed.error } };
  const privileges = sortPrivileges(allowed.privileges);
  const notHeld = privileges.filter((p) => !mayGrant(p));
  if (notHeld.length > 0)
    return { errors: { privileges: `You cannot give a privilege you do not hold yourself: ${notHeld.join(', ')}` } };
  const agreedBy = (input.cinClaAgreedBy ?? '').trim();
  if (privileges.includes('cin_cla')) {
    if (!agreedBy)
      return {
        errors: { cinClaAgreedBy: 'Enter who agreed access to CiN and CLA information, such as the Virtual Head' },
      };
    if (agreedBy.length > 200) return { errors: { cinClaAgreedBy: 'Who agreed it must be 200 characters or fewer' } };
  }
  return { errors, plan: { fields, privileges, cinClaAgreedBy: privileges.includes('cin_cla') ? agreedBy : null } };
}

/** The details of the `account.created` audit event. */
export function accountCreatedDetails(plan: NewAccountPlan): Record<string, unknown> {
  const { fields } = plan;
  return {
    after: {
      username: fields.username,
      firstName: fields.firstName,
      lastName: fields.lastName,
      email: fields.email,
      jobTitle: fields.jobTitle,
      phone: fields.phone,
      userType: fields.userType,
      privileges: plan.privileges,
    },
    ...(plan.cinClaAgreedBy !== null ? { cinClaAgreedBy: plan.cinClaAgreedBy } : {}),
  };
}
