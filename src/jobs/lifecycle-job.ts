import { sql } from 'kysely';
import type { Account, Executor } from '../data/database.ts';
import { administratorsOf, findOrganisation, privilegesOf } from '../data/queries/account-queries.ts';
import { addDays, addMonthsUtc } from '../domain/calendar.ts';
import {
  dueAction, inactiveSince, utcDate, WARNING_STAGES, type AccountHistory, type LifecycleAction, type LifecyclePolicy, type NoticeStage,
} from '../domain/lifecycle.ts';
import { enqueueEmail } from '../mail/enqueue.ts';
import { accessEndedAdminEmail, adminAtRiskEmail, archivedNoticeEmail, inactivityWarningEmail } from '../mail/templates/lifecycle-emails.ts';
import { audit, type Who } from '../services/audit.ts';
import { formatDate, mailDomain, type ServiceDeps } from '../services/deps.ts';
import { SYSTEM_CONTEXT } from '../services/request-context.ts';
import { archiveInTransaction, deleteInTransaction } from '../services/user-status-service.ts';

/**
 * The nightly lifecycle job (R35–R41). Each account is handled in its own transaction, with its
 * row locked: the action, its notice row, its emails and its audit events commit together or
 * not at all. The notice table's key (account, period, stage) and the outbox's deduplication key
 * make a second run, a concurrent run or a run after a crash harmless.
 */

export const SYSTEM: Who = { accountId: null, label: 'system' };

export interface LifecycleRunItem {
  accountId: string;
  username: string;
  organisationId: number;
  action: Exclude<LifecycleAction['kind'], 'none'>;
  detail: string;
}

export interface LifecycleRunResult {
  asOf: Date;
  dryRun: boolean;
  items: LifecycleRunItem[];
  counts: { warned: number; archived: number; accessEnded: number; deleted: number; emails: number };
  /** Accounts whose transaction failed and rolled back; the next run tries them again. */
  failures: { accountId: string; error: string }[];
}

function describe(action: LifecycleAction): string {
  switch (action.kind) {
    case 'warn': return `${action.stage.replace('warning_', '')}-month warning`;
    case 'archive': return action.reason === 'inactivity' ? 'archived for inactivity' : 'archived: access end date reached';
    case 'delete': return 'deleted: retention ended';
    default: return '';
  }
}

/** Accounts that might have something due at `now`: a narrow query served by the partial indexes. */
export async function lifecycleCandidates(db: Executor, now: Date, policy: LifecyclePolicy, organisationId?: number): Promise<string[]> {
  const earliestWarning = addMonthsUtc(now, -Math.min(...policy.warningMonths));
  let query = db.selectFrom('accounts').select('id').where((eb) => eb.or([
    eb.and([eb('status', '=', 'active'), eb(sql<Date>`GREATEST(last_sign_in_at, created_at, restored_at)`, '<=', earliestWarning)]),
    eb.and([eb('status', '=', 'active'), eb('access_end_date', '<=', utcDate(now))]),
    eb.and([eb('status', '=', 'archived'), eb('deletion_due_at', '<=', now)]),
  ]));
  if (organisationId !== undefined) query = query.where('organisation_id', '=', organisationId);
  return (await query.orderBy('id').execute()).map((r) => r.id);
}

export async function historyOf(db: Executor, account: Account): Promise<AccountHistory> {
  const periodStart = inactiveSince({ createdAt: account.created_at, lastSignInAt: account.last_sign_in_at, restoredAt: account.restored_at });
  const notices = await db.selectFrom('lifecycle_notices').select(['stage', 'sent_at'])
    .where('account_id', '=', account.id).where('period_start', '=', periodStart).execute();
  return {
    status: account.status,
    createdAt: account.created_at,
    lastSignInAt: account.last_sign_in_at,
    restoredAt: account.restored_at,
    accessEndDate: account.access_end_date,
    deletionDueAt: account.deletion_due_at,
    notices: notices.filter((n) => n.stage === 'archived' || (WARNING_STAGES as readonly string[]).includes(n.stage))
      .map((n) => ({ stage: n.stage as NoticeStage, sentAt: n.sent_at })),
  };
}

/** Records a notice; false when this stage of this period was already done (by this or another run). */
async function claimNotice(trx: Executor, accountId: string, periodStart: Date, stage: string, now: Date): Promise<boolean> {
  const row = await trx.insertInto('lifecycle_notices').values({ account_id: accountId, period_start: periodStart, stage, sent_at: now })
    .onConflict((oc) => oc.doNothing()).returning('stage').executeTakeFirst();
  return row !== undefined;
}

