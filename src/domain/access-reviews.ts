import { wholeMonthsBetween } from './calendar.ts';
import type { FieldErrors } from './errors.ts';
import { isPrivilege, isUserType, privilegeLabel, typeDefaults, userTypeLabel, type Privilege } from './privileges.ts';

/**
 * Access reviews (R49): the pure rules. The four questions come from the source's "Regular
 * Review of All Accounts"; recommendations are only shown, never applied without a person.
 */

export const DECISIONS = ['keep', 'change', 'archive', 'delete'] as const;
export type Decision = (typeof DECISIONS)[number];

export const DECISION_LABELS: Record<Decision, string> = {
  keep: 'Keep',
  change: 'Change privileges',
  archive: 'Archive',
  delete: 'Delete',
};

export const QUESTIONS = [
  {
    key: 'stillEmployed',
    column: 'still_employed',
    text: 'Still employed by the Local Authority, directly or in a commissioned role?',
  },
  { key: 'postNeedsAccess', column: 'post_needs_access', text: 'Still in a post that needs access to Nexus?' },
  {
    key: 'pupilLevelRight',
    column: 'pupil_level_right',
    text: 'Is their pupil-level access (or lack of it) right for their role?',
  },
  {
    key: 'cinClaRight',
    column: 'cin_cla_right',
    text: 'Is their CiN/CLA access (or lack of it) right for their role?',
  },
] as const;
export type QuestionKey = (typeof QUESTIONS)[number]['key'];
export type Answers = Record<QuestionKey, boolean | null>;

export const NOTE_MAX = 1000;
export const NAME_MAX = 100;

/** The account as it was when the review opened. */
export interface ItemSnapshot {
  username: string;
  name: string;
  email: string;
  userType: string;
  privileges: string[];
  schools: string[];
  lastSignInAt: string | null;
  createdAt: string;
}

/** Inactivity counts from the last sign-in, or from creation for an account never signed in (R21). */
export function monthsInactive(snapshot: Pick<ItemSnapshot, 'lastSignInAt' | 'createdAt'>, now: Date): number {
  const since = new Date(snapshot.lastSignInAt ?? snapshot.createdAt);
  return since > now ? 0 : wholeMonthsBetween(since, now);
}

/** Held privileges beyond the defaults of the account's Type of User. */
function beyondType(snapshot: ItemSnapshot, privilege: Privilege): boolean {
  return (
    snapshot.privileges.includes(privilege) &&
    isUserType(snapshot.userType) &&
    !typeDefaults(snapshot.userType).includes(privilege)
  );
}

/** What the reviewer might consider; a person decides. */
export function recommendations(snapshot: ItemSnapshot, now: Date, inactiveMonths = 12): string[] {
  const out: string[] = [];
  const months = monthsInactive(snapshot, now);
  if (months >= inactiveMonths) {
    out.push(
      snapshot.lastSignInAt
        ? `Not signed in for ${months} months: consider archiving or deleting`
        : `Never signed in, created ${months} months ago: consider archiving or deleting`,
    );
  }
  const typeLabel = isUserType(snapshot.userType) ? userTypeLabel(snapshot.userType) : snapshot.userType;
  if (beyondType(snapshot, 'cin_cla'))
    out.push(`Holds CiN/CLA access but Type of User is ${typeLabel}: check it was agreed with the Virtual Head`);
  if (beyondType(snapshot, 'pupil_level'))
    out.push(`Holds pupil-level access but Type of User is ${typeLabel}: check their role needs it`);
  if (snapshot.privileges.includes('manage_users') && months >= 6) {
    out.push(`Can manage users but not signed in for ${months} months: a leaver with this privilege is a risk`);
  }
  return out;
}

export interface DecisionInput {
  answers: Partial<Record<QuestionKey, string>>;
  decision: string;
  note: string;
}

export interface CheckedDecision {
  answers: Answers;
  decision: Decision;
  note: string | null;
}

function yesNo(value: string | undefined): boolean | null | undefined {
  if (value === 'yes') return true;
  if (value === 'no') return false;
  return value === undefined || value === '' ? null : undefined;
}

/**
 * One item's decision, checked against its answers: someone who has left or no longer needs
 * access cannot be kept, and access that is not right for the role cannot be kept as it is.
 */
