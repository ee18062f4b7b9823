import type { Config } from '../../config.ts';
import type { Account, TokenPurpose } from '../../data/database.ts';
import type { EmailRequest } from '../../mail/enqueue.ts';
import { invitationEmail, passwordResetEmail } from '../../mail/templates/account-emails.ts';
import type { AuditRecord } from '../audit.ts';
import { formatDate, formatDateTime } from '../deps.ts';
import { hashToken, newToken } from './secrets.ts';
import { fullName } from '../../domain/names.ts';

export type LinkAccount = Pick<Account, 'id' | 'organisation_id' | 'username' | 'first_name' | 'last_name' | 'email'>;

/**
 * What issuing a single-use link writes — its token row, its email and its audit record — built
 * without I/O, so that one link (Create user) and ten thousand (CSV import) are the same message.
 */
export function linkParts(
  config: Config,
  p: {
    account: LinkAccount;
    purpose: TokenPurpose;
    now: Date;
    laName: string;
    inviter: { id: string; name: string } | null;
    /** An invitation sent again: its email says so, and its audit event is `invitation.resent`. */
    resent?: boolean;
  },
) {
  const { account, purpose, now } = p;
  const token = newToken();
  const tokenHash = hashToken(token);
  const expiresAt =
    purpose === 'invitation'
      ? new Date(now.getTime() + config.invitationDays * 86_400_000)
      : new Date(now.getTime() + config.passwordResetMinutes * 60_000);
  const link = `${config.baseUrl}/${purpose === 'invitation' ? 'invitation' : 'reset-password'}/${token}`;
  const content =
    purpose === 'invitation'
      ? invitationEmail({
          platformName: config.platformName,
          firstName: account.first_name,
          laName: p.laName,
          username: account.username,
          link,
          expires: formatDate(expiresAt, config.lifecycle.timezone),
          invitedBy: p.inviter?.name ?? null,
          resent: p.resent ?? false,
        })
      : passwordResetEmail({
          platformName: config.platformName,
          firstName: account.first_name,
          username: account.username,
          link,
          expires: formatDateTime(expiresAt, config.lifecycle.timezone),
        });
  const email: EmailRequest = {
    dedupKey: `${purpose}:${tokenHash}`,
    template: purpose,
    to: { address: account.email, name: fullName(account) },
    organisationId: account.organisation_id,
    accountId: account.id,
    content,
    now,
    // The invitation names who invited: deleting them erases their name from it (R31).
    ...(p.inviter ? { mentions: [p.inviter.id] } : {}),
  };
  const audit: AuditRecord = {
    action:
      purpose === 'invitation' ? (p.resent ? 'invitation.resent' : 'invitation.sent') : 'password-reset.requested',
    organisationId: account.organisation_id,
    subjectAccountId: account.id,
    details: { expiresAt: expiresAt.toISOString() },
  };
  return { token, tokenRow: { tokenHash, accountId: account.id, purpose, now, expiresAt }, email, audit };
}
