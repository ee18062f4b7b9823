import { sql } from 'kysely';
import type { Account, ArchiveReason, Executor } from '../data/database.ts';
import { findOrganisation } from '../data/queries/account-queries.ts';
import { deleteSessionsOfAccount } from '../data/queries/session-queries.ts';
import type { Actor } from '../domain/access.ts';
import { addDays, addMonthsUtc } from '../domain/calendar.ts';
import { RuleError } from '../domain/errors.ts';
import { enqueueEmail } from '../mail/enqueue.ts';
import { twoFactorResetEmail } from '../mail/templates/account-emails.ts';
import { audit, who, type Who } from './audit.ts';
import { formatDateTime, mailDomain, type ServiceDeps } from './deps.ts';
import type { RequestContext } from './request-context.ts';
import { accountFor } from './user-admin-service.ts';
import { assertNotLastAdministrator } from './user-changes-service.ts';

/** When an archived account is deleted (R33): 30 days after a manual archive, 18 months otherwise. */
export function deletionDueAt(reason: ArchiveReason, archivedAt: Date, retention: { manualRetentionDays: number; automaticRetentionMonths: number }): Date {
  return reason === 'manual' ? addDays(archivedAt, retention.manualRetentionDays) : addMonthsUtc(archivedAt, retention.automaticRetentionMonths);
}

/**
 * Archives in the caller's transaction (R30): locked at once — every session ends — and kept
 * restorable until its deletion date. Shared by the pages, the lifecycle job and provisioning.
 */
export async function archiveInTransaction(trx: Executor, account: Account, reason: ArchiveReason, by: Who, ctx: RequestContext, now: Date,
  retention: { manualRetentionDays: number; automaticRetentionMonths: number }, extra: Record<string, unknown> = {}): Promise<Date> {
  const due = deletionDueAt(reason, now, retention);
  const updated = await trx.updateTable('accounts')
    .set({ status: 'archived', archived_at: now, archived_by: by.accountId, archive_reason: reason, deletion_due_at: due, updated_at: now, version: sql`version + 1` })
    .where('id', '=', account.id).where('status', '=', 'active')
    .executeTakeFirst();
  if (Number(updated.numUpdatedRows) !== 1) throw new RuleError('This account is already archived');
  const sessions = await deleteSessionsOfAccount(trx, account.id);
  // R46: an archived account receives no communications, including any not yet delivered.
  await trx.deleteFrom('email_outbox').where('account_id', '=', account.id).where('template', '=', 'topic-message').where('status', '=', 'pending').execute();
  await audit(trx, by, ctx, now, {
    action: 'account.archived', organisationId: account.organisation_id, subjectAccountId: account.id,
    details: { reason, status: ['active', 'archived'], deletionDueAt: due.toISOString(), sessionsEnded: sessions, ...extra },
  });
  return due;
}

/**
 * Erases an account (R31): its row and everything hanging off it, its emails, and personal data
 * in audit details; then writes the tombstone. The username is free again at once.
 */
export async function deleteInTransaction(trx: Executor, account: Account, by: Who, ctx: RequestContext, now: Date, extra: Record<string, unknown> = {}): Promise<void> {
  const personal = [account.username, account.email, `${account.first_name} ${account.last_name}`, account.phone]
    .filter((v): v is string => !!v && v.length >= 3);
  await trx.deleteFrom('email_outbox').where('account_id', '=', account.id).execute();
  for (const value of personal) {
    await trx.deleteFrom('email_outbox').where(sql<boolean>`strpos(lower(to_address), lower(${value})) > 0`).execute();
  }
  // Audit history stays as a record of what happened, but without the person's data.
  await trx.updateTable('audit_events').set({ details: JSON.stringify({ redacted: 'account deleted' }) })
    .where('subject_account_id', '=', account.id).execute();
  await trx.updateTable('audit_events').set({ actor_label: 'deleted account' })
    .where((eb) => eb.or([eb('actor_account_id', '=', account.id), eb(sql`lower(actor_label)`, '=', account.username.toLowerCase())]))
    .execute();
  for (const value of personal) {
    await trx.updateTable('audit_events').set({ details: JSON.stringify({ redacted: 'account deleted' }) })
      .where(sql<boolean>`strpos(lower(details::text), lower(${value})) > 0`).execute();
  }
  await trx.deleteFrom('sign_in_throttle').where('key', '=', `account:${account.username.toLowerCase()}`).execute();
  // Reviews keep their decisions as evidence, but not who the person was.
  await trx.updateTable('access_review_items')
    .set({ account_label: 'Deleted account', snapshot: sql`snapshot || ${JSON.stringify({ username: '', name: 'Deleted account', email: '', schools: [] })}::jsonb` })
    .where('account_id', '=', account.id).execute();
  await trx.deleteFrom('accounts').where('id', '=', account.id).execute();
  const organisation = await findOrganisation(trx, account.organisation_id);
  await audit(trx, by, ctx, now, {
    action: 'account.deleted', organisationId: account.organisation_id, subjectAccountId: account.id,
    details: { tombstone: { accountId: account.id, laCode: organisation?.la_code ?? null, deletedAt: now.toISOString(), deletedBy: by.label }, ...extra },
  });
}

