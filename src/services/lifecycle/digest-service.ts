import {
  accountsArchivedSince,
  accountsCreatedSince,
  accountsWarnedSince,
  digestRecipients,
  inactiveAccounts,
  securityAlertsSince,
} from '../../data/queries/digest-queries.ts';
import { overdueReviews } from '../../data/queries/review-queries.ts';
import { assignmentsToOtherLasSchools } from '../../data/queries/school-import-queries.ts';
import { schoolRoleText } from '../../domain/school-moves.ts';
import { addDays, addMonthsUtc, dateIn, wholeMonthsBetween } from '../../domain/calendar.ts';
import { inactiveSince, warningName } from '../../domain/lifecycle.ts';
import { enqueueEmail } from '../../mail/enqueue.ts';
import { digestHealth } from '../../mail/templates/digest-health.ts';
import { renderEmail, type Block } from '../../mail/templates/render.ts';
import { formatDate, formatDateTime, mailDomain, type ServiceDeps } from '../deps.ts';
import { accountHealthOf } from './account-health-service.ts';
import type { LifecycleService } from './lifecycle-service.ts';
import { outlooksOf } from './schedule.ts';
import { fullName, fullNameIfKnown } from '../../domain/names.ts';
import { ARCHIVE_REASON_TEXT } from '../../domain/account-status.ts';

/** ISO 8601 week of a date ("2026-W48"): the digest's deduplication period. */
export function isoWeek(date: Date): string {
  const d = new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate()));
  const day = d.getUTCDay() || 7;
  d.setUTCDate(d.getUTCDate() + 4 - day);
  const yearStart = new Date(Date.UTC(d.getUTCFullYear(), 0, 1));
  const week = Math.ceil(((d.getTime() - yearStart.getTime()) / 86_400_000 + 1) / 7);
  return `${d.getUTCFullYear()}-W${String(week).padStart(2, '0')}`;
}

export interface DigestRunResult {
  week: string;
  recipients: number;
  /** Emails newly written to the outbox; 0 on a second run in the same week. */
  sent: number;
}

/** One section of the digest: its lines, and the accounts they name (R31: erased from the digest if deleted). */
interface Section {
  lines: string[];
  mentions: string[];
}

function section(rows: readonly { id: string | null; line: string }[]): Section {
  const seen = new Set<string>();
  const lines: string[] = [];
  const mentions: string[] = [];
  for (const r of rows) {
    // Each account once per section.
    if (r.id && seen.has(r.id)) continue;
    if (r.id) {
      seen.add(r.id);
      mentions.push(r.id);
    }
    lines.push(r.line);
  }
  return { lines, mentions };
}

/**
 * The weekly Admin Digest (R47): one email per administrator (manage_users or nexus_admin) per
 * ISO week, never two — the outbox deduplication key is the recipient and the week. Its dates
 * come from the lifecycle schedule, as the pages' do.
 */
