import { addDays, addMonthsUtc, startOfDayIn, wholeMonthsBetween } from './calendar.ts';
import type { ArchiveReason } from './account-status.ts';

/**
 * The inactivity policy of R33–R42 as pure functions: given an account's history, the policy and
 * `now`, what is due — and, given when the nightly job runs, what will happen and on which run.
 * This is the one schedule: the job applies `dueAction`; the preview, the pages, the digest, the
 * emails and the API show dates from `upcomingEvents`/`outlook`; the stored next-event time that
 * the job's candidate query reads is `nextDueAt`. So they agree to the day.
 */

/** Warnings are ordinal (first, second, final); their months come from the policy, never from their names. */
export const WARNING_STAGES = ['warning_1', 'warning_2', 'warning_3'] as const;
export type WarningStage = (typeof WARNING_STAGES)[number];
export type NoticeStage = WarningStage | 'archived';

export interface LifecyclePolicy {
  /** Months after "inactive since" at which the three warnings go out, ascending (R35: 15, 16, 17). */
  readonly warningMonths: readonly [number, number, number];
  /** Months after "inactive since" at which the account is archived (R35: 18). */
  readonly archiveMonths: number;
  /** No archive for inactivity unless warned in the same period at least this many days earlier (R37). */
  readonly minimumNoticeDays: number;
  /** Where the nightly job runs: an access end date takes effect when its day begins there (R11). */
  readonly timezone: string;
}

export interface RetentionPolicy {
  /** R33: days a manually archived account is kept. */
  readonly manualRetentionDays: number;
  /** R33: months an account archived for inactivity, access end or provisioning is kept. */
  readonly automaticRetentionMonths: number;
}

export const DEFAULT_POLICY: LifecyclePolicy = {
  warningMonths: [15, 16, 17],
  archiveMonths: 18,
  minimumNoticeDays: 14,
  timezone: 'Europe/London',
};
export const DEFAULT_RETENTION: RetentionPolicy = { manualRetentionDays: 30, automaticRetentionMonths: 18 };

/** When the nightly job runs: the first run at or after an instant (a cron schedule in a time zone). */
export interface RunSchedule {
  nextRunAtOrAfter(instant: Date): Date;
}

export interface AccountHistory {
  readonly status: 'active' | 'archived';
  readonly createdAt: Date;
  readonly lastSignInAt: Date | null;
  readonly restoredAt: Date | null;
  /** YYYY-MM-DD (R11). */
  readonly accessEndDate: string | null;
  readonly deletionDueAt: Date | null;
  /** Notices already sent in the current inactivity period (the one starting at `inactiveSince`). */
  readonly notices: readonly { readonly stage: NoticeStage; readonly sentAt: Date }[];
}

export type LifecycleEvent =
  | { readonly kind: 'warn'; readonly stage: WarningStage; readonly periodStart: Date; readonly first: boolean }
  | { readonly kind: 'archive'; readonly reason: 'inactivity' | 'access-ended'; readonly periodStart: Date }
  | { readonly kind: 'delete' };

export type LifecycleAction = { readonly kind: 'none' } | LifecycleEvent;

/** R34: inactive since = the latest of last sign-in, creation and last restore. */
export function inactiveSince(history: Pick<AccountHistory, 'createdAt' | 'lastSignInAt' | 'restoredAt'>): Date {
  let latest = history.createdAt;
  for (const d of [history.lastSignInAt, history.restoredAt]) if (d && d > latest) latest = d;
  return latest;
}

/** Which of R34's three instants "inactive since" is: what a warning says it counts from. */
export function inactiveSinceKind(
  history: Pick<AccountHistory, 'createdAt' | 'lastSignInAt' | 'restoredAt'>,
): 'sign-in' | 'creation' | 'restore' {
  const since = inactiveSince(history);
  if (history.lastSignInAt && history.lastSignInAt.getTime() === since.getTime()) return 'sign-in';
  if (history.restoredAt && history.restoredAt.getTime() === since.getTime()) return 'restore';
  return 'creation';
}

/** 1, 2 or 3: the ordinal of a warning. */
export function warningNumber(stage: WarningStage): 1 | 2 | 3 {
  return (WARNING_STAGES.indexOf(stage) + 1) as 1 | 2 | 3;
}

/** "first warning", "second warning", "final warning": how every page and email names a stage. */
export function warningName(stage: WarningStage): string {
  return `${(['first', 'second', 'final'] as const)[warningNumber(stage) - 1]} warning`;
}

