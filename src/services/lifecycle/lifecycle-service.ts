import { setImmediate as nextTurn } from 'node:timers/promises';
import type { Account, Executor } from '../../data/database.ts';
import {
  administratorsOfOrganisations,
  adoptPolicy,
  dueAccountIds,
  holdersOfManageUsers,
  insertNotices,
  lockAccounts,
  noticesOf,
  organisationsById,
  setLifecycleDue,
  storedPolicyFingerprint,
  type NoticeRow,
} from '../../data/queries/lifecycle-queries.ts';
import { ARCHIVE_REASON_TEXT } from '../../domain/account-status.ts';
import { addDays } from '../../domain/calendar.ts';
import {
  afterEvent,
  dueAction,
  inactiveSince,
  inactiveSinceKind,
  monthsInactive,
  nextDueAt,
  outlook,
  upcomingEvents,
  warningName,
  warningNumber,
  type AccountHistory,
  type LifecycleEvent,
  type RunSchedule,
} from '../../domain/lifecycle.ts';
import { fullName } from '../../domain/names.ts';
import { enqueueEmails, type EmailRequest } from '../../mail/enqueue.ts';
import {
  accessEndedAdminEmail,
  adminArchivedEmail,
  adminDueToBeArchivedEmail,
  archivedNoticeEmail,
  inactivityWarningEmail,
  type ArchiveCause,
  type Contacts,
  type InactiveSince,
} from '../../mail/templates/lifecycle-emails.ts';
import { archiveInTransaction } from '../accounts/account-operations.ts';
import { deleteInTransaction, eraseExpiredAlertEvidence } from '../accounts/erasure.ts';
import { auditMany, type AuditRecord, type Who } from '../audit.ts';
import { formatDate, mailDomain, type ServiceDeps } from '../deps.ts';
import { SYSTEM_CONTEXT } from '../request-context.ts';
import { historiesFrom, loadHistories, policyFingerprint } from './schedule.ts';

/**
 * The nightly lifecycle job as a service (R35–R41). Its cost follows the work that is due: the
 * candidates are the accounts whose stored next-event time has come (an index scan), handled in
 * batches, each batch one transaction with its rows locked — actions, notice rows, emails, audit
 * events and new next-event times commit together or not at all. A batch that fails is retried
 * an account at a time, so one bad account holds up nobody else. The notice table's key and the
 * outbox's deduplication key make a second, concurrent or crashed-and-repeated run harmless.
 */

export const SYSTEM: Who = { accountId: null, label: 'system' };

const BATCH = 500;

export interface LifecycleRunItem {
  accountId: string;
  username: string;
  organisationId: number;
  action: LifecycleEvent['kind'];
  detail: string;
}

export interface LifecycleRunResult {
  asOf: Date;
  dryRun: boolean;
  items: LifecycleRunItem[];
  counts: { warned: number; archived: number; accessEnded: number; deleted: number; emails: number };
  /** Accounts whose transaction failed and rolled back; the next run tries them again. */
  failures: { accountId: string; error: string }[];
  /** Accounts looked at (the due work), and security alerts whose evidence period ended. */
  visited: number;
  alertsErased: number;
}

/** "first warning", "archived for inactivity", … (the command line, the API, the run summary). */
export function describeEvent(event: LifecycleEvent): string {
  switch (event.kind) {
    case 'warn':
      return warningName(event.stage);
    case 'archive':
      return event.reason === 'inactivity'
        ? ARCHIVE_REASON_TEXT.inactivity.sentence
        : `archived: ${ARCHIVE_REASON_TEXT['access-ended'].cause}`;
    case 'delete':
      return 'deleted: retention ended';
  }
}

/** The Lifecycle page's tag and its words beside it ("Warned — first warning"), never saying a word twice. */
export function eventTag(event: LifecycleEvent): { tag: 'Warned' | 'Archived' | 'Deleted'; reason: string } {
  switch (event.kind) {
    case 'warn':
      return { tag: 'Warned', reason: warningName(event.stage) };
    case 'archive':
      return { tag: 'Archived', reason: event.reason === 'inactivity' ? 'not signed in' : 'access end date reached' };
    case 'delete':
      return { tag: 'Deleted', reason: 'retention ended' };
  }
}

