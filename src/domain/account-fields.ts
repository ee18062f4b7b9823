import { parseDateOnly } from './calendar.ts';
import type { FieldErrors } from './errors.ts';
import {
  CENTRAL_ONLY_PRIVILEGES,
  CENTRAL_ONLY_TYPES,
  isPrivilege,
  isUserType,
  type Privilege,
  type UserType,
} from './privileges.ts';
import { normaliseUsername, usernameProblem } from './usernames.ts';

/** Validation of the account fields of R6–R8, shared by every way an account is created or edited. */

export interface AccountFieldsInput {
  username?: string;
  firstName?: string;
  lastName?: string;
  email?: string;
  jobTitle?: string;
  phone?: string;
  userType?: string;
}

export interface AccountFields {
  username: string;
  firstName: string;
  lastName: string;
  email: string;
  jobTitle: string | null;
  phone: string | null;
  userType: UserType;
}

// Control characters have no place in a name or address; they also guard email headers. C0 and
// C1 controls, DEL, line and paragraph separators, and the bidirectional embedding, override and
// isolate marks, which can make a name display as something else (right-to-left script itself
// is fine).
// eslint-disable-next-line no-control-regex
export const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;
// Deliberately simple (WHATWG-like): one @, a dot in the domain, no spaces.
const EMAIL = /^[^\s@"<>(),;:\\[\]]+@[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)+$/i;

function text(
  errors: Record<string, string>,
  field: string,
  value: string | undefined,
  label: string,
  max: number,
  required: boolean,
): string | null {
  const v = (value ?? '').trim();
  if (!v) {
    if (required) errors[field] = `Enter ${label}`;
    return null;
  }
  if (v.length > max) errors[field] = `${label[0]!.toUpperCase()}${label.slice(1)} must be ${max} characters or fewer`;
  else if (CONTROL.test(v))
    errors[field] = `${label[0]!.toUpperCase()}${label.slice(1)} must not include line breaks or control characters`;
  return v;
}

export function validateAccountFields(
  input: AccountFieldsInput,
  isCentral: boolean,
): { fields?: AccountFields; errors: FieldErrors } {
  const errors: Record<string, string> = {};
  const usernameError = usernameProblem(input.username ?? '');
  if (usernameError) errors.username = usernameError;
  const firstName = text(errors, 'firstName', input.firstName, 'first name', 100, true);
  const lastName = text(errors, 'lastName', input.lastName, 'last name', 100, true);
  const email = text(errors, 'email', input.email, 'email address', 254, true);
  // RFC 5321: the part before the @ is at most 64 characters.
  if (email && !errors.email && (!EMAIL.test(email) || email.lastIndexOf('@') > 64)) {
    errors.email = 'Enter an email address in the correct format, like name@example.gov.uk';
  }
  const jobTitle = text(errors, 'jobTitle', input.jobTitle, 'job title', 100, false);
  const phone = text(errors, 'phone', input.phone, 'phone number', 30, false);
  if (phone && !errors.phone && !/^[0-9+()\s.-]{6,30}$/.test(phone))
    errors.phone = 'Enter a telephone number, like 01632 960 001 or +44 808 157 0192';
  const userType = input.userType ?? '';
  if (!isUserType(userType)) errors.userType = 'Select a Type of User';
  else if (CENTRAL_ONLY_TYPES.includes(userType) !== isCentral) {
    errors.userType = isCentral
      ? 'Central support accounts must be of the type Central Support'
      : 'Select a Type of User for a Local Authority account';
  }
  if (Object.keys(errors).length > 0) return { errors };
  return {
    errors,
    fields: {
      username: normaliseUsername(input.username!),
      firstName: firstName!,
      lastName: lastName!,
      email: email!,
      jobTitle,
      phone,
      userType: userType as UserType,
    },
  };
}

/** Privileges an organisation's account may hold at all. */
export function privilegesAllowedFor(
  isCentral: boolean,
  requested: readonly string[],
): { privileges: Privilege[]; error?: string } {
  const unknown = requested.filter((p) => !isPrivilege(p));
  if (unknown.length > 0) return { privileges: [], error: 'Select privileges from the list' };
  const privileges = [...new Set(requested)] as Privilege[];
  if (!isCentral && privileges.some((p) => CENTRAL_ONLY_PRIVILEGES.includes(p))) {
    return { privileges: [], error: 'Central support can only be held by central support accounts' };
  }
  return { privileges };
}

/** Uniqueness refusals, named so that machine interfaces can answer them as conflicts (SCIM 409). */
export const USERNAME_TAKEN = 'That username is already taken. Choose another one.';
export const EXTERNAL_ID_TAKEN = 'That external ID is already used by another account of this Local Authority';

/** An identity system's identifier for an account (SCIM externalId): opaque text, kept short. */
export function externalIdProblem(value: string | null): string | undefined {
  if (value === null) return undefined;
  if (value.length > 255) return 'External ID must be 255 characters or fewer';
  if (CONTROL.test(value)) return 'External ID must not include line breaks or control characters';
  return undefined;
}

/** R11: an optional access end date, a real date YYYY-MM-DD after `today` (YYYY-MM-DD). */
export function accessEndDateFrom(raw: string | undefined, today: string): { date: string | null; error?: string } {
  const value = (raw ?? '').trim();
  if (!value) return { date: null };
  const date = parseDateOnly(value);
  if (!date) return { date: null, error: 'Enter a real date, like 2027-03-31' };
  if (date <= today) return { date: null, error: 'The access end date must be in the future' };
  return { date };
}
