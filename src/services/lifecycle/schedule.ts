import type { Config } from '../../config.ts';
import type { Account, Executor } from '../../data/database.ts';
import { recordSignIn } from '../../data/queries/account-queries.ts';
import { accountsById, noticesOf, setLifecycleDue, type NoticeRow } from '../../data/queries/lifecycle-queries.ts';
import {
  inactiveSince,
  isWarningStage,
  nextDueAt,
  outlook,
  type AccountHistory,
  type LifecycleOutlook,
  type LifecyclePolicy,
  type NoticeStage,
  type RetentionPolicy,
  type RunSchedule,
} from '../../domain/lifecycle.ts';
import { CronRunSchedule } from '../../domain/cron-runs.ts';
import { Cron } from 'croner';
import { DEFAULT_POLICY, DEFAULT_RETENTION } from '../../domain/lifecycle.ts';

/**
 * The one lifecycle schedule of the running service: the policy, the retention and the nightly
 * job's runs, built once in the composition root. Every date a person reads about an account's
 * lifecycle comes through here.
 */
export interface LifecycleSchedule {
  readonly policy: LifecyclePolicy;
  readonly retention: RetentionPolicy;
  readonly runs: RunSchedule;
}

/** The nightly lifecycle run (LIFECYCLE_SCHEDULE in LIFECYCLE_TIMEZONE, validated by loadConfig) as a RunSchedule. */
export function lifecycleRuns(config: Config): RunSchedule {
  return new CronRunSchedule(
    new Cron(config.lifecycle.schedule, { timezone: config.lifecycle.timezone, paused: true }),
  );
}

export function lifecycleSchedule(config: Config): LifecycleSchedule {
  const { warningMonths, archiveMonths, minimumNoticeDays, timezone } = config.lifecycle;
  return {
    policy: { warningMonths, archiveMonths, minimumNoticeDays, timezone },
    retention: {
      manualRetentionDays: config.manualRetentionDays,
      automaticRetentionMonths: config.automaticRetentionMonths,
    },
    runs: lifecycleRuns(config),
  };
}

/** The defaults (R33, R35: 15/16/17, 18 months, 14 days; nightly at 02:00 UK time), for tools that have no configuration. */
export function defaultLifecycleSchedule(): LifecycleSchedule {
  return {
    policy: DEFAULT_POLICY,
    retention: DEFAULT_RETENTION,
    runs: new CronRunSchedule(new Cron('0 2 * * *', { timezone: DEFAULT_POLICY.timezone, paused: true })),
  };
}

/** What the stored next-event times depend on: when it changes, they are computed again. */
export function policyFingerprint(schedule: LifecycleSchedule): string {
  return JSON.stringify({ ...schedule.policy, ...schedule.retention });
}

export type HistoryColumns = Pick<
  Account,
  'id' | 'status' | 'created_at' | 'last_sign_in_at' | 'restored_at' | 'access_end_date' | 'deletion_due_at'
>;

/** An account's history for the domain rules: its row and the notices of its current period. */
export function historyFrom(
  account: HistoryColumns,
  notices: readonly Pick<NoticeRow, 'period_start' | 'stage' | 'sent_at'>[],
): AccountHistory {
  const periodStart = inactiveSince({
    createdAt: account.created_at,
    lastSignInAt: account.last_sign_in_at,
    restoredAt: account.restored_at,
  }).getTime();
  return {
    status: account.status,
    createdAt: account.created_at,
    lastSignInAt: account.last_sign_in_at,
    restoredAt: account.restored_at,
    accessEndDate: account.access_end_date,
    deletionDueAt: account.deletion_due_at,
    notices: notices
      .filter(
        (n) =>
          new Date(n.period_start).getTime() === periodStart && (n.stage === 'archived' || isWarningStage(n.stage)),
      )
      .map((n) => ({ stage: n.stage as NoticeStage, sentAt: new Date(n.sent_at) })),
  };
}

/** Histories of several accounts, notices grouped per account. */
export function historiesFrom(
  accounts: readonly HistoryColumns[],
  notices: readonly NoticeRow[],
): Map<string, AccountHistory> {
  const byAccount = new Map<string, NoticeRow[]>();
  for (const n of notices) byAccount.set(n.account_id, [...(byAccount.get(n.account_id) ?? []), n]);
  return new Map(accounts.map((a) => [a.id, historyFrom(a, byAccount.get(a.id) ?? [])]));
}

export async function loadHistories(
  db: Executor,
  ids: readonly string[],
): Promise<{ accounts: Account[]; histories: Map<string, AccountHistory> }> {
  const [accounts, notices] = await Promise.all([accountsById(db, ids), noticesOf(db, ids)]);
  return { accounts, histories: historiesFrom(accounts, notices) };
}

/** The outlook of each account (state, next event, archive and deletion runs), from the schedule. */
export async function outlooksOf(
  db: Executor,
  schedule: LifecycleSchedule,
  ids: readonly string[],
  now: Date,
): Promise<Map<string, LifecycleOutlook>> {
  const { histories } = await loadHistories(db, ids);
  return outlooksFrom(histories, schedule, now);
}

/** The same, for account rows the caller has already read (Admin > Users' warned rows): their notices only are read. */
export async function outlooksFor(
  db: Executor,
  schedule: LifecycleSchedule,
  accounts: readonly HistoryColumns[],
  now: Date,
): Promise<Map<string, LifecycleOutlook>> {
  const histories = historiesFrom(
    accounts,
    await noticesOf(
      db,
      accounts.map((a) => a.id),
    ),
  );
  return outlooksFrom(histories, schedule, now);
}

function outlooksFrom(histories: Map<string, AccountHistory>, schedule: LifecycleSchedule, now: Date) {
  return new Map(
    [...histories].map(([id, h]) => [id, outlook(h, schedule.policy, schedule.retention, schedule.runs, now)]),
  );
}

/**
 * Keeps the stored next-event time right after a change to an account's history (sign-in,
 * restore, creation, access end date), in the caller's transaction.
 */
export async function refreshLifecycleDue(
  trx: Executor,
  schedule: LifecycleSchedule,
  ids: readonly string[],
): Promise<void> {
  if (ids.length === 0) return;
  const { histories } = await loadHistories(trx, ids);
  await setLifecycleDue(
    trx,
    [...histories].map(([id, h]) => ({ id, dueAt: nextDueAt(h, schedule.policy) })),
  );
}

/** A sign-in ends the inactivity period (R36): its time is recorded and the next lifecycle event moves with it. */
export async function recordSignInAt(
  trx: Executor,
  schedule: LifecycleSchedule,
  accountId: string,
  now: Date,
): Promise<void> {
  await recordSignIn(trx, accountId, now);
  await refreshLifecycleDue(trx, schedule, [accountId]);
}