export function isWarningStage(stage: string): stage is WarningStage {
  return (WARNING_STAGES as readonly string[]).includes(stage);
}

export function stageDate(periodStart: Date, stage: WarningStage, policy: LifecyclePolicy): Date {
  return addMonthsUtc(periodStart, policy.warningMonths[WARNING_STAGES.indexOf(stage)]!);
}

/** When an archived account is deleted (R33): 30 days after a manual archive, 18 months otherwise. */
export function deletionDueAt(reason: ArchiveReason, archivedAt: Date, retention: RetentionPolicy): Date {
  return reason === 'manual'
    ? addDays(archivedAt, retention.manualRetentionDays)
    : addMonthsUtc(archivedAt, retention.automaticRetentionMonths);
}

/** The instant an access end date takes effect: the start of that day where the job runs. */
export function accessEndsAt(history: Pick<AccountHistory, 'accessEndDate'>, policy: LifecyclePolicy): Date | null {
  return history.accessEndDate ? startOfDayIn(history.accessEndDate, policy.timezone) : null;
}

/** Whole calendar months an account has been inactive at `at` (what a warning says). */
export function monthsInactive(
  history: Pick<AccountHistory, 'createdAt' | 'lastSignInAt' | 'restoredAt'>,
  at: Date,
): number {
  return wholeMonthsBetween(inactiveSince(history), at);
}

function warningsOf(history: AccountHistory) {
  const warnings = history.notices.filter((n) => isWarningStage(n.stage));
  const lastWarning = warnings.reduce<Date | undefined>(
    (latest, n) => (!latest || n.sentAt > latest ? n.sentAt : latest),
    undefined,
  );
  const highestSent = Math.max(-1, ...warnings.map((n) => WARNING_STAGES.indexOf(n.stage as WarningStage)));
  return { lastWarning, highestSent };
}

/** R37: the archive for inactivity happens at the archive point, and never sooner than the notice period after the last warning. */
function inactivityArchiveAt(periodStart: Date, lastWarning: Date, policy: LifecyclePolicy): Date {
  const scheduled = addMonthsUtc(periodStart, policy.archiveMonths);
  const earliest = addDays(lastWarning, policy.minimumNoticeDays);
  return earliest > scheduled ? earliest : scheduled;
}

/** What the nightly job does to this account if it runs at `now`. */
export function dueAction(history: AccountHistory, policy: LifecyclePolicy, now: Date): LifecycleAction {
  if (history.status === 'archived') {
    return history.deletionDueAt && history.deletionDueAt <= now ? { kind: 'delete' } : { kind: 'none' };
  }
  const periodStart = inactiveSince(history);
  // R40: an access end date archives on that date, whatever the activity.
  const accessEnd = accessEndsAt(history, policy);
  if (accessEnd && accessEnd <= now) return { kind: 'archive', reason: 'access-ended', periodStart };

  const { lastWarning, highestSent } = warningsOf(history);
  if (now >= addMonthsUtc(periodStart, policy.archiveMonths)) {
    // R37: never archived without a warning in this period at least the notice period earlier;
    // an account found already past the archive point gets the final warning first.
    if (!lastWarning) return { kind: 'warn', stage: 'warning_3', periodStart, first: true };
    return now >= inactivityArchiveAt(periodStart, lastWarning, policy)
      ? { kind: 'archive', reason: 'inactivity', periodStart }
      : { kind: 'none' };
  }
  // R36: only the latest stage that is due, and each at most once per period.
  let latestDue = -1;
  WARNING_STAGES.forEach((stage, i) => {
    if (stageDate(periodStart, stage, policy) <= now) latestDue = i;
  });
  if (latestDue > highestSent)
    return { kind: 'warn', stage: WARNING_STAGES[latestDue]!, periodStart, first: highestSent === -1 };
  return { kind: 'none' };
}

/**
 * The earliest instant at which `dueAction` stops answering "none", if nothing changes meanwhile:
 * what the accounts table stores as the next-event time, and the job's candidate query reads.
 */
export function nextDueAt(history: AccountHistory, policy: LifecyclePolicy): Date | null {
  if (history.status === 'archived') return history.deletionDueAt;
  const periodStart = inactiveSince(history);
  const { lastWarning, highestSent } = warningsOf(history);
  const inactivity =
    highestSent < WARNING_STAGES.length - 1 || !lastWarning
      ? stageDate(periodStart, WARNING_STAGES[highestSent + 1]!, policy)
      : inactivityArchiveAt(periodStart, lastWarning, policy);
  const accessEnd = accessEndsAt(history, policy);
  return accessEnd && accessEnd < inactivity ? accessEnd : inactivity;
}

