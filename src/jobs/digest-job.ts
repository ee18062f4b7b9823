import { sql } from 'kysely';
import type { ArchiveReason } from '../data/database.ts';
import { addDays, addMonthsUtc } from '../domain/calendar.ts';
import { overdueReviews } from '../data/queries/review-queries.ts';
import { enqueueEmail } from '../mail/enqueue.ts';
import { renderEmail, type Block } from '../mail/templates/render.ts';
import { formatDate, mailDomain, type ServiceDeps } from '../services/deps.ts';
import type { LifecycleJob } from './lifecycle-job.ts';

/** ISO 8601 week of a date ("2026-W48"): the digest's deduplication period. */
export function isoWeek(date: Date): string {
  const d = new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate()));
  const day = d.getUTCDay() || 7;
  d.setUTCDate(d.getUTCDate() + 4 - day);
  const yearStart = new Date(Date.UTC(d.getUTCFullYear(), 0, 1));
  const week = Math.ceil(((d.getTime() - yearStart.getTime()) / 86_400_000 + 1) / 7);
  return `${d.getUTCFullYear()}-W${String(week).padStart(2, '0')}`;
}

const ARCHIVED_BY: Record<ArchiveReason, string> = {
  manual: 'archived by an administrator', inactivity: 'archived for inactivity', 'access-ended': 'archived when access ended',
  provisioning: 'archived by provisioning (the identity system)',
};

export interface DigestRunResult {
  week: string;
  recipients: number;
  /** Emails newly written to the outbox; 0 on a second run in the same week. */
  sent: number;
}

/**
 * The weekly Admin Digest (R47): one email per administrator (manage_users or nexus_admin) per
 * ISO week, never two — the outbox deduplication key is the recipient and the week.
 */