/** Archive, restore, delete and reset two-factor authentication from the pages (R28–R32). */
export function createUserStatusService(deps: ServiceDeps) {
  const { db, clock, config } = deps;

  return {
    deletionDateIfArchivedNow: () => deletionDueAt('manual', clock.now(), config),

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
        return archiveInTransaction(trx, account, reason, who(actor), ctx, now, config);
      });
    },

    async restore(actor: Actor, id: string, ctx: RequestContext): Promise<void> {
      const account = await accountFor(deps, actor, 'users.restore', id);
      const now = clock.now();
      await db.transaction().execute(async (trx) => {
        // Type, privileges, schools, groups and preferences were never touched by the archive, so
        // they come back exactly; the inactivity clock restarts now (R32, R34).
        const updated = await trx.updateTable('accounts')
          .set({ status: 'active', archived_at: null, archived_by: null, archive_reason: null, deletion_due_at: null, restored_at: now, updated_at: now, version: sql`version + 1` })
          .where('id', '=', account.id).where('status', '=', 'archived')
          .executeTakeFirst();
        if (Number(updated.numUpdatedRows) !== 1) throw new RuleError('This account is not archived');
        await audit(trx, who(actor), ctx, now, {
          action: 'account.restored', organisationId: account.organisation_id, subjectAccountId: account.id,
          details: { status: ['archived', 'active'], archiveReason: account.archive_reason },
        });
      });
    },

    async delete(actor: Actor, id: string, ctx: RequestContext): Promise<{ username: string }> {
      const account = await accountFor(deps, actor, 'users.delete', id);
      const now = clock.now();
      await db.transaction().execute(async (trx) => {
        await assertNotLastAdministrator(trx, actor, account, 'delete this account');
        await deleteInTransaction(trx, account, who(actor), ctx, now);
      });
      return { username: account.username };
    },

    async resetTwoFactor(actor: Actor, id: string, ctx: RequestContext): Promise<void> {
      const account = await accountFor(deps, actor, 'users.reset-two-factor', id);
      if (!account.totp_secret) throw new RuleError('This account has no two-factor authentication to reset');
      const now = clock.now();
      await db.transaction().execute(async (trx) => {
        await trx.updateTable('accounts').set({ totp_secret: null, totp_enrolled_at: null, totp_last_step: null, updated_at: now }).where('id', '=', account.id).execute();
        const sessions = await deleteSessionsOfAccount(trx, account.id);
        await audit(trx, who(actor), ctx, now, {
          action: 'two-factor.reset', organisationId: account.organisation_id, subjectAccountId: account.id, details: { sessionsEnded: sessions },
        });
        await enqueueEmail(trx, mailDomain(config), {
          dedupKey: `two-factor-reset:${account.id}:${now.toISOString()}`,
          template: 'two-factor-reset',
          to: { address: account.email, name: `${account.first_name} ${account.last_name}` },
          organisationId: account.organisation_id,
          accountId: account.id,
          content: twoFactorResetEmail({ platformName: config.platformName, firstName: account.first_name, username: account.username, by: actor.label, when: formatDateTime(now) }),
          now,
        });
      });
    },
  };
}

export type UserStatusService = ReturnType<typeof createUserStatusService>;
