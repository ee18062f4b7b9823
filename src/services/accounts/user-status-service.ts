import type { Account, ArchiveReason, Executor } from '../../data/database.ts';
import { clearTwoFactor, markArchived, markRestored } from '../../data/queries/account-queries.ts';
import { deletePendingTopicMessagesTo } from '../../data/queries/communication-queries.ts';
import { deleteSessionsOfAccount } from '../../data/queries/session-queries.ts';
import type { Actor } from '../../domain/access.ts';
import { RuleError } from '../../domain/errors.ts';
import { accessEndsAt, deletionDueAt, scheduledRun, type RetentionPolicy } from '../../domain/lifecycle.ts';
import { enqueueEmail } from '../../mail/enqueue.ts';
import { twoFactorResetEmail } from '../../mail/templates/account-emails.ts';
import { audit, who, type Who } from '../audit.ts';
import { formatDateTime, mailDomain, type ServiceDeps } from '../deps.ts';
import { revokeApiTokensOf } from '../../data/queries/api-token-queries.ts';
import { deleteInTransaction } from './erasure.ts';
import { refreshLifecycleDue } from '../lifecycle/schedule.ts';
import type { RequestContext } from '../request-context.ts';
import { accountFor } from './user-admin-service.ts';
import { assertNotLastAdministrator } from './user-changes-service.ts';
import { fullName } from '../../domain/names.ts';

/**
 * Archives in the caller's transaction (R30): locked at once — every session ends — and kept
 * restorable until its deletion date, which is also its next lifecycle event. Shared by the
 * pages, the lifecycle job, reviews and provisioning.
 */
export async function archiveInTransaction(
  trx: Executor,
  account: Account,
  reason: ArchiveReason,
  by: Who,
  ctx: RequestContext,
  now: Date,
  retention: RetentionPolicy,
  extra: Record<string, unknown> = {},
): Promise<Date> {
  const due = deletionDueAt(reason, now, retention);
  const archived = await markArchived(trx, account.id, { by: by.accountId, reason, deletionDueAt: due, now });
  if (!archived) throw new RuleError('This account is already archived');
  const sessions = await deleteSessionsOfAccount(trx, account.id);
  // Its API tokens end with it, for good: restoring the person does not revive a token nobody watched.
  const apiTokensRevoked = await revokeApiTokensOf(trx, account.id, by.accountId, now);
  // R46: an archived account receives no communications, including any not yet delivered.
  await deletePendingTopicMessagesTo(trx, account.id);
  await audit(trx, by, ctx, now, {
    action: 'account.archived',
    organisationId: account.organisation_id,
    subjectAccountId: account.id,
    details: {
      reason,
      status: ['active', 'archived'],
      deletionDueAt: due.toISOString(),
      sessionsEnded: sessions,
      ...(apiTokensRevoked > 0 ? { apiTokensRevoked } : {}),
      ...extra,
    },
  });
  return due;
}

/** Archive, restore, delete and reset two-factor authentication from the pages (R28–R32). */
/** Restores an archived account in the caller's transaction (R32). */
export async function restoreInTransaction(
  deps: Pick<ServiceDeps, 'schedule'>,
  trx: Executor,
  actor: Actor,
  account: Account,
  ctx: RequestContext,
  now: Date,
): Promise<void> {
  // Type, privileges, schools, groups and preferences were never touched by the archive, so
  // they come back exactly; the inactivity clock restarts now (R32, R34). An access end date
  // that has passed is cleared: kept, it would archive the account again that night (R40).
  const ended = accessEndsAt({ accessEndDate: account.access_end_date }, deps.schedule.policy);
  const clearEnd = ended !== null && ended <= now;
  const restored = await markRestored(trx, account.id, { now, clearAccessEndDate: clearEnd });
  if (!restored) throw new RuleError('This account is not archived');
  await refreshLifecycleDue(trx, deps.schedule, [account.id]);
  await audit(trx, who(actor), ctx, now, {
    action: 'account.restored',
    organisationId: account.organisation_id,
    subjectAccountId: account.id,
    details: {
      status: ['archived', 'active'],
      archiveReason: account.archive_reason,
      ...(clearEnd ? { accessEndDate: [account.access_end_date, null] } : {}),
    },
  });
}

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
        const sessions = await deleteSessionsOfAccount(trx, account.id);
        await audit(trx, who(actor), ctx, now, {
          action: 'two-factor.reset',
          organisationId: account.organisation_id,
          subjectAccountId: account.id,
          details: { sessionsEnded: sessions },
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
          }),
          now,
          // It names who reset it: deleting them erases that from this email (R31).
          mentions: actor.kind === 'account' ? [actor.accountId] : [],
        });
      });
    },
  };
}