export function checkDecision(input: DecisionInput): { value?: CheckedDecision; errors: FieldErrors } {
  const errors: Record<string, string> = {};
  const answers = {} as Answers;
  for (const q of QUESTIONS) {
    const v = yesNo(input.answers[q.key]);
    if (v === null || v === undefined) errors[q.key] = `Select yes or no: ${q.text.replace(/\?$/, '').toLowerCase()}`;
    answers[q.key] = v ?? null;
  }
  const decision = (DECISIONS as readonly string[]).includes(input.decision) ? (input.decision as Decision) : undefined;
  if (!decision) errors.decision = 'Select what to do with this account';
  const note = input.note.trim();
  if (note.length > NOTE_MAX) errors.note = `The note must be ${NOTE_MAX} characters or fewer`;
  else if (!note && decision && decision !== 'keep') errors.note = 'Enter a note saying why, for the record';
  if (decision && Object.keys(errors).length === 0) {
    const left = answers.stillEmployed === false || answers.postNeedsAccess === false;
    if (left && (decision === 'keep' || decision === 'change')) {
      errors.decision = 'They have left or no longer need access: archive or delete the account';
    } else if (!left && decision === 'keep' && (answers.pupilLevelRight === false || answers.cinClaRight === false)) {
      errors.decision = 'Their pupil-level or CiN/CLA access is not right for their role: change their privileges';
    }
  }
  return Object.keys(errors).length > 0 || !decision
    ? { errors }
    : { value: { answers, decision, note: note || null }, errors };
}

/**
 * What a bulk decision records for the four questions: nothing. Nobody was asked about each of
 * these accounts, so the record says so (`decided_in_bulk`) instead of inventing answers.
 */
export const NOT_ASKED: Answers = {
  stillEmployed: null,
  postNeedsAccess: null,
  pupilLevelRight: null,
  cinClaRight: null,
};

/** A decision as the record reads once made: the review page, the item page, the evidence and its CSV. */
const DECISION_RECORDS: Record<Decision, string> = {
  keep: 'Kept',
  change: 'Privileges changed',
  archive: 'Archived',
  delete: 'Deleted',
};

/** "Kept", "Kept in bulk", "Not decided", "Closed outside the review". */
export function decisionRecord(item: { decision: Decision | null; inBulk: boolean; closedOutside: boolean }): string {
  if (item.decision) return `${DECISION_RECORDS[item.decision]}${item.inBulk ? ' in bulk' : ''}`;
  return item.closedOutside ? 'Closed outside the review' : 'Not decided';
}

/** "Kept in bulk by Ada Admin (camden.admin)": who decided, in one sentence. */
export function decisionSentence(item: { decision: Decision; inBulk: boolean; by: string }): string {
  return `${decisionRecord({ ...item, closedOutside: false })} by ${item.by}`;
}

/** One answer as the record shows it; a bulk decision asked no question. */
export function answerText(answer: boolean | null, item: { decision: Decision | null; inBulk: boolean }): string {
  if (answer !== null) return answer ? 'Yes' : 'No';
  if (item.inBulk) return 'Not asked (decided in bulk)';
  return item.decision ? 'Not answered' : '';
}

/** Accounts on one page of a review: a page stays a readable length whatever the size of the LA. */
export const ITEMS_PER_PAGE = 25;

/**
 * The page to show of `total` items: a page number from the address, or the first page when it
 * is not one; past the end, the last page (after a bulk decision empties the page it came from).
 */
export function pageOf(
  requested: string | undefined,
  total: number,
  size = ITEMS_PER_PAGE,
): { page: number; pageCount: number; offset: number } {
  const pageCount = Math.max(1, Math.ceil(total / size));
  const asked = requested && /^[0-9]{1,6}$/.test(requested) && Number(requested) > 0 ? Number(requested) : 1;
  const page = Math.min(asked, pageCount);
  return { page, pageCount, offset: (page - 1) * size };
}

export interface ItemState {
  decision: Decision | null;
  /** The account is no longer active for a reason outside the review. */
  closedOutside: boolean;
  snapshot: ItemSnapshot;
}

export interface Progress {
  total: number;
  decided: number;
  undecided: number;
  closedOutside: number;
  byDecision: Record<Decision, number>;
  /** Every item is decided or its account closed outside the review. */
  complete: boolean;
}