export interface PreviewEvent {
  /** The run of the nightly job that does it. */
  date: Date;
  accountId: string;
  username: string;
  name: string;
  organisationId: number;
  event: LifecycleEvent;
  action: LifecycleEvent['kind'];
  detail: string;
}

/** Beyond this many runs ahead, a question is put to the schedule itself (a schedule that runs every minute, say). */
const MAX_KNOWN_RUNS = 5000;

/**
 * The schedule's runs as one run of the job asks for them: every question is at or after `from`,
 * so they are answered from one list of consecutive runs starting at the first run at or after
 * `from`, grown forwards as far as a question needs, by binary search. The answers are the
 * schedule's own (run i + 1 is the schedule's first run after run i); the point is the cost. Each
 * warning and archive asks for the runs of the account's next events, a month and then up to two
 * years ahead, and the schedule's own cache starts again whenever the questions jump back and forth
 * by more than 40 days, so that nearly every account cost dozens of cron evaluations — 95% of the
 * job's CPU with 10,000 warnings due (bench/README.md, bench:lifecycle). Growing the list costs
 * one cron evaluation or two per run it covers (about 0.1–0.3 s out to the deletion two years
 * ahead with the nightly default), once a night and only when something is due.
 */
export function runsFrom(runs: RunSchedule, from: Date): RunSchedule {
  const start = from.getTime();
  let known: number[] | undefined;
  return {
    nextRunAtOrAfter(instant: Date): Date {
      const ms = instant.getTime();
      if (ms < start) return runs.nextRunAtOrAfter(instant);
      known ??= [runs.nextRunAtOrAfter(from).getTime()];
      while (known[known.length - 1]! < ms && known.length < MAX_KNOWN_RUNS) {
        known.push(runs.nextRunAtOrAfter(new Date(known[known.length - 1]! + 1)).getTime());
      }
      if (known[known.length - 1]! < ms) return runs.nextRunAtOrAfter(instant);
      // The first known run at or after the instant: no run of the schedule falls between two neighbours.
      let lo = 0;
      let hi = known.length - 1;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (known[mid]! < ms) lo = mid + 1;
        else hi = mid;
      }
      return new Date(known[lo]!);
    },
  };
}