export function createDigestService(deps: ServiceDeps, lifecycle: LifecycleService) {
  const { db, config, schedule } = deps;
  const tz = schedule.policy.timezone;
  const date = (d: Date) => formatDate(d, tz);
  const months = deps.config.digest.inactiveMonths;
  // Home's chart of the LA, from the same function: the digest's numbers are Home's numbers.
  const healthOf = accountHealthOf(deps, lifecycle);
  const name = (r: { first_name: string; last_name: string; username: string }) => `${fullName(r)} (${r.username})`;
  const ago = (from: Date, now: Date) => {
    const n = wholeMonthsBetween(from, now);
    return n === 1 ? '1 month ago' : `${n} months ago`;
  };

  async function sections(organisationId: number, now: Date) {
    const weekAgo = addDays(now, -7);
    const [inactive, warned, coming, archived, created, alerts, reviews, movedAway] = await Promise.all([
      inactiveAccounts(db, organisationId, addMonthsUtc(now, -months)),
      accountsWarnedSince(db, organisationId, weekAgo),
      lifecycle.preview({ now, days: 30, organisationId }),
      accountsArchivedSince(db, organisationId, weekAgo),
      accountsCreatedSince(db, organisationId, weekAgo),
      securityAlertsSince(db, organisationId, weekAgo),
      overdueReviews(db, organisationId, dateIn(now, tz)),
      assignmentsToOtherLasSchools(db, organisationId),
    ]);
    const outlooks = await outlooksOf(
      db,
      schedule,
      warned.map((w) => w.id),
      now,
    );
    return {
      inactive: section(
        inactive.map((r) => ({
          id: r.id,
          line:
            r.last_sign_in_at &&
            r.last_sign_in_at.getTime() ===
              inactiveSince({
                createdAt: r.created_at,
                lastSignInAt: r.last_sign_in_at,
                restoredAt: r.restored_at,
              }).getTime()
              ? `${name(r)}: last signed in ${date(r.last_sign_in_at)} (${ago(r.last_sign_in_at, now)})`
              : r.last_sign_in_at
                ? `${name(r)}: restored ${date(r.restored_at!)} (${ago(r.restored_at!, now)}), not signed in since`
                : `${name(r)}: has never signed in (created ${date(r.created_at)}, ${ago(r.created_at, now)})`,
        })),
      ),
      warned: section(
        warned.map((r) => {
          const o = outlooks.get(r.id);
          const warning = o?.lastWarning;
          return {
            id: r.id,
            line:
              `${name(r)}: ${warning ? `${warningName(warning.stage)} sent ${date(warning.sentAt)}` : 'warned'}` +
              (o?.archiveAt ? `; will be archived on ${date(o.archiveAt)} unless they sign in` : ''),
          };
        }),
      ),
      toBeArchived: section(
        coming
          .filter((e) => e.event.kind === 'archive')
          .map((e) => ({
            id: e.accountId,
            line: `${e.name} (${e.username}): ${date(e.date)}${e.event.kind === 'archive' && e.event.reason === 'access-ended' ? ' (access end date)' : ''}`,
          })),
      ),
      deletions: section(
        coming
          .filter((e) => e.event.kind === 'delete')
          .map((e) => ({ id: e.accountId, line: `${e.name} (${e.username}): ${date(e.date)}` })),
      ),
      // Provisioning archives name their cause: the LA's identity system, not an administrator here.
      archived: section(
        archived.map((r) => ({
          id: r.id,
          line: `${name(r)}: ${ARCHIVE_REASON_TEXT[r.archive_reason ?? 'manual'].sentence} ${date(r.archived_at!)}`,
        })),
      ),
      created: section(created.map((r) => ({ id: r.id, line: `${name(r)}: created ${date(r.created_at)}` }))),
      overdueReviews: section(
        reviews.map((r) => ({
          id: null,
          line: `${r.name}: due ${date(new Date(`${r.due_on}T12:00:00Z`))}, ${Number(r.decided ?? 0)} of ${Number(r.total ?? 0)} accounts decided`,
        })),
      ),
      // Schools GIAS moved to another LA keep this LA's assignments until an administrator removes them.
      // (An account is named once per school, so these lines are not deduplicated by account.)
      movedAway: {
        lines: movedAway.map(
          (r) =>
            `${r.school_name} (URN ${r.urn}), now in ${r.la_name}: ${name(r)}, ${schoolRoleText(r.role)}${r.status === 'archived' ? ' (archived account)' : ''}`,
        ),
        mentions: [...new Set(movedAway.map((r) => r.id))],
      },
      alerts: {
        // Every attempt is listed (they are the evidence); the username is the one the alert recorded.
        lines: alerts.map((a) => {
          const recorded = (a.details as { username?: unknown }).username;
          const username = typeof recorded === 'string' ? recorded : 'an unknown username';
          const name = fullNameIfKnown(a);
          const who = name !== null ? `${username} (${name})` : username;
          return `${formatDateTime(a.occurred_at, tz)}: sign-in attempt on the archived account ${who}${a.ip ? ` from ${a.ip}` : ''}`;
        }),
        mentions: [...new Set(alerts.map((a) => a.subject_account_id).filter((id): id is string => id !== null))],
      },
    };
  }

  return {
    async send(options: { now: Date }): Promise<DigestRunResult> {
      const { now } = options;
      const week = isoWeek(now);
      const recipients = await digestRecipients(db);
      const cache = new Map<
        number,
        { s: Awaited<ReturnType<typeof sections>>; health: ReturnType<typeof digestHealth> }
      >();
      let sent = 0;
      for (const r of recipients) {
        if (!cache.has(r.organisation_id)) {
          const [s, health] = await Promise.all([sections(r.organisation_id, now), healthOf(r.organisation_id, now)]);
          cache.set(r.organisation_id, { s, health: digestHealth(health, date) });
        }
        const { s, health } = cache.get(r.organisation_id)!;
        const block = (title: string, items: Section): Block[] => [
          title,
          items.lines.length > 0 ? { list: items.lines } : 'None.',
        ];
        const content = renderEmail(
          `${config.platformName} Admin Digest for ${r.la_name}, week ${week.slice(-2)}`,
          `Dear ${r.first_name},`,
          [
            `This is the weekly summary of accounts at ${r.la_name}.`,
            ...block(
              'Security alerts this week (a leaver trying to sign in is a possible data breach: report it to your Information Governance team):',
              s.alerts,
            ),
            `${r.la_name} at a glance:`,
            health,
            ...block(`Accounts not signed in for ${months} months or more:`, s.inactive),
            ...block('Accounts warned this week:', s.warned),
            ...block('Accounts due to be archived in the next 30 days:', s.toBeArchived),
            ...block('Deletions scheduled in the next 30 days:', s.deletions),
            ...block('Accounts archived this week:', s.archived),
            ...block('New accounts this week:', s.created),
            ...block('Access reviews past their due date (finish them at Access reviews):', s.overdueReviews),
            ...(s.movedAway.lines.length > 0
              ? block(
                  "Schools that have moved to another Local Authority but are still assigned to your accounts (remove each on the account's Schools tab when the work there has ended):",
                  s.movedAway,
                )
              : []),
            { link: `${config.baseUrl}/admin/users`, text: 'Review your users' },
          ],
          config.platformName,
        );
        const mentions = [...new Set(Object.values(s).flatMap((x) => x.mentions))].filter((id) => id !== r.id);
        const isNew = await db.transaction().execute((trx) =>
          enqueueEmail(trx, mailDomain(config), {
            dedupKey: `digest:${r.id}:${week}`,
            template: 'admin-digest',
            to: { address: r.email, name: fullName(r) },
            organisationId: r.organisation_id,
            accountId: r.id,
            content,
            now,
            mentions,
          }),
        );
        if (isNew) sent++;
      }
      return { week, recipients: recipients.length, sent };
    },
  };
}
