import type { Account, Executor } from '../../data/database.ts';
import { findOrganisation } from '../../data/queries/account-queries.ts';
import {
  deleteAccountRow,
  deleteEmailsTo,
  deleteMentionsOf,
  deleteThrottleOf,
  detailChangesOf,
  emailsMentioning,
  peopleRemainingIn,
  redactAuditEventsOf,
  redactLabelsOf,
  redactReviewItemsAbout,
  rewriteEmail,
} from '../../data/queries/erasure-queries.ts';
import {
  alertEvidenceRemains,
  expiredAlertEvidence,
  redactAlertEvidence,
} from '../../data/queries/lifecycle-queries.ts';
import { addMonthsUtc } from '../../domain/calendar.ts';
import { eraseFromText, personalValues, type Erasure } from '../../domain/erasure.ts';
import { audit, type Who } from '../audit.ts';
import { endProviderSessions } from '../sign-in/end-sessions.ts';
import type { RequestContext } from '../request-context.ts';

/** R31 and R52: what deleting an account erases, and when a security alert's evidence goes. */

/**
 * Erases `erasure` from every email that names `accountId` (its mentions), leaving what belongs to
 * the people who remain in each email; then forgets the mentions.
 */
async function eraseFromEmailsNaming(
  trx: Executor,
  accountId: string,
  erasure: (keep: string[]) => Erasure,
): Promise<void> {
  const emails = await emailsMentioning(trx, accountId);
  const remaining = await peopleRemainingIn(
    trx,
    emails.map((e) => e.id),
    accountId,
  );
  const history = await detailChangesOf(
    trx,
    [...remaining.values()].flat().map((p) => p.id),
  );
  for (const email of emails) {
    const keep = (remaining.get(email.id) ?? []).flatMap((p) => {
      const held = personalValues(p, history.get(p.id));
      return [...held.values, ...held.exact];
    });
    const erase = (text: string) => eraseFromText(text, erasure(keep));
    const content = { subject: erase(email.subject), text: erase(email.text_body), html: erase(email.html_body) };
    if (content.subject !== email.subject || content.text !== email.text_body || content.html !== email.html_body)
      await rewriteEmail(trx, email.id, content);
  }
  await deleteMentionsOf(trx, accountId);
}

/**
 * R52 evidence past its retention: security alerts about accounts deleted since lose the username
 * and address they kept, and so do the emails written after the deletion that quote them (a
 * digest's security section). An account's emails wait until none of its alerts is still evidence.
 * Returns how many alerts were erased.
 */
export async function eraseExpiredAlertEvidence(
  trx: Executor,
  now: Date,
  settings: { securityAlertRetentionMonths: number },
): Promise<number> {
  const expired = await expiredAlertEvidence(trx, addMonthsUtc(now, -settings.securityAlertRetentionMonths));
  if (expired.length === 0) return 0;
  await redactAlertEvidence(
    trx,
    expired.map((e) => e.id),
  );
  const usernames = new Map<string, Set<string>>();
  for (const e of expired) {
    if (e.subject_account_id && e.username)
      usernames.set(e.subject_account_id, (usernames.get(e.subject_account_id) ?? new Set()).add(e.username));
  }
  for (const [accountId, names] of usernames) {
    if (await alertEvidenceRemains(trx, accountId)) continue;
    await eraseFromEmailsNaming(trx, accountId, (keep) => ({ values: [], exact: [...names], keep }));
  }
  return expired.length;
}

/**
 * Erases an account (R31): its row and everything hanging off it, the emails sent to it, its
 * name, username and address in other people's emails that name it, and its personal data in
 * the audit log; then writes the tombstone. The username is free again at once. Security alerts
 * raised in the last `securityAlertRetentionMonths` keep the username and address (R52 evidence).
 */
export async function deleteInTransaction(
  trx: Executor,
  account: Account,
  by: Who,
  ctx: RequestContext,
  now: Date,
  settings: { securityAlertRetentionMonths: number },
  extra: Record<string, unknown> = {},
): Promise<void> {
  await deleteEmailsTo(trx, account.id);
  // Names, addresses and phone numbers as they are and as they were (an email sent before a change
  // of name names the old one), erased where the emails name the person; those of the people who
  // remain in each email stay. Read before the audit events that hold them are redacted.
  const erasure = personalValues(account, (await detailChangesOf(trx, [account.id])).get(account.id));
  await eraseFromEmailsNaming(trx, account.id, (keep) => ({ ...erasure, keep }));
  await redactAuditEventsOf(trx, account, addMonthsUtc(now, -settings.securityAlertRetentionMonths));
  await redactLabelsOf(trx, account);
  await redactReviewItemsAbout(trx, account.id);
  await deleteThrottleOf(trx, account.username);
  // Its Nexus sessions go with its row; the provider's state names it without a foreign key, so it goes here (R31).
  await endProviderSessions(trx, account.id, now);
  await deleteAccountRow(trx, account.id);
  const organisation = await findOrganisation(trx, account.organisation_id);
  await audit(trx, by, ctx, now, {
    action: 'account.deleted',
    organisationId: account.organisation_id,
    subjectAccountId: account.id,
    details: {
      tombstone: {
        accountId: account.id,
        laCode: organisation?.la_code ?? null,
        deletedAt: now.toISOString(),
        deletedBy: by.label,
      },
      ...extra,
    },
  });
}
