import {
  afterEvent,
  inactiveSince,
  nextDueAt,
  upcomingEvents,
  type AccountHistory,
  type LifecyclePolicy,
  type RetentionPolicy,
  type RunSchedule,
} from '../domain/lifecycle.ts';
import type { DemoAccountRecord, DemoData } from './demo-model.ts';

/**
 * A demo true to its own date (issue 10): the generated history is brought to the state the
 * nightly job would have left it in on `now`, by the job's own rule — the lifecycle schedule of
 * domain/lifecycle.ts, run by run. Warnings that would have gone out are recorded as sent,
 * accounts that would have been archived are archived (by the system, on that run), and
 * accounts whose retention ended are gone. Nothing is overdue: a lifecycle run at `now` finds
 * nothing to do. PURE, like the generator.
 */

export interface DemoNotice {
  accountId: string;
  periodStart: Date;
  stage: string;
  sentAt: Date;
}

export interface SettledDemo {
  data: DemoData;
  notices: DemoNotice[];
  /** Each remaining account's next-event time (the stored `lifecycle_due_at`). */
  dueAt: Map<string, Date | null>;
  /** Accounts the job would have deleted by now (their usernames, for the record). */
  deleted: string[];
}

function historyOf(a: DemoAccountRecord): AccountHistory {
  return {
    status: a.status,
    createdAt: a.createdAt,
    lastSignInAt: a.lastSignInAt,
    restoredAt: a.restoredAt,
    accessEndDate: a.accessEndDate,
    deletionDueAt: a.deletionDueAt,
    notices: [],
  };
}

export function settleDemo(
  data: DemoData,
  schedule: { policy: LifecyclePolicy; retention: RetentionPolicy; runs: RunSchedule },
): SettledDemo {
  const { policy, retention, runs } = schedule;
  const notices: DemoNotice[] = [];
  const dueAt = new Map<string, Date | null>();
  const deleted: string[] = [];
  const accounts: DemoAccountRecord[] = [];
  for (const account of data.accounts) {
    let history = historyOf(account);
    let record = account;
    let gone = false;
    const manager = account.privileges.includes('manage_users');
    for (const { at, event } of upcomingEvents(history, policy, retention, runs, account.createdAt, data.now, 10)) {
      if (event.kind === 'delete') {
        gone = true;
        break;
      }
      const periodStart = inactiveSince(history);
      if (event.kind === 'warn') {
        notices.push({ accountId: account.id, periodStart, stage: event.stage, sentAt: at });
        if (event.first && manager)
          notices.push({ accountId: account.id, periodStart, stage: 'admin_alert_warning', sentAt: at });
      } else {
        notices.push({ accountId: account.id, periodStart, stage: 'archived', sentAt: at });
        if (manager) notices.push({ accountId: account.id, periodStart, stage: 'admin_alert_archive', sentAt: at });
      }
      history = afterEvent(history, event, at, retention);
      if (event.kind === 'archive') {
        record = {
          ...record,
          status: 'archived',
          archivedAt: at,
          archivedBy: null,
          archiveReason: event.reason,
          deletionDueAt: history.deletionDueAt,
          updatedAt: at,
        };
      }
    }
    if (gone) {
      deleted.push(account.username);
      continue;
    }
    accounts.push(record);
    dueAt.set(account.id, nextDueAt(history, policy));
  }
  const kept = new Set(accounts.map((a) => a.id));
  return {
    data: {
      ...data,
      accounts,
      demoAccounts: data.demoAccounts.filter((d) => accounts.some((a) => a.username === d.username)),
    },
    notices: notices.filter((n) => kept.has(n.accountId)),
    dueAt,
    deleted,
  };
}
