import type { ArchiveReason } from '../../data/database.ts';
import { clearTwoFactor } from '../../data/queries/account-queries.ts';
import { deletePasskeysOf } from '../../data/queries/passkey-queries.ts';
import { deleteLaAccountLink } from '../../data/queries/la-sign-in-queries.ts';
import type { Actor } from '../../domain/access.ts';
import { RuleError } from '../../domain/errors.ts';
import { deletionDueAt, scheduledRun } from '../../domain/lifecycle.ts';
import { fullName } from '../../domain/names.ts';
import { enqueueEmail } from '../../mail/enqueue.ts';
import { twoFactorResetEmail } from '../../mail/templates/account-emails.ts';
import { audit, who } from '../audit.ts';
import { endSessionsOfAccount } from '../sign-in/end-sessions.ts';
import { formatDateTime, mailDomain, type ServiceDeps } from '../deps.ts';
import type { RequestContext } from '../request-context.ts';
import {
  accountFor,
  archiveInTransaction,
  assertNotLastAdministrator,
  restoreInTransaction,
} from './account-operations.ts';
import { deleteInTransaction } from './erasure.ts';

/** Archive, restore, delete and reset two-factor authentication from the pages (R28–R32). */
export function createUserStatusService(deps: ServiceDeps) {
  const { db, clock, config } = deps;

  return {
    /** The run of the nightly job that would delete an account archived by hand now (the one schedule). */
    deletionDateIfArchivedNow: () =>
      scheduledRun(deletionDueAt('manual', clock.now(), config), deps.schedule.runs, clock.now()),

    /**
     * `reason` is 'manual' from the pages and 'provisioning' when an identity system deprovisions
     * (SCIM): a provisioning archive keeps the automatic retention (R33), since nobody chose it.
     */
    async archive(actor: Actor, id: string, ctx: RequestContext, reason: ArchiveReason = 'manual'): Promise<Date> {
      const account = await accountFor(deps, actor, 'users.archive', id);
      if (account.status !== 'active') throw new RuleError('This account is already archived');
      const now = clock.now();
      return db.transaction().execute(async (trx) => {
        await assertNotLastAdministrator(trx, actor, account, 'archive this account');
        const due = await archiveInTransaction(trx, account, reason, who(actor), ctx, now, config);
        // What people are told: the run of the nightly job that will delete it (the one schedule).
        return scheduledRun(due, deps.schedule.runs, now);
      });
    },

    async restore(actor: Actor, id: string, ctx: RequestContext): Promise<void> {
      const account = await accountFor(deps, actor, 'users.restore', id);
      const now = clock.now();
      await db.transaction().execute(async (trx) => restoreInTransaction(deps, trx, actor, account, ctx, now));
    },

    async delete(actor: Actor, id: string, ctx: RequestContext): Promise<{ username: string }> {
      const account = await accountFor(deps, actor, 'users.delete', id);
      const now = clock.now();
      await db.transaction().execute(async (trx) => {
        await assertNotLastAdministrator(trx, actor, account, 'delete this account');
        await deleteInTransaction(trx, account, who(actor), ctx, now, config);
      });
      return { username: account.username };
    },

    async resetTwoFactor(actor: Actor, id: string, ctx: RequestContext): Promise<void> {
      const account = await accountFor(deps, actor, 'users.reset-two-factor', id);
      if (!account.totp_secret) throw new RuleError('This account has no two-factor authentication to reset');
      const now = clock.now();
      await db.transaction().execute(async (trx) => {
        await clearTwoFactor(trx, account.id, now);
        // Passkeys are a second factor too (R65): a reset leaves none behind.
        const passkeysRemoved = await deletePasskeysOf(trx, account.id);
        // And the link to the LA account: the next sign-in through the LA links afresh (a new sub).
        await deleteLaAccountLink(trx, account.id);
        const sessions = await endSessionsOfAccount(trx, account.id, now);
        await audit(trx, who(actor), ctx, now, {
          action: 'two-factor.reset',
          organisationId: account.organisation_id,
          subjectAccountId: account.id,
          details: { sessionsEnded: sessions, passkeysRemoved },
        });
        await enqueueEmail(trx, mailDomain(config), {
          dedupKey: `two-factor-reset:${account.id}:${now.toISOString()}`,
          template: 'two-factor-reset',
          to: { address: account.email, name: fullName(account) },
          organisationId: account.organisation_id,
          accountId: account.id,
          content: twoFactorResetEmail({
            platformName: config.platformName,
            firstName: account.first_name,
            username: account.username,
            by: actor.label,
            when: formatDateTime(now, config.lifecycle.timezone),
            passkeysRemoved,
          }),
          now,
          // It names who reset it: deleting them erases that from this email (R31).
          mentions: actor.kind === 'account' ? [actor.accountId] : [],
        });
      });
    },
  };
}
