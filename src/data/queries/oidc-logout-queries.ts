import { sql, type Selectable } from 'kysely';
import type { Executor, OidcLogoutOutboxTable } from '../database.ts';
import { claimDueRows } from './outbox-claim.ts';

/** Ending an account's provider sessions, and the back-channel logouts that tell its applications (migration 0014). */

export type LogoutRow = Selectable<OidcLogoutOutboxTable>;

/**
 * Deletes the account's provider sessions, expired ones included (an application may still hold
 * its own session), and returns them: the logouts are built from exactly the rows deleted, so a
 * session committed meanwhile by another transaction is either among them or left alone, never
 * deleted unannounced (a SELECT then a DELETE could do that under READ COMMITTED).
 */
export async function deleteProviderSessionsOf(db: Executor, accountId: string) {
  return db
    .deleteFrom('oidc_state')
    .where('model', '=', 'Session')
    .where('account_id', '=', accountId)
    .returning(['id', 'payload'])
    .execute();
}

/**
 * Deletes the account's other provider rows: interactions, grants and, through the grants, every
 * code and token issued under them (a refresh token is refused at once). Sessions are
 * deleteProviderSessionsOf's, which queues their logouts.
 */
export async function deleteProviderStateOf(db: Executor, accountId: string): Promise<number> {
  const result = await sql`
    DELETE FROM oidc_state
    WHERE model <> 'Session'
      AND (account_id = ${accountId}
        OR grant_id IN (SELECT id FROM oidc_state WHERE model = 'Grant' AND account_id = ${accountId}))`.execute(db);
  return Number(result.numAffectedRows ?? 0);
}

/** Of these applications, those that take back-channel logouts now. */
export async function applicationsWithLogoutUri(db: Executor, clientIds: readonly string[]): Promise<Set<string>> {
  if (clientIds.length === 0) return new Set();
  const rows = await db
    .selectFrom('oidc_clients')
    .select('client_id')
    .where('client_id', 'in', clientIds)
    .where('backchannel_logout_uri', 'is not', null)
    .where('disabled_at', 'is', null)
    .execute();
  return new Set(rows.map((r) => r.client_id));
}

/** One row per (session, application): a second end of the same session writes nothing. */
export async function insertLogouts(
  db: Executor,
  logouts: readonly { sessionId: string; clientId: string; accountId: string; sid: string | null }[],
  now: Date,
): Promise<number> {
  if (logouts.length === 0) return 0;
  const rows = await db
    .insertInto('oidc_logout_outbox')
    .values(
      logouts.map((l) => ({
        session_id: l.sessionId,
        client_id: l.clientId,
        account_id: l.accountId,
        sid: l.sid,
        next_attempt_at: now,
        created_at: now,
      })),
    )
    .onConflict((oc) => oc.constraint('oidc_logout_outbox_once').doNothing())
    .returning('id')
    .execute();
  return rows.length;
}

/** Claims due logouts with a lease, as the email outbox does (claimDueRows). */
export function claimDueLogouts(db: Executor, now: Date, leaseUntil: Date, limit: number): Promise<LogoutRow[]> {
  return claimDueRows<LogoutRow>(db, 'oidc_logout_outbox', now, leaseUntil, limit);
}

export async function finishLogout(
  db: Executor,
  id: string,
  outcome: { status: 'sent' | 'failed'; error?: string },
  now: Date,
): Promise<void> {
  await db
    .updateTable('oidc_logout_outbox')
    .set({
      status: outcome.status,
      finished_at: now,
      lease_until: null,
      last_error: outcome.error?.slice(0, 1000) ?? null,
    })
    .where('id', '=', id)
    .execute();
}

export async function retryLogout(db: Executor, id: string, nextAttemptAt: Date, error: string): Promise<void> {
  await db
    .updateTable('oidc_logout_outbox')
    .set({ next_attempt_at: nextAttemptAt, lease_until: null, last_error: error.slice(0, 1000) })
    .where('id', '=', id)
    .execute();
}

/** Forgets logouts finished before `before` (housekeeping; they name an account id and nothing else). */
export async function deleteFinishedLogouts(db: Executor, before: Date): Promise<number> {
  const result = await db.deleteFrom('oidc_logout_outbox').where('finished_at', '<', before).executeTakeFirst();
  return Number(result.numDeletedRows);
}