export function progress(items: readonly ItemState[]): Progress {
  const byDecision: Record<Decision, number> = { keep: 0, change: 0, archive: 0, delete: 0 };
  let closedOutside = 0;
  for (const item of items) {
    if (item.decision) byDecision[item.decision]++;
    else if (item.closedOutside) closedOutside++;
  }
  const decided = DECISIONS.reduce((n, d) => n + byDecision[d], 0);
  const undecided = items.length - decided - closedOutside;
  return { total: items.length, decided, undecided, closedOutside, byDecision, complete: undecided === 0 };
}

export interface ItemFilter {
  undecided: boolean;
  inactiveMonths: number | null;
  privilege: 'pupil_level' | 'cin_cla' | null;
}

/** Reads the filter of the review page's query; anything unreadable is an error for that field. */
export function parseFilter(query: { show?: string; inactiveMonths?: string; privilege?: string }): {
  filter: ItemFilter;
  errors: FieldErrors;
} {
  const errors: Record<string, string> = {};
  const months = (query.inactiveMonths ?? '').trim();
  let inactiveMonths: number | null = null;
  if (months !== '') {
    if (!/^[0-9]{1,3}$/.test(months) || Number(months) < 1 || Number(months) > 240)
      errors.inactiveMonths = 'Enter a number of months from 1 to 240';
    else inactiveMonths = Number(months);
  }
  const privilege = query.privilege === 'pupil_level' || query.privilege === 'cin_cla' ? query.privilege : null;
  if (query.privilege && !privilege) errors.privilege = 'Select a privilege from the list';
  return { filter: { undecided: query.show === 'undecided', inactiveMonths, privilege }, errors };
}

export function matchesFilter(item: ItemState, filter: ItemFilter, now: Date): boolean {
  if (filter.undecided && (item.decision !== null || item.closedOutside)) return false;
  if (filter.inactiveMonths !== null && monthsInactive(item.snapshot, now) < filter.inactiveMonths) return false;
  if (filter.privilege && !item.snapshot.privileges.includes(filter.privilege)) return false;
  return true;
}

/** Privileges the pages highlight: the ones a data-protection review is about. */
export const SENSITIVE_PRIVILEGES: readonly Privilege[] = ['pupil_level', 'cin_cla', 'manage_users'];

/** Short names of the sensitive privileges, for tags in a table of many accounts. */
export const SENSITIVE_SHORT_NAMES: Readonly<Record<string, string>> = {
  pupil_level: 'Pupil-level',
  cin_cla: 'CiN/CLA',
  manage_users: 'Manages users',
};

/** Privilege names for the pages, marking the ones a review is about. */
export function describePrivileges(codes: readonly string[]): { label: string; sensitive: boolean }[] {
  return codes.map((c) => ({
    label: isPrivilege(c) ? privilegeLabel(c) : c,
    sensitive: (SENSITIVE_PRIVILEGES as readonly string[]).includes(c),
  }));
}

/** The review's name and due date, as entered on the "Start a review" form. */
export function checkReviewForm(
  input: { name: string; dueOn: string },
  now: Date,
): { value?: { name: string; dueOn: string }; errors: FieldErrors } {
  const errors: Record<string, string> = {};
  const name = input.name.trim();
  if (!name) errors.name = 'Enter a name for the review, like "Autumn term 2026"';
  else if (name.length > NAME_MAX) errors.name = `The name must be ${NAME_MAX} characters or fewer`;
  const dueOn = input.dueOn.trim();
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(dueOn);
  const date = match ? new Date(`${dueOn}T00:00:00Z`) : null;
  if (!date || Number.isNaN(date.getTime()) || date.toISOString().slice(0, 10) !== dueOn)
    errors.dueOn = 'Enter a real due date, like 2027-01-31';
  else if (dueOn < now.toISOString().slice(0, 10)) errors.dueOn = 'The due date must be today or in the future';
  return Object.keys(errors).length > 0 ? { errors } : { value: { name, dueOn }, errors };
}

/** An open review past its due date (digest reminders). */
export function isOverdue(review: { status: string; due_on: string }, now: Date): boolean {
  return review.status === 'open' && review.due_on < now.toISOString().slice(0, 10);
}