/** The history after the job applied `event` at `at`. */
export function afterEvent(
  history: AccountHistory,
  event: LifecycleEvent,
  at: Date,
  retention: RetentionPolicy,
): AccountHistory {
  switch (event.kind) {
    case 'warn':
      return { ...history, notices: [...history.notices, { stage: event.stage, sentAt: at }] };
    case 'archive':
      return {
        ...history,
        status: 'archived',
        deletionDueAt: deletionDueAt(event.reason, at, retention),
        notices: [...history.notices, { stage: 'archived', sentAt: at }],
      };
    case 'delete':
      return history;
  }
}

/** The run of the nightly job that acts on something due at `dueAt`, seen from `now`. */
export function scheduledRun(dueAt: Date, runs: RunSchedule, now: Date): Date {
  return runs.nextRunAtOrAfter(dueAt > now ? dueAt : now);
}

export interface ScheduledEvent {
  /** The run of the nightly job that does it. */
  readonly at: Date;
  readonly event: LifecycleEvent;
}

/**
 * What the nightly job will do to this account, run by run, if nobody signs in: its events from
 * `from` (the first run at or after it) up to `until`, at most `limit` of them.
 */
export function upcomingEvents(
  history: AccountHistory,
  policy: LifecyclePolicy,
  retention: RetentionPolicy,
  runs: RunSchedule,
  from: Date,
  until: Date,
  limit = 5,
): ScheduledEvent[] {
  const events: ScheduledEvent[] = [];
  let h = history;
  let earliest = from;
  while (events.length < limit) {
    const due = nextDueAt(h, policy);
    if (!due) break;
    const at = scheduledRun(due, runs, earliest);
    if (at > until) break;
    const action = dueAction(h, policy, at);
    // Cannot happen (the run is at or after the due instant); stop rather than loop.
    if (action.kind === 'none') break;
    events.push({ at, event: action });
    if (action.kind === 'delete') break;
    h = afterEvent(h, action, at, retention);
    // One action per account per run: the next one is at a later run.
    earliest = new Date(at.getTime() + 1);
  }
  return events;
}

/** Far enough ahead to see an archive and the deletion that follows it. */
function horizon(from: Date, policy: LifecyclePolicy, retention: RetentionPolicy): Date {
  return addDays(
    addMonthsUtc(from, policy.archiveMonths + Math.ceil(retention.automaticRetentionMonths) + 1),
    retention.manualRetentionDays + policy.minimumNoticeDays + 2,
  );
}

export interface LifecycleOutlook {
  /** Warned: active, with a warning sent in the current inactivity period. */
  readonly state: 'active' | 'warned' | 'archived';
  /** The latest warning of the current period, for a warned account. */
  readonly lastWarning: { readonly stage: WarningStage; readonly sentAt: Date } | null;
  /** The next thing the job will do, and on which run, if nobody signs in. */
  readonly next: ScheduledEvent | null;
  /** The run that archives the account if nobody signs in (active accounts). */
  readonly archiveAt: Date | null;
  /** The run that deletes the account if it is not restored (archived accounts), or after its archive. */
  readonly deleteAt: Date | null;
}

/** Everything a page, an email or the API says about an account's lifecycle, from the one schedule. */
export function outlook(
  history: AccountHistory,
  policy: LifecyclePolicy,
  retention: RetentionPolicy,
  runs: RunSchedule,
  now: Date,
): LifecycleOutlook {
  const events = upcomingEvents(history, policy, retention, runs, now, horizon(now, policy, retention));
  const warnings = history.status === 'active' ? history.notices.filter((n) => isWarningStage(n.stage)) : [];
  const last = warnings.reduce<(typeof warnings)[number] | null>(
    (latest, n) => (!latest || n.sentAt > latest.sentAt ? n : latest),
    null,
  );
  return {
    state: history.status === 'archived' ? 'archived' : last ? 'warned' : 'active',
    lastWarning: last ? { stage: last.stage as WarningStage, sentAt: last.sentAt } : null,
    next: events[0] ?? null,
    archiveAt: events.find((e) => e.event.kind === 'archive')?.at ?? null,
    deleteAt: events.find((e) => e.event.kind === 'delete')?.at ?? null,
  };
}
