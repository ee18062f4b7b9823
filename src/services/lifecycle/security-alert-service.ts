import type { Account, Executor } from '../../data/database.ts';
import { administratorsOf, findOrganisation } from '../../data/queries/account-queries.ts';
import { countSecurityAlerts, securityAlertsPage } from '../../data/queries/security-alert-queries.ts';
import type { Actor } from '../../domain/access.ts';
import { dateIn } from '../../domain/calendar.ts';
import { enqueueEmail } from '../../mail/enqueue.ts';
import { securityAlertEmail } from '../../mail/templates/lifecycle-emails.ts';
import { audit, type Who } from '../audit.ts';
import { formatDate, formatDateTime, mailDomain, type ServiceDeps } from '../deps.ts';
import { organisationInScope } from '../organisation-scope.ts';
import type { RequestContext } from '../request-context.ts';
import { fullName, fullNameIfKnown } from '../../domain/names.ts';

export const ALERT_TEXT =
  'A leaver trying to sign in is a possible data breach: report it to your Information Governance team';

export const ALERTS_PAGE_SIZE = 50;

/**
 * R52: a sign-in attempt to an archived account is refused, recorded as a security alert (the
 * audit event, which keeps the username and address as evidence), and emailed at once to the LA's
 * administrators — central support when it has none — at most once per account per day (the
 * deduplication key holds the day where the job runs).
 */
export async function raiseSecurityAlert(
  trx: Executor,
  deps: Pick<ServiceDeps, 'config' | 'schedule'>,
  account: Account,
  attempt: {
    by: Who;
    ctx: RequestContext;
    now: Date;
    action: string;
    details: Record<string, unknown>;
  },
): Promise<void> {
  const { config } = deps;
  const tz = deps.schedule.policy.timezone;
  await audit(trx, attempt.by, attempt.ctx, attempt.now, {
    action: attempt.action,
    organisationId: account.organisation_id,
    subjectAccountId: account.id,
    details: { username: account.username, ...attempt.details, alert: ALERT_TEXT },
    securityAlert: true,
  });
  const [organisation, administrators] = await Promise.all([
    findOrganisation(trx, account.organisation_id),
    administratorsOf(trx, account.organisation_id),
  ]);
  const toSupport = administrators.length === 0;
  const recipients = toSupport
    ? [{ id: null, key: 'support', name: config.supportName, email: config.supportEmail }]
    : administrators.map((a) => ({ id: a.id, key: a.id, name: a.name, email: a.email }));
  const day = dateIn(attempt.now, tz);
  const laName = organisation?.name ?? '';
  for (const r of recipients) {
    await enqueueEmail(trx, mailDomain(config), {
      dedupKey: `security-alert:${account.id}:${day}:${r.key}`,
      template: 'security-alert',
      to: { address: r.email, name: r.name },
      organisationId: account.organisation_id,
      accountId: r.id,
      now: attempt.now,
      mentions: [account.id],
      content: securityAlertEmail({
        platformName: config.platformName,
        recipientName: r.name,
        laName,
        username: account.username,
        name: fullName(account),
        when: formatDateTime(attempt.now, tz),
        address: attempt.ctx.ip,
        archivedOn: account.archived_at ? formatDate(account.archived_at, tz) : 'an earlier date',
        alertsUrl: `${config.baseUrl}/admin/security-alerts${toSupport && organisation?.la_code ? `?la=${organisation.la_code}` : ''}`,
        refusedByLa: account.status !== 'archived',
      }),
    });
  }
}

/** The Security alerts page: an LA's alerts, newest first, for holders of manage_users or nexus_admin. */
/** What became of the attempt, in the list's words. */
function alertOutcome(action: string, details: Record<string, unknown>): string {
  if (action === 'sign-in.la-account-refused')
    return details.archived === true
      ? 'Refused by the LA’s sign-in: the account was archived at once'
      : 'Refused by the LA’s sign-in';
  if (action === 'sign-in.archived-account')
    return details.laAccount === true
      ? 'Accepted by the LA’s sign-in: shown the archived-account message'
      : details.passkey === true
        ? 'Correct passkey: shown the archived-account message'
        : 'Correct password: shown the archived-account message';
  return 'Wrong password';
}

export function createSecurityAlertService({ db, clock }: ServiceDeps) {
  return {
    async list(actor: Actor, options: { la?: unknown; page: number }) {
      const organisation = await organisationInScope(db, actor, options.la, 'security-alerts.view');
      const [total, rows] = await Promise.all([
        countSecurityAlerts(db, organisation.id),
        securityAlertsPage(db, organisation.id, ALERTS_PAGE_SIZE, (options.page - 1) * ALERTS_PAGE_SIZE),
      ]);
      return {
        organisation,
        total,
        now: clock.now(),
        pageCount: Math.max(1, Math.ceil(total / ALERTS_PAGE_SIZE)),
        alerts: rows.map((r) => ({
          id: r.id,
          occurredAt: r.occurred_at,
          ip: r.ip,
          username: typeof r.details.username === 'string' ? r.details.username : null,
          accountId: r.account_id,
          name: fullNameIfKnown(r),
          outcome: alertOutcome(r.action, r.details),
          redacted: 'redacted' in r.details,
        })),
      };
    },
  };
}