export function createDigestJob(deps: ServiceDeps & { inactiveMonths: number }, lifecycle: LifecycleJob) {
  const { db, config } = deps;

  async function sections(organisationId: number, now: Date) {
    const weekAgo = addDays(now, -7);
    const inactive = await db.selectFrom('accounts').select(['username', 'first_name', 'last_name', 'last_sign_in_at'])
      .where('organisation_id', '=', organisationId).where('status', '=', 'active')
      .where(sql<boolean>`GREATEST(last_sign_in_at, created_at, restored_at) <= ${addMonthsUtc(now, -deps.inactiveMonths)}`)
      .orderBy(sql`last_sign_in_at ASC NULLS FIRST`).execute();
    const warned = await db.selectFrom('lifecycle_notices').innerJoin('accounts', 'accounts.id', 'lifecycle_notices.account_id')
      .select(['accounts.username', 'accounts.first_name', 'accounts.last_name', 'lifecycle_notices.stage', 'lifecycle_notices.sent_at'])
      .where('accounts.organisation_id', '=', organisationId).where('lifecycle_notices.sent_at', '>', weekAgo)
      .where('lifecycle_notices.stage', 'like', 'warning_%').orderBy('lifecycle_notices.sent_at').execute();
    const coming = await lifecycle.preview({ now, days: 30, organisationId });
    const deletions = await db.selectFrom('accounts').select(['username', 'first_name', 'last_name', 'deletion_due_at'])
      .where('organisation_id', '=', organisationId).where('status', '=', 'archived').where('deletion_due_at', '<=', addDays(now, 30))
      .orderBy('deletion_due_at').execute();
    const archived = await db.selectFrom('accounts').select(['username', 'first_name', 'last_name', 'archived_at', 'archive_reason'])
      .where('organisation_id', '=', organisationId).where('status', '=', 'archived').where('archived_at', '>', weekAgo)
      .orderBy('archived_at').execute();
    const created = await db.selectFrom('accounts').select(['username', 'first_name', 'last_name', 'created_at'])
      .where('organisation_id', '=', organisationId).where('created_at', '>', weekAgo).orderBy('created_at').execute();
    const alerts = await db.selectFrom('audit_events').select(['occurred_at', 'action', 'details', 'ip'])
      .where('organisation_id', '=', organisationId).where('security_alert', '=', true).where('occurred_at', '>', weekAgo)
      .orderBy('occurred_at').execute();
    const reviews = await overdueReviews(db, organisationId, now.toISOString().slice(0, 10));
    const name = (r: { first_name: string; last_name: string; username: string }) => `${r.first_name} ${r.last_name} (${r.username})`;
    return {
      inactive: inactive.map((r) => `${name(r)}: last signed in ${r.last_sign_in_at ? formatDate(r.last_sign_in_at) : 'never'}`),
      warned: warned.map((r) => `${name(r)}: ${r.stage.replace('warning_', '')}-month warning sent ${formatDate(r.sent_at)}`),
      toBeArchived: coming.filter((e) => e.action === 'archive').map((e) => `${e.name} (${e.username}): ${formatDate(e.date)}`),
      deletions: [
        ...deletions.map((r) => `${name(r)}: ${formatDate(r.deletion_due_at!)}`),
        ...coming.filter((e) => e.action === 'delete').map((e) => `${e.name} (${e.username}): ${formatDate(e.date)}`),
      ].filter((v, i, all) => all.indexOf(v) === i),
      // Provisioning archives name their cause: the LA's identity system, not an administrator here.
      archived: archived.map((r) => `${name(r)}: ${ARCHIVED_BY[r.archive_reason ?? 'manual']} ${formatDate(r.archived_at!)}`),
      created: created.map((r) => `${name(r)}: created ${formatDate(r.created_at)}`),
      overdueReviews: reviews.map((r) => `${r.name}: due ${formatDate(new Date(`${r.due_on}T00:00:00Z`))}, ${Number(r.decided ?? 0)} of ${Number(r.total ?? 0)} accounts decided`),
      alerts: alerts.map((a) => `${formatDate(a.occurred_at)}: sign-in attempt on archived account ${String((a.details as { username?: unknown }).username ?? '')}${a.ip ? ` from ${a.ip}` : ''}`),
    };
  }

  return {
    async send(options: { now: Date }): Promise<DigestRunResult> {
      const { now } = options;
      const week = isoWeek(now);
      const recipients = await db.selectFrom('accounts')
        .innerJoin('organisations', 'organisations.id', 'accounts.organisation_id')
        .select(['accounts.id', 'accounts.first_name', 'accounts.last_name', 'accounts.email', 'accounts.organisation_id', 'organisations.name as la_name'])
        .where('accounts.status', '=', 'active').where('organisations.kind', '=', 'la')
        .where((eb) => eb.exists(eb.selectFrom('account_privileges').select(sql`1`.as('one'))
          .whereRef('account_privileges.account_id', '=', 'accounts.id').where('account_privileges.privilege', 'in', ['manage_users', 'nexus_admin'])))
        .orderBy('accounts.organisation_id').orderBy('accounts.id').execute();
      const cache = new Map<number, Awaited<ReturnType<typeof sections>>>();
      let sent = 0;
      for (const r of recipients) {
        if (!cache.has(r.organisation_id)) cache.set(r.organisation_id, await sections(r.organisation_id, now));
        const s = cache.get(r.organisation_id)!;
        const block = (title: string, items: string[], empty: string): Block[] => [title, items.length > 0 ? { list: items } : empty];
        const content = renderEmail(`${config.platformName} Admin Digest for ${r.la_name}, week ${week.slice(-2)}`, `Dear ${r.first_name},`, [
          `This is the weekly summary of accounts at ${r.la_name}.`,
          ...block('Security alerts this week (a leaver trying to sign in is a possible data breach: report it to your Information Governance team):', s.alerts, 'None.'),
          ...block(`Accounts not signed in for ${deps.inactiveMonths} months or more:`, s.inactive, 'None.'),
          ...block('Accounts warned this week:', s.warned, 'None.'),
          ...block('Accounts due to be archived in the next 30 days:', s.toBeArchived, 'None.'),
          ...block('Deletions scheduled in the next 30 days:', s.deletions, 'None.'),
          ...block('Accounts archived this week:', s.archived, 'None.'),
          ...block('New accounts this week:', s.created, 'None.'),
          ...block('Access reviews past their due date (finish them at Access reviews):', s.overdueReviews, 'None.'),
          { link: `${config.baseUrl}/admin/users`, text: 'Review your users' },
        ], config.platformName);
        const isNew = await enqueueEmail(db, mailDomain(config), {
          dedupKey: `digest:${r.id}:${week}`, template: 'admin-digest', to: { address: r.email, name: `${r.first_name} ${r.last_name}` },
          organisationId: r.organisation_id, accountId: r.id, content, now,
        });
        if (isNew) sent++;
      }
      return { week, recipients: recipients.length, sent };
    },
  };
}

export type DigestJob = ReturnType<typeof createDigestJob>;
