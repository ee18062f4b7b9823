import {
  privilegesAllowedFor,
  validateAccountFields,
  type AccountFields,
  type AccountFieldsInput,
} from './account-fields.ts';
import {
  AGREED_PRIVILEGE,
  agreementDetails,
  cannotGiveMessage,
  validateCinClaAgreement,
  type CinClaAgreement,
  type CinClaAgreementInput,
} from './cin-cla-agreement.ts';
import { sortPrivileges, typeDefaults, type Privilege } from './privileges.ts';

/**
 * The rules for a new account (R6–R8, R13–R16), one place for every way accounts are created:
 * the Create user page, `create-admin`, and the CSV import. Returns errors keyed by field.
 */

/** The agreement of CiN/CLA access (R16) is required when the new account gets it. */
export interface NewAccountInput extends AccountFieldsInput, CinClaAgreementInput {
  /** Defaults to the Type of User's defaults (R14). */
  privileges?: readonly string[];
}

export interface NewAccountPlan {
  fields: AccountFields;
  privileges: Privilege[];
  cinClaAgreement: CinClaAgreement | null;
}

export function validateNewAccount(
  input: NewAccountInput,
  isCentral: boolean,
  /** R15–R16: may the creator give this privilege? (cin-cla-agreement.ts `mayGive`) */
  mayGive: (privilege: Privilege) => boolean,
  /** YYYY-MM-DD where the service runs: the agreement is not dated after it. */
  today: string,
): { plan?: NewAccountPlan; errors: Record<string, string> } {
  const { fields, errors: fieldErrors } = validateAccountFields(input, isCentral);
  const errors: Record<string, string> = { ...fieldErrors };
  if (!fields) return { errors };
  const allowed = privilegesAllowedFor(isCentral, input.privileges ?? typeDefaults(fields.userType));
  if (allowed.error) return { errors: { privileges: allowed.error } };
  const privileges = sortPrivileges(allowed.privileges);
  const notHeld = privileges.filter((p) => !mayGive(p));
  if (notHeld.length > 0) return { errors: { privileges: cannotGiveMessage(notHeld) } };
  if (!privileges.includes(AGREED_PRIVILEGE)) return { errors, plan: { fields, privileges, cinClaAgreement: null } };
  const { agreement, errors: agreementErrors } = validateCinClaAgreement(input, today);
  if (!agreement) return { errors: agreementErrors };
  return { errors, plan: { fields, privileges, cinClaAgreement: agreement } };
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
    ...agreementDetails(plan.cinClaAgreement),
  };
}
