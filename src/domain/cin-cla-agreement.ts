import { mayGrant, type Actor } from './access.ts';
import { CONTROL } from './account-fields.ts';
import { parseDateOnly } from './calendar.ts';
import type { FieldErrors } from './errors.ts';
import { privilegeLabel, type Privilege } from './privileges.ts';

/**
 * R15–R16: who may give which privilege, and the agreement that lets an LA administrator give
 * CiN/CLA access without holding it (so that an LA can create Virtual School accounts). One place
 * for the Create user page, the Privileges tab, the API, the CSV import and access reviews.
 */

/** The privilege given on a recorded agreement rather than by holding it (R16). */
export const AGREED_PRIVILEGE = 'cin_cla' satisfies Privilege;

/** R15 with R16's exception: CiN/CLA is given on the agreement, which `validateCinClaAgreement` requires. */
export function mayGive(actor: Actor, privilege: Privilege): boolean {
  return privilege === AGREED_PRIVILEGE || mayGrant(actor, privilege);
}

/** The refusal of privileges the giver does not hold (R15), naming them by their labels. */
export function cannotGiveMessage(privileges: readonly Privilege[]): string {
  const labels = privileges.map(privilegeLabel).join('; ');
  return privileges.length === 1
    ? `You cannot give this privilege because you do not hold it yourself: ${labels}`
    : `You cannot give these privileges because you do not hold them yourself: ${labels}`;
}

/** A date as typed in a GOV.UK date input. */
export interface DateParts {
  day?: string;
  month?: string;
  year?: string;
}

export interface CinClaAgreementInput {
  /** The name of the person who agreed it, such as the Virtual Head. */
  cinClaAgreedBy?: string;
  /** Their role. */
  cinClaAgreedRole?: string;
  /** The date of the agreement: YYYY-MM-DD (API, CSV) or a page's day, month and year. */
  cinClaAgreedOn?: string | DateParts;
}

export interface CinClaAgreement {
  agreedBy: string;
  agreedRole: string;
  /** YYYY-MM-DD */
  agreedOn: string;
}

const DATE_NAME = 'The date of the agreement';

function agreedOnFrom(value: string | DateParts | undefined, today: string): { date?: string; error?: string } {
  let iso: string | undefined;
  if (typeof value === 'object') {
    const parts = {
      day: (value.day ?? '').trim(),
      month: (value.month ?? '').trim(),
      year: (value.year ?? '').trim(),
    };
    const missing = (['day', 'month', 'year'] as const).filter((k) => parts[k] === '');
    if (missing.length === 3) return { error: 'Enter the date access to CiN and CLA information was agreed' };
    if (missing.length > 0) return { error: `${DATE_NAME} must include a ${missing.join(' and ')}` };
    if (!/^[0-9]{1,2}$/.test(parts.day) || !/^[0-9]{1,2}$/.test(parts.month) || !/^[0-9]{4}$/.test(parts.year))
      return { error: `${DATE_NAME} must be a real date` };
    iso = parseDateOnly(`${parts.year}-${parts.month.padStart(2, '0')}-${parts.day.padStart(2, '0')}`);
    if (!iso) return { error: `${DATE_NAME} must be a real date` };
  } else {
    const text = (value ?? '').trim();
    if (!text) return { error: 'Enter the date access to CiN and CLA information was agreed' };
    iso = parseDateOnly(text);
    if (!iso) return { error: `${DATE_NAME} must be a real date written YYYY-MM-DD, like 2026-03-27` };
  }
  if (iso > today) return { error: `${DATE_NAME} must be today or in the past` };
  return { date: iso };
}

function person(value: string | undefined, name: string, missing: string, max: number): string | { error: string } {
  const text = (value ?? '').trim();
  if (!text) return { error: missing };
  if (text.length > max) return { error: `${name} must be ${max} characters or fewer` };
  if (CONTROL.test(text)) return { error: `${name} must not include line breaks or control characters` };
  return text;
}

/**
 * R16: the agreement recorded with a grant of CiN/CLA: who agreed it, their role and the date,
 * which is not in the future (`today` is the calendar date where the service runs).
 */
export function validateCinClaAgreement(
  input: CinClaAgreementInput,
  today: string,
): { agreement?: CinClaAgreement; errors: FieldErrors } {
  const errors: Record<string, string> = {};
  const agreedBy = person(
    input.cinClaAgreedBy,
    'The name of the person who agreed it',
    'Enter the name of the person who agreed access to CiN and CLA information',
    200,
  );
  if (typeof agreedBy !== 'string') errors.cinClaAgreedBy = agreedBy.error;
  const agreedRole = person(
    input.cinClaAgreedRole,
    'The role of the person who agreed it',
    'Enter the role of the person who agreed access to CiN and CLA information, such as Virtual Head',
    100,
  );
  if (typeof agreedRole !== 'string') errors.cinClaAgreedRole = agreedRole.error;
  const agreedOn = agreedOnFrom(input.cinClaAgreedOn, today);
  if (agreedOn.error) errors.cinClaAgreedOn = agreedOn.error;
  if (typeof agreedBy !== 'string' || typeof agreedRole !== 'string' || !agreedOn.date) return { errors };
  return { agreement: { agreedBy, agreedRole, agreedOn: agreedOn.date }, errors };
}

/** The agreement's keys in an audit event's details (the audit log formats them). */
export function agreementDetails(agreement: CinClaAgreement | null): Record<string, string> {
  return agreement
    ? {
        cinClaAgreedBy: agreement.agreedBy,
        cinClaAgreedRole: agreement.agreedRole,
        cinClaAgreedOn: agreement.agreedOn,
      }
    : {};
}

/** The field names of the agreement, in the order the forms show them (for error summaries). */
export const AGREEMENT_FIELDS = ['cinClaAgreedBy', 'cinClaAgreedRole', 'cinClaAgreedOn'] as const;
