import type { CinClaAgreementInput } from '../domain/cin-cla-agreement.ts';
import { text, type FormBody } from './routes/form.ts';

/**
 * The agreement of CiN/CLA access (R16) as the pages post it: name, role and a GOV.UK date input
 * (cinClaAgreedOn-day, -month, -year). Shared by Create user, the Privileges tab and reviews.
 */

export interface AgreementForm {
  cinClaAgreedBy: string;
  cinClaAgreedRole: string;
  cinClaAgreedOnDay: string;
  cinClaAgreedOnMonth: string;
  cinClaAgreedOnYear: string;
}

export const EMPTY_AGREEMENT: AgreementForm = {
  cinClaAgreedBy: '',
  cinClaAgreedRole: '',
  cinClaAgreedOnDay: '',
  cinClaAgreedOnMonth: '',
  cinClaAgreedOnYear: '',
};

/** The fields as posted, cut to lengths fit to show back in the form. */
export function agreementForm(body: FormBody): AgreementForm {
  return {
    cinClaAgreedBy: text(body, 'cinClaAgreedBy', 300),
    cinClaAgreedRole: text(body, 'cinClaAgreedRole', 300),
    cinClaAgreedOnDay: text(body, 'cinClaAgreedOn-day', 10),
    cinClaAgreedOnMonth: text(body, 'cinClaAgreedOn-month', 10),
    cinClaAgreedOnYear: text(body, 'cinClaAgreedOn-year', 10),
  };
}

/** What the services read. */
export function agreementInput(form: AgreementForm): CinClaAgreementInput {
  return {
    cinClaAgreedBy: form.cinClaAgreedBy,
    cinClaAgreedRole: form.cinClaAgreedRole,
    cinClaAgreedOn: { day: form.cinClaAgreedOnDay, month: form.cinClaAgreedOnMonth, year: form.cinClaAgreedOnYear },
  };
}

/**
 * An error summary whose link to the date of the agreement goes to its first box (GOV.UK: the
 * summary links to the day field of a date input).
 */
export function linkDateToDay<T extends { summary: { text: string; href: string }[] }>(errors: T): T {
  return {
    ...errors,
    summary: errors.summary.map((s) => (s.href === '#cinClaAgreedOn' ? { ...s, href: '#cinClaAgreedOn-day' } : s)),
  };
}
