import { addDays, addMonthsUtc } from './calendar.ts';

/**
 * The inactivity policy of R34–R42 as pure functions: given an account's history, the policy and
 * `now`, what is due. The lifecycle job applies what this returns; the preview simulates it.
 */

export type WarningStage = 'warning_15' | 'warning_16' | 'warning_17';
export type NoticeStage = WarningStage | 'archived';

export interface LifecyclePolicy {
  /** Months after "inactive since" at which the warnings go out, ascending (R35: 15, 16, 17). */
  readonly warningMonths: readonly [number, number, number];
  /** Months after "inactive since" at which the account is archived (R35: 18). */
  readonly archiveMonths: number;
  /** No archive for inactivity unless warned in the same period at least this many days earlier (R37). */
  readonly minimumNoticeDays: number;
}

export const DEFAULT_POLICY: LifecyclePolicy = { warningMonths: [15, 16, 17], archiveMonths: 18, minimumNoticeDays: 14 };

export const WARNING_STAGES: readonly WarningStage[] = ['warning_15', 'warning_16', 'warning_17'];

export interface AccountHistory {
  readonly status: 'active' | 'archived';
  readonly createdAt: Date;
  readonly lastSignInAt: Date | null;
  readonly restoredAt: Date | null;
  /** YYYY-MM-DD (R11). */
  readonly accessEndDate: string | null;
  readonly deletionDueAt: Date | null;
  /** Notices already sent in the current inactivity period (keyed by its start). */
  readonly notices: readonly { readonly stage: NoticeStage; readonly sentAt: Date }[];
}

export type LifecycleAction =
  | { readonly kind: 'none'; readonly nextCheck?: Date }
  | { readonly kind: 'warn'; readonly stage: WarningStage; readonly periodStart: Date; readonly archiveOn: Date; readonly first: boolean }
  | { readonly kind: 'archive'; readonly reason: 'inactivity' | 'access-ended'; readonly periodStart: Date }
  | { readonly kind: 'delete' };

/** R34: inactive since = the latest of last sign-in, creation and last restore. */
export function inactiveSince(history: Pick<AccountHistory, 'createdAt' | 'lastSignInAt' | 'restoredAt'>): Date {
  let latest = history.createdAt;
  for (const d of [history.lastSignInAt, history.restoredAt]) if (d && d > latest) latest = d;
  return latest;
}

export function stageDate(periodStart: Date, stage: WarningStage, policy: LifecyclePolicy): Date {
  return addMonthsUtc(periodStart, policy.warningMonths[WARNING_STAGES.indexOf(stage)]!);
}

/** When an account in this state would be archived for inactivity, given when it was last warned. */
export function archiveDate(periodStart: Date, lastWarningAt: Date | undefined, policy: LifecyclePolicy): Date {
  const scheduled = addMonthsUtc(periodStart, policy.archiveMonths);
  if (!lastWarningAt) return scheduled;
  const earliest = addDays(lastWarningAt, policy.minimumNoticeDays);
  return earliest > scheduled ? earliest : scheduled;
}

/** YYYY-MM-DD of an instant, in UTC. */
export function utcDate(date: Date): string {
  return date.toISOString().slice(0, 10);
}

export function dueAction(history: AccountHistory, policy: LifecyclePolicy, now: Date): LifecycleAction {
  if (history.status === 'archived') {
    return history.deletionDueAt && history.deletionDueAt <= now ? { kind: 'delete' } : { kind: 'none', nextCheck: history.deletionDueAt ?? undefined };
  }
  const periodStart = inactiveSince(history);
  // R40: an access end date archives on that date, whatever the activity.
  if (history.accessEndDate && history.accessEndDate <= utcDate(now)) return { kind: 'archive', reason: 'access-ended', periodStart };

  const warnings = history.notices.filter((n) => n.stage !== 'archived');
  const lastWarning = warnings.reduce<Date | undefined>((latest, n) => (!latest || n.sentAt > latest ? n.sentAt : latest), undefined);
  const sentStages = new Set(warnings.map((n) => n.stage));
  const highestSent = Math.max(-1, ...WARNING_STAGES.map((s, i) => (sentStages.has(s) ? i : -1)));
  const archiveAt = addMonthsUtc(periodStart, policy.archiveMonths);

  if (now >= archiveAt) {
    // R37: never archived without a warning in this period at least the notice period earlier;
    // an account found already past 18 months gets the final warning first.
    if (!lastWarning) return { kind: 'warn', stage: 'warning_17', periodStart, archiveOn: addDays(now, policy.minimumNoticeDays), first: true };
    const archiveOn = archiveDate(periodStart, lastWarning, policy);
    return now >= archiveOn ? { kind: 'archive', reason: 'inactivity', periodStart } : { kind: 'none', nextCheck: archiveOn };
  }

  // R36: only the latest stage that is due, and each at most once per period.
  let latestDue = -1;
  WARNING_STAGES.forEach((stage, i) => {
    if (stageDate(periodStart, stage, policy) <= now) latestDue = i;
  });
  if (latestDue > highestSent) {
    const stage = WARNING_STAGES[latestDue]!;
    return { kind: 'warn', stage, periodStart, archiveOn: archiveDate(periodStart, now, policy), first: highestSent === -1 };
  }
  const next = WARNING_STAGES.slice(highestSent + 1).map((s) => stageDate(periodStart, s, policy))[0] ?? archiveAt;
  return { kind: 'none', nextCheck: next };
}