export function createLifecycleJob(deps: ServiceDeps & { policy: LifecyclePolicy }) {
  const { db, config, policy } = deps;
  const domain = mailDomain(config);
  const signInUrl = `${config.baseUrl}/sign-in`;

  async function email(trx: Executor, dedupKey: string, template: string, to: { address: string; name: string }, account: Account, content: ReturnType<typeof adminAtRiskEmail>, now: Date): Promise<number> {
    return (await enqueueEmail(trx, domain, { dedupKey, template, to, organisationId: account.organisation_id, accountId: null, content, now })) ? 1 : 0;
  }

  /** R38: an administrator due to be archived is reported to the LA's other administrators, or to central support. */
  async function adminAlerts(trx: Executor, account: Account, periodStart: Date, stage: 'warning' | 'archived', when: Date, now: Date): Promise<number> {
    if (!(await privilegesOf(trx, account.id)).includes('manage_users')) return 0;
    if (!(await claimNotice(trx, account.id, periodStart, stage === 'warning' ? 'admin_alert_warning' : 'admin_alert_archive', now))) return 0;
    const organisation = await findOrganisation(trx, account.organisation_id);
    const others = (await administratorsOf(trx, account.organisation_id)).filter((a) => a.id !== account.id);
    const recipients = others.length > 0 ? others.map((a) => ({ key: a.id, name: a.name, email: a.email })) : [{ key: 'support', name: config.supportName, email: config.supportEmail }];
    let sent = 0;
    for (const r of recipients) {
      sent += await email(trx, `admin-alert:${account.id}:${periodStart.toISOString()}:${stage}:${r.key}`, 'admin-at-risk', { address: r.email, name: r.name }, account, adminAtRiskEmail({
        platformName: config.platformName, recipientName: r.name, adminName: `${account.first_name} ${account.last_name}`, adminUsername: account.username,
        laName: organisation?.name ?? '', when: formatDate(when), stage, toSupport: others.length === 0,
      }), now);
    }
    await audit(trx, SYSTEM, SYSTEM_CONTEXT, now, {
      action: 'lifecycle.admin-alert', organisationId: account.organisation_id, subjectAccountId: account.id,
      details: { stage, recipients: others.length > 0 ? 'other administrators' : 'central support', count: recipients.length },
    });
    return sent;
  }

  async function apply(trx: Executor, account: Account, action: LifecycleAction, now: Date): Promise<{ applied: boolean; emails: number }> {
    const organisation = await findOrganisation(trx, account.organisation_id);
    const administrators = (await administratorsOf(trx, account.organisation_id)).filter((a) => a.id !== account.id);
    const laName = organisation?.name ?? '';
    const to = { address: account.email, name: `${account.first_name} ${account.last_name}` };
    switch (action.kind) {
      case 'warn': {
        if (!(await claimNotice(trx, account.id, action.periodStart, action.stage, now))) return { applied: false, emails: 0 };
        const months = Number(action.stage.replace('warning_', ''));
        let emails = (await enqueueEmail(trx, domain, {
          dedupKey: `lifecycle:${account.id}:${action.periodStart.toISOString()}:${action.stage}`,
          template: `inactivity-${action.stage}`, to, organisationId: account.organisation_id, accountId: account.id, now,
          content: inactivityWarningEmail({
            platformName: config.platformName, supportName: config.supportName, firstName: account.first_name, username: account.username, laName,
            months, lastActive: formatDate(action.periodStart), archiveOn: formatDate(action.archiveOn), final: action.stage === 'warning_17',
            signInUrl, administrators,
          }),
        })) ? 1 : 0;
        await audit(trx, SYSTEM, SYSTEM_CONTEXT, now, {
          action: 'lifecycle.warning-sent', organisationId: account.organisation_id, subjectAccountId: account.id,
          details: { stage: action.stage, periodStart: action.periodStart.toISOString(), archiveOn: action.archiveOn.toISOString() },
        });
        if (action.first) emails += await adminAlerts(trx, account, action.periodStart, 'warning', action.archiveOn, now);
        return { applied: true, emails };
      }
      case 'archive': {
        if (!(await claimNotice(trx, account.id, action.periodStart, 'archived', now))) return { applied: false, emails: 0 };
        const due = await archiveInTransaction(trx, account, action.reason, SYSTEM, SYSTEM_CONTEXT, now, config);
        let emails = (await enqueueEmail(trx, domain, {
          dedupKey: `lifecycle:${account.id}:${action.periodStart.toISOString()}:archived`,
          template: action.reason === 'inactivity' ? 'archived-inactivity' : 'access-ended', to, organisationId: account.organisation_id, accountId: account.id, now,
          content: archivedNoticeEmail({
            platformName: config.platformName, supportName: config.supportName, firstName: account.first_name, username: account.username, laName,
            reason: action.reason, deleteOn: formatDate(due), administrators,
          }),
        })) ? 1 : 0;
        if (action.reason === 'inactivity') {
          emails += await adminAlerts(trx, account, action.periodStart, 'archived', now, now);
        } else {
          // R11: the LA's administrators are told when an access end date archives someone.
          for (const admin of administrators) {
            emails += await email(trx, `access-ended:${account.id}:${action.periodStart.toISOString()}:${admin.id}`, 'access-ended-admin', { address: admin.email, name: admin.name }, account,
              accessEndedAdminEmail({ platformName: config.platformName, recipientName: admin.name, userName: `${account.first_name} ${account.last_name}`, username: account.username, laName, deleteOn: formatDate(due) }), now);
          }
        }
        return { applied: true, emails };
      }
      case 'delete':
        await deleteInTransaction(trx, account, SYSTEM, SYSTEM_CONTEXT, now);
        return { applied: true, emails: 0 };
      default:
        return { applied: false, emails: 0 };
    }
  }

  return {
    async run(options: { now: Date; dryRun?: boolean; organisationId?: number }): Promise<LifecycleRunResult> {
      const { now } = options;
      const dryRun = options.dryRun ?? false;
      const result: LifecycleRunResult = { asOf: now, dryRun, items: [], counts: { warned: 0, archived: 0, accessEnded: 0, deleted: 0, emails: 0 }, failures: [] };
      for (const id of await lifecycleCandidates(db, now, policy, options.organisationId)) {
        // One account's failure rolls back that account only, and is reported; the rest go on.
        const outcome = await db.transaction().execute(async (trx) => {
          const account = await trx.selectFrom('accounts').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
          if (!account) return undefined;
          const action = dueAction(await historyOf(trx, account), policy, now);
          if (action.kind === 'none') return undefined;
          if (dryRun) return { account, action, emails: 0 };
          const { applied, emails } = await apply(trx, account, action, now);
          return applied ? { account, action, emails } : undefined;
        }).catch((error: unknown) => {
          result.failures.push({ accountId: id, error: error instanceof Error ? error.message : String(error) });
          return undefined;
        });
        if (!outcome) continue;
        const { account, action, emails } = outcome;
        result.items.push({ accountId: account.id, username: account.username, organisationId: account.organisation_id, action: action.kind, detail: describe(action) });
        result.counts.emails += emails;
        if (action.kind === 'warn') result.counts.warned++;
        else if (action.kind === 'delete') result.counts.deleted++;
        else if (action.reason === 'access-ended') result.counts.accessEnded++;
        else result.counts.archived++;
      }
      return result;
    },

    /**
     * R41 preview: who will be warned, archived or deleted in the next `days`, and when, if
     * nobody signs in — by running the policy as the nightly job would, day by day, in memory.
     */
    async preview(options: { now: Date; days: number; organisationId?: number; runHourUtc?: number }) {
      const horizon = addDays(options.now, options.days);
      const ids = await lifecycleCandidates(db, horizon, policy, options.organisationId);
      const events: { date: Date; accountId: string; username: string; name: string; organisationId: number; action: string; detail: string }[] = [];
      for (const id of ids) {
        const account = await db.selectFrom('accounts').selectAll().where('id', '=', id).executeTakeFirst();
        if (!account) continue;
        let history = await historyOf(db, account);
        for (let day = 0; day <= options.days; day++) {
          const at = day === 0 ? options.now : new Date(Date.UTC(options.now.getUTCFullYear(), options.now.getUTCMonth(), options.now.getUTCDate() + day, options.runHourUtc ?? 2));
          if (at > horizon) break;
          const action = dueAction(history, policy, at);
          if (action.kind === 'none') continue;
          events.push({ date: at, accountId: account.id, username: account.username, name: `${account.first_name} ${account.last_name}`, organisationId: account.organisation_id, action: action.kind, detail: describe(action) });
          if (action.kind === 'warn') history = { ...history, notices: [...history.notices, { stage: action.stage, sentAt: at }] };
          else if (action.kind === 'archive') history = { ...history, status: 'archived', deletionDueAt: action.reason === 'inactivity' || action.reason === 'access-ended' ? addMonthsUtc(at, config.automaticRetentionMonths) : null };
          else break;
        }
      }
      return events.sort((a, b) => a.date.getTime() - b.date.getTime() || a.username.localeCompare(b.username));
    },
  };
}

export type LifecycleJob = ReturnType<typeof createLifecycleJob>;