export function createLifecycleService(deps: ServiceDeps) {
  const { db, config, schedule } = deps;
  const { policy, retention, runs } = schedule;
  const tz = policy.timezone;
  const domain = mailDomain(config);
  const date = (d: Date) => formatDate(d, tz);
  const fingerprint = policyFingerprint(schedule);
  const support = { name: config.supportName, email: config.supportEmail };

  /** Are the stored next-event times those of this policy? If not, a real run adopts it (forgets them all, once). */
  async function policyCurrent(now: Date, adopt: boolean): Promise<boolean> {
    if ((await storedPolicyFingerprint(db)) === fingerprint) return true;
    if (!adopt) return false;
    await db.transaction().execute((trx) => adoptPolicy(trx, fingerprint, now));
    return true;
  }

  function sinceOf(history: AccountHistory, at: Date): InactiveSince {
    return {
      kind: inactiveSinceKind(history),
      date: date(inactiveSince(history)),
      months: monthsInactive(history, at),
    };
  }

  function causeOf(
    event: Extract<LifecycleEvent, { kind: 'archive' }>,
    history: AccountHistory,
    at: Date,
  ): ArchiveCause {
    return event.reason === 'inactivity'
      ? { reason: 'inactivity', since: sinceOf(history, at) }
      : { reason: 'access-ended', accessEndDate: date(new Date(`${history.accessEndDate}T12:00:00Z`)) };
  }

  /** The run at which the history, as it stands after `now`, leads to `kind` (`nightRuns`: the schedule's runs from `now`). */
  function runOf(history: AccountHistory, now: Date, kind: 'archive' | 'delete', nightRuns: RunSchedule): Date {
    const o = outlook(history, policy, retention, nightRuns, now);
    const at = kind === 'archive' ? o.archiveAt : o.deleteAt;
    // An active account is always archived in the end, and an archived one deleted, within the outlook's horizon.
    if (!at) throw new Error(`No ${kind} in the lifecycle schedule`);
    return at;
  }

  interface Batch {
    notices: NoticeRow[];
    emails: EmailRequest[];
    audits: AuditRecord[];
    dues: { id: string; dueAt: Date | null }[];
    applied: { account: Account; event: LifecycleEvent }[];
  }

  /** The LA context of a run: names, and the administrators who remain active after it (R35, R38). */
  interface RunContext {
    laNames: Map<number, string>;
    laCodes: Map<number, string | null>;
    administrators: Map<number, { id: string; name: string; email: string }[]>;
    /** The schedule's runs from this run's `now` (runsFrom). */
    runs: RunSchedule;
  }

  function contactsFor(ctx: RunContext, organisationId: number, except?: string): Contacts {
    return {
      administrators: (ctx.administrators.get(organisationId) ?? []).filter((a) => a.id !== except),
      support,
      laName: ctx.laNames.get(organisationId) ?? '',
    };
  }

  /** The administrators an email names as contacts: deleting one erases them from it (R31). */
  function contactIds(ctx: RunContext, account: Account): string[] {
    return (ctx.administrators.get(account.organisation_id) ?? []).filter((a) => a.id !== account.id).map((a) => a.id);
  }

  function userUrl(id: string): string {
    return `${config.baseUrl}/admin/users/${id}`;
  }

  function archivedUsersUrl(ctx: RunContext, organisationId: number, toSupport: boolean): string {
    const code = ctx.laCodes.get(organisationId);
    return `${config.baseUrl}/admin/archived-users${toSupport && code ? `?la=${code}` : ''}`;
  }

  /** R38: the LA's other administrators who remain after the run, else central support, as email recipients. */
  function alertRecipients(ctx: RunContext, organisationId: number, except: string) {
    const others = (ctx.administrators.get(organisationId) ?? []).filter((a) => a.id !== except);
    return others.length > 0
      ? {
          toSupport: false,
          list: others.map((a) => ({ accountId: a.id, key: a.id, name: a.name, email: a.email })),
        }
      : { toSupport: true, list: [{ accountId: null, key: 'support', name: support.name, email: support.email }] };
  }

  function planWarning(
    batch: Batch,
    ctx: RunContext,
    account: Account,
    history: AccountHistory,
    event: Extract<LifecycleEvent, { kind: 'warn' }>,
    manager: boolean,
    now: Date,
  ) {
    const after = afterEvent(history, event, now, retention);
    const archiveAt = runOf(after, now, 'archive', ctx.runs);
    const since = sinceOf(history, now);
    const n = warningNumber(event.stage);
    const period = event.periodStart.toISOString();
    const contacts = contactsFor(ctx, account.organisation_id, account.id);
    batch.emails.push({
      dedupKey: `lifecycle:${account.id}:${period}:${event.stage}`,
      template: `inactivity-warning-${n}`,
      to: { address: account.email, name: fullName(account) },
      organisationId: account.organisation_id,
      accountId: account.id,
      now,
      mentions: contactIds(ctx, account),
      content: inactivityWarningEmail({
        platformName: config.platformName,
        firstName: account.first_name,
        username: account.username,
        laName: contacts.laName,
        since,
        archiveMonths: policy.archiveMonths,
        archiveOn: date(archiveAt),
        final: n === 3,
        signInUrl: `${config.baseUrl}/sign-in`,
        contacts,
      }),
    });
    batch.audits.push({
      action: 'lifecycle.warning-sent',
      organisationId: account.organisation_id,
      subjectAccountId: account.id,
      details: {
        warning: n,
        stage: event.stage,
        monthsInactive: since.months,
        periodStart: period,
        archiveOn: archiveAt.toISOString(),
      },
    });
    batch.dues.push({ id: account.id, dueAt: nextDueAt(after, policy) });
    if (event.first && manager) {
      const recipients = alertRecipients(ctx, account.organisation_id, account.id);
      for (const r of recipients.list) {
        batch.emails.push({
          dedupKey: `admin-alert:${account.id}:${period}:warning:${r.key}`,
          template: 'admin-at-risk',
          to: { address: r.email, name: r.name },
          organisationId: account.organisation_id,
          accountId: r.accountId,
          now,
          mentions: [account.id],
          content: adminDueToBeArchivedEmail({
            platformName: config.platformName,
            recipientName: r.name,
            adminName: fullName(account),
            adminUsername: account.username,
            laName: contacts.laName,
            since,
            archiveOn: date(archiveAt),
            accountUrl: userUrl(account.id),
            toSupport: recipients.toSupport,
          }),
        });
      }
      batch.audits.push({
        action: 'lifecycle.admin-alert',
        organisationId: account.organisation_id,
        subjectAccountId: account.id,
        details: {
          stage: 'warning',
          recipients: recipients.toSupport ? 'central support' : 'other administrators',
          count: recipients.list.length,
        },
      });
    }
  }

  async function applyArchive(
    trx: Executor,
    batch: Batch,
    ctx: RunContext,
    account: Account,
    history: AccountHistory,
    event: Extract<LifecycleEvent, { kind: 'archive' }>,
    manager: boolean,
    now: Date,
  ) {
    await archiveInTransaction(trx, account, event.reason, SYSTEM, SYSTEM_CONTEXT, now, retention);
    const after = afterEvent(history, event, now, retention);
    const deleteOn = date(runOf(after, now, 'delete', ctx.runs));
    const cause = causeOf(event, history, now);
    const period = event.periodStart.toISOString();
    const contacts = contactsFor(ctx, account.organisation_id, account.id);
    const name = fullName(account);
    batch.emails.push({
      dedupKey: `lifecycle:${account.id}:${period}:archived`,
      template: event.reason === 'inactivity' ? 'archived-inactivity' : 'access-ended',
      to: { address: account.email, name },
      organisationId: account.organisation_id,
      accountId: account.id,
      now,
      mentions: contactIds(ctx, account),
      content: archivedNoticeEmail({
        platformName: config.platformName,
        firstName: account.first_name,
        username: account.username,
        laName: contacts.laName,
        cause,
        archivedOn: date(now),
        deleteOn,
        contacts,
      }),
    });
    batch.dues.push({ id: account.id, dueAt: nextDueAt(after, policy) });
    const recipients = alertRecipients(ctx, account.organisation_id, account.id);
    if (manager) {
      // R38, whatever the reason for the archive.
      for (const r of recipients.list) {
        batch.emails.push({
          dedupKey: `admin-alert:${account.id}:${period}:archived:${r.key}`,
          template: 'admin-at-risk',
          to: { address: r.email, name: r.name },
          organisationId: account.organisation_id,
          accountId: r.accountId,
          now,
          mentions: [account.id],
          content: adminArchivedEmail({
            platformName: config.platformName,
            recipientName: r.name,
            adminName: name,
            adminUsername: account.username,
            laName: contacts.laName,
            cause,
            archivedOn: date(now),
            deleteOn,
            archivedUsersUrl: archivedUsersUrl(ctx, account.organisation_id, recipients.toSupport),
            toSupport: recipients.toSupport,
          }),
        });
      }
      batch.notices.push({
        account_id: account.id,
        period_start: event.periodStart,
        stage: 'admin_alert_archive',
        sent_at: now,
      });
      batch.audits.push({
        action: 'lifecycle.admin-alert',
        organisationId: account.organisation_id,
        subjectAccountId: account.id,
        details: {
          stage: 'archived',
          reason: event.reason,
          recipients: recipients.toSupport ? 'central support' : 'other administrators',
          count: recipients.list.length,
        },
      });
    } else if (event.reason === 'access-ended') {
      // R11: the LA's administrators are told (central support when it has none).
      for (const r of recipients.list) {
        batch.emails.push({
          dedupKey: `access-ended:${account.id}:${period}:${r.key}`,
          template: 'access-ended-admin',
          to: { address: r.email, name: r.name },
          organisationId: account.organisation_id,
          accountId: r.accountId,
          now,
          mentions: [account.id],
          content: accessEndedAdminEmail({
            platformName: config.platformName,
            recipientName: r.name,
            userName: name,
            username: account.username,
            laName: contacts.laName,
            accessEndDate: cause.reason === 'access-ended' ? cause.accessEndDate : '',
            archivedOn: date(now),
            deleteOn,
            archivedUsersUrl: archivedUsersUrl(ctx, account.organisation_id, recipients.toSupport),
          }),
        });
      }
    }
  }

  /** One batch in one transaction: lock, re-read, decide, write. Returns what it did. */
  async function applyBatch(
    ids: readonly string[],
    ctx: RunContext,
    now: Date,
  ): Promise<{ applied: Batch['applied']; emails: number }> {
    return db.transaction().execute(async (trx) => {
      const accounts = await lockAccounts(trx, ids);
      const histories = historiesFrom(accounts, await noticesOf(trx, ids));
      const managers = await holdersOfManageUsers(trx, ids);
      const batch: Batch = { notices: [], emails: [], audits: [], dues: [], applied: [] };
      const decided = accounts.map((account) => {
        const history = histories.get(account.id)!;
        return { account, history, action: dueAction(history, policy, now) };
      });
      // Claim every stage first: only what this transaction newly records is acted on (R36, R43).
      const claims = decided.flatMap(({ account, action }): NoticeRow[] => {
        if (action.kind === 'warn') {
          const rows: NoticeRow[] = [
            { account_id: account.id, period_start: action.periodStart, stage: action.stage, sent_at: now },
          ];
          if (action.first && managers.has(account.id))
            rows.push({
              account_id: account.id,
              period_start: action.periodStart,
              stage: 'admin_alert_warning',
              sent_at: now,
            });
          return rows;
        }
        return action.kind === 'archive'
          ? [{ account_id: account.id, period_start: action.periodStart, stage: 'archived', sent_at: now }]
          : [];
      });
      const claimed = await insertNotices(trx, claims);
      for (const { account, history, action } of decided) {
        const manager = managers.has(account.id);
        switch (action.kind) {
          case 'none':
            batch.dues.push({ id: account.id, dueAt: nextDueAt(history, policy) });
            continue;
          case 'warn':
            if (!claimed.has(`${account.id}:${action.stage}`)) continue;
            planWarning(
              batch,
              ctx,
              account,
              history,
              action,
              manager && claimed.has(`${account.id}:admin_alert_warning`),
              now,
            );
            break;
          case 'archive':
            if (!claimed.has(`${account.id}:archived`)) continue;
            await applyArchive(trx, batch, ctx, account, history, action, manager, now);
            break;
          case 'delete':
            await deleteInTransaction(trx, account, SYSTEM, SYSTEM_CONTEXT, now, config);
            break;
        }
        batch.applied.push({ account, event: action });
      }
      await insertNotices(trx, batch.notices);
      const written = await enqueueEmails(trx, domain, batch.emails);
      await auditMany(trx, SYSTEM, SYSTEM_CONTEXT, now, batch.audits);
      await setLifecycleDue(trx, batch.dues);
      return { applied: batch.applied, emails: written.size };
    });
  }

  /** R35/R38 contacts: each affected LA's administrators, less those this run archives or deletes. */
  async function runContext(
    executor: Executor,
    organisationIds: Set<number>,
    leaving: Set<string>,
    now: Date,
  ): Promise<RunContext> {
    const ids = [...organisationIds];
    const [organisations, admins] = await Promise.all([
      organisationsById(executor, ids),
      administratorsOfOrganisations(executor, ids),
    ]);
    const administrators = new Map<number, { id: string; name: string; email: string }[]>();
    for (const a of admins) {
      if (leaving.has(a.id)) continue;
      administrators.set(a.organisationId, [
        ...(administrators.get(a.organisationId) ?? []),
        { id: a.id, name: a.name, email: a.email },
      ]);
    }
    return {
      laNames: new Map([...organisations].map(([id, o]) => [id, o.name])),
      laCodes: new Map([...organisations].map(([id, o]) => [id, o.laCode])),
      administrators,
      runs: runsFrom(runs, now),
    };
  }

  return {
    async run(options: { now: Date; dryRun?: boolean; organisationId?: number }): Promise<LifecycleRunResult> {
      const { now } = options;
      const dryRun = options.dryRun ?? false;
      const result: LifecycleRunResult = {
        asOf: now,
        dryRun,
        items: [],
        counts: { warned: 0, archived: 0, accessEnded: 0, deleted: 0, emails: 0 },
        failures: [],
        visited: 0,
        alertsErased: 0,
      };
      const current = await policyCurrent(now, !dryRun);
      const ids = await dueAccountIds(db, now, { organisationId: options.organisationId, everyAccount: !current });
      result.visited = ids.length;

      // First, without locks, what is due: who leaves in this run decides who is named as a contact.
      // Only that is kept (the accounts themselves only for a dry run's report): the batches re-read
      // them under lock, and 10,000 rows held through the run cost the embedded server's peak memory.
      const planned: { account: Account; event: LifecycleEvent }[] = [];
      const leaving = new Set<string>();
      const organisationIds = new Set<number>();
      for (let i = 0; i < ids.length; i += BATCH) {
        const { accounts, histories } = await loadHistories(db, ids.slice(i, i + BATCH));
        for (const account of accounts) {
          const action = dueAction(histories.get(account.id)!, policy, now);
          if (action.kind === 'none') continue;
          organisationIds.add(account.organisation_id);
          if (action.kind !== 'warn') leaving.add(account.id);
          if (dryRun) planned.push({ account, event: action });
        }
      }
      const record = (applied: { account: Account; event: LifecycleEvent }[]) => {
        for (const { account, event } of applied) {
          result.items.push({
            accountId: account.id,
            username: account.username,
            organisationId: account.organisation_id,
            action: event.kind,
            detail: describeEvent(event),
          });
          if (event.kind === 'warn') result.counts.warned++;
          else if (event.kind === 'delete') result.counts.deleted++;
          else if (event.reason === 'access-ended') result.counts.accessEnded++;
          else result.counts.archived++;
        }
      };
      if (dryRun) {
        record(planned);
        return result;
      }
      const ctx = await runContext(db, organisationIds, leaving, now);

      for (let i = 0; i < ids.length; i += BATCH) {
        const chunk = ids.slice(i, i + BATCH);
        // On PGlite no query waits for I/O: without this the whole run is one chain of promise
        // callbacks, and the embedded server answers no page (and V8 runs none of its scheduled
        // garbage-collection steps) until the night's work is done.
        await nextTurn();
        try {
          const { applied, emails } = await applyBatch(chunk, ctx, now);
          record(applied);
          result.counts.emails += emails;
        } catch {
          // One account's failure rolls back that account only, and is reported; the rest go on.
          for (const id of chunk) {
            try {
              const { applied, emails } = await applyBatch([id], ctx, now);
              record(applied);
              result.counts.emails += emails;
            } catch (error) {
              result.failures.push({ accountId: id, error: error instanceof Error ? error.message : String(error) });
            }
          }
        }
      }
      result.alertsErased = await db.transaction().execute((trx) => eraseExpiredAlertEvidence(trx, now, config));
      return result;
    },

    /**
     * R41: who will be warned, archived or deleted in the next `days`, and on which run, if nobody
     * signs in — the schedule's own answer for each account whose next event falls in the window.
     */
    async preview(options: { now: Date; days: number; organisationId?: number }): Promise<PreviewEvent[]> {
      const until = addDays(options.now, options.days);
      const current = await policyCurrent(options.now, false);
      const ids = await dueAccountIds(db, until, { organisationId: options.organisationId, everyAccount: !current });
      const events: PreviewEvent[] = [];
      for (let i = 0; i < ids.length; i += BATCH) {
        const { accounts, histories } = await loadHistories(db, ids.slice(i, i + BATCH));
        for (const account of accounts) {
          for (const e of upcomingEvents(histories.get(account.id)!, policy, retention, runs, options.now, until)) {
            events.push({
              date: e.at,
              accountId: account.id,
              username: account.username,
              name: fullName(account),
              organisationId: account.organisation_id,
              event: e.event,
              action: e.event.kind,
              detail: describeEvent(e.event),
            });
          }
        }
      }
      return events.sort((a, b) => a.date.getTime() - b.date.getTime() || a.username.localeCompare(b.username));
    },
  };
}

export type LifecycleService = ReturnType<typeof createLifecycleService>;
