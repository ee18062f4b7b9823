import { sql } from 'kysely';
import type { Executor } from '../database.ts';
import { INACTIVE_SINCE } from './lifecycle-queries.ts';
import { OVERSIGHT_PRIVILEGES } from '../../domain/privileges.ts';

/** The weekly Admin Digest's reads (R47), one LA at a time. */

/**
 * Who gets a digest: active accounts of an LA holding manage_users or nexus_admin that have been
 * activated (a password set: an invitation never accepted is nobody's inbox yet).
 */
export async function digestRecipients(db: Executor) {
  return db
    .selectFrom('accounts')
    .innerJoin('organisations', 'organisations.id', 'accounts.organisation_id')
    .select([
      'accounts.id',
      'accounts.first_name',
      'accounts.last_name',
      'accounts.email',
      'accounts.organisation_id',
      'organisations.name as la_name',
    ])
    .where('accounts.status', '=', 'active')
    .where('organisations.kind', '=', 'la')
    .where('accounts.password_hash', 'is not', null)
    .where((eb) =>
      eb.exists(
        eb
          .selectFrom('account_privileges')
          .select(sql`1`.as('one'))
          .whereRef('account_privileges.account_id', '=', 'accounts.id')
          .where('account_privileges.privilege', 'in', OVERSIGHT_PRIVILEGES),
      ),
    )
    .orderBy('accounts.organisation_id')
    .orderBy('accounts.id')
    .execute();
}

/** Active accounts inactive since `before` or earlier (R34), longest inactive first. */
export async function inactiveAccounts(db: Executor, organisationId: number, before: Date) {
  return db
    .selectFrom('accounts')
    .select(['id', 'username', 'first_name', 'last_name', 'last_sign_in_at', 'created_at', 'restored_at'])
    .where('organisation_id', '=', organisationId)
    .where('status', '=', 'active')
    .where(INACTIVE_SINCE, '<=', before)
    .orderBy(INACTIVE_SINCE)
    .orderBy('username')
    .execute();
}

/** Active accounts warned since `since` in their current inactivity period. */
export async function accountsWarnedSince(db: Executor, organisationId: number, since: Date) {
  return db
    .selectFrom('accounts')
    .select(['id', 'username', 'first_name', 'last_name'])
    .where('organisation_id', '=', organisationId)
    .where('status', '=', 'active')
    .where((eb) =>
      eb.exists(
        eb
          .selectFrom('lifecycle_notices')
          .select(sql`1`.as('one'))
          .whereRef('lifecycle_notices.account_id', '=', 'accounts.id')
          .where('lifecycle_notices.period_start', '=', INACTIVE_SINCE)
          .where('lifecycle_notices.stage', 'like', 'warning\\_%')
          .where('lifecycle_notices.sent_at', '>', since),
      ),
    )
    .orderBy('username')
    .execute();
}

export async function accountsArchivedSince(db: Executor, organisationId: number, since: Date) {
  return db
    .selectFrom('accounts')
    .select(['id', 'username', 'first_name', 'last_name', 'archived_at', 'archive_reason'])
    .where('organisation_id', '=', organisationId)
    .where('status', '=', 'archived')
    .where('archived_at', '>', since)
    .orderBy('archived_at')
    .orderBy('username')
    .execute();
}

export async function accountsCreatedSince(db: Executor, organisationId: number, since: Date) {
  return db
    .selectFrom('accounts')
    .select(['id', 'username', 'first_name', 'last_name', 'created_at'])
    .where('organisation_id', '=', organisationId)
    .where('created_at', '>', since)
    .orderBy('created_at')
    .orderBy('username')
    .execute();
}

/**
 * Security alerts (R52) since `since`, with the account's name while it exists. The username is
 * the one recorded with the alert, which outlives the account.
 */
export async function securityAlertsSince(db: Executor, organisationId: number, since: Date) {
  return db
    .selectFrom('audit_events')
    .leftJoin('accounts', 'accounts.id', 'audit_events.subject_account_id')
    .select([
      'audit_events.id',
      'audit_events.occurred_at',
      'audit_events.action',
      'audit_events.details',
      'audit_events.ip',
      'audit_events.subject_account_id',
      'accounts.first_name',
      'accounts.last_name',
    ])
    .where('audit_events.organisation_id', '=', organisationId)
    .where('audit_events.security_alert', '=', true)
    .where('audit_events.occurred_at', '>', since)
    .orderBy('audit_events.occurred_at')
    .orderBy('audit_events.id')
    .execute();
}
