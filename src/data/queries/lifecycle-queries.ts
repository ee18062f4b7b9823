import { sql } from 'kysely';
import type { Account, Executor } from '../database.ts';
import { inChunks } from './chunks.ts';
import { fullName } from '../../domain/names.ts';
import { ADMINISTRATOR_PRIVILEGE } from '../../domain/privileges.ts';

/** The automatic lifecycle's reads and writes (R33–R41). The rules are in domain/lifecycle.ts. */

/** R34 in SQL: the latest of last sign-in, creation and restore (GREATEST skips nulls). */
export const INACTIVE_SINCE = sql<Date>`GREATEST(accounts.last_sign_in_at, accounts.created_at, accounts.restored_at)`;

/** Warned (R35): active, with a warning sent in the current inactivity period. */
export const WARNED = sql<boolean>`(accounts.status = 'active' AND EXISTS (
  SELECT 1 FROM lifecycle_notices WHERE lifecycle_notices.account_id = accounts.id
    AND lifecycle_notices.period_start = ${INACTIVE_SINCE} AND lifecycle_notices.stage LIKE 'warning\_%'))`;

export interface NoticeRow {
  account_id: string;
  period_start: Date;
  stage: string;
  sent_at: Date;
}

/**
 * The accounts the job must look at tonight: those whose next event has fallen due, and those
 * whose next-event time is not known yet (new rows, after a migration or a policy change).
 * Both are index scans, so a night with nothing due costs two index probes.
 */
export async function dueAccountIds(
  db: Executor,
  now: Date,
  options: { organisationId?: number; everyAccount?: boolean } = {},
): Promise<string[]> {
  let query = db.selectFrom('accounts').select('id');
  // Every account: when the stored times were computed under another policy and are not yet redone.
  if (!options.everyAccount)
    query = query.where((eb) => eb.or([eb('lifecycle_due_at', '<=', now), eb('lifecycle_due_at', 'is', null)]));
  if (options.organisationId !== undefined) query = query.where('organisation_id', '=', options.organisationId);
  return (await query.orderBy('id').execute()).map((r) => r.id);
}

/** Accounts by id, locked for the caller's transaction, in id order (the order every bulk change locks in). */
export async function lockAccounts(trx: Executor, ids: readonly string[]): Promise<Account[]> {
  if (ids.length === 0) return [];
  return trx.selectFrom('accounts').selectAll().where('id', 'in', ids).orderBy('id').forUpdate().execute();
}

export async function accountsById(db: Executor, ids: readonly string[]): Promise<Account[]> {
  if (ids.length === 0) return [];
  return db.selectFrom('accounts').selectAll().where('id', 'in', ids).orderBy('id').execute();
}

/** Every notice of these accounts; the caller keeps those of each account's current period. */
export async function noticesOf(db: Executor, ids: readonly string[]): Promise<NoticeRow[]> {
  if (ids.length === 0) return [];
  return noticesQuery(db, ids).execute();
}

/** noticesOf's statement (bench:admin-list compiles it as the bare SQL of a page with warned rows). */
export function noticesQuery(db: Executor, ids: readonly string[]) {
  return db
    .selectFrom('lifecycle_notices')
    .select(['account_id', 'period_start', 'stage', 'sent_at'])
    .where('account_id', 'in', ids);
}

/** Which of these accounts hold manage_users (R38). */
export async function holdersOfManageUsers(db: Executor, ids: readonly string[]): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const rows = await db
    .selectFrom('account_privileges')
    .select('account_id')
    .where('account_id', 'in', ids)
    .where('privilege', '=', ADMINISTRATOR_PRIVILEGE)
    .execute();
  return new Set(rows.map((r) => r.account_id));
}

export interface Administrator {
  id: string;
  organisationId: number;
  name: string;
  email: string;
}

/** The active holders of manage_users of several LAs, in one query (R35 contacts, R38 alerts). */
export async function administratorsOfOrganisations(
  db: Executor,
  organisationIds: readonly number[],
): Promise<Administrator[]> {
  if (organisationIds.length === 0) return [];
  const rows = await db
    .selectFrom('accounts')
    .innerJoin('account_privileges', 'account_privileges.account_id', 'accounts.id')
    .select(['accounts.id', 'accounts.organisation_id', 'accounts.first_name', 'accounts.last_name', 'accounts.email'])
    .where('accounts.organisation_id', 'in', organisationIds)
    .where('accounts.status', '=', 'active')
    .where('account_privileges.privilege', '=', ADMINISTRATOR_PRIVILEGE)
    .orderBy('accounts.last_name')
    .orderBy('accounts.first_name')
    .orderBy('accounts.id')
    .execute();
  return rows.map((r) => ({
    id: r.id,
    organisationId: r.organisation_id,
    name: fullName(r),
    email: r.email,
  }));
}

export async function organisationsById(
  db: Executor,
  ids: readonly number[],
): Promise<Map<number, { name: string; laCode: string | null }>> {
  if (ids.length === 0) return new Map();
  const rows = await db.selectFrom('organisations').select(['id', 'name', 'la_code']).where('id', 'in', ids).execute();
  return new Map(rows.map((r) => [r.id, { name: r.name, laCode: r.la_code }]));
}

/** Records notices; returns "account:stage" of those newly written (a second claim of a stage in a period writes nothing). */
export async function insertNotices(trx: Executor, notices: readonly NoticeRow[]): Promise<Set<string>> {
  const written = new Set<string>();
  await inChunks(notices, async (chunk) => {
    const rows = await trx
      .insertInto('lifecycle_notices')
      .values(chunk)
      .onConflict((oc) => oc.doNothing())
      .returning(['account_id', 'stage'])
      .execute();
    for (const r of rows) written.add(`${r.account_id}:${r.stage}`);
  });
  return written;
}

/** Stores next-event times (NULL: not known), a chunk a statement. */
export async function setLifecycleDue(
  trx: Executor,
  values: readonly { id: string; dueAt: Date | null }[],
): Promise<void> {
  await inChunks(values, async (chunk) => {
    const rows = sql.join(chunk.map((v) => sql`(${v.id}::uuid, ${v.dueAt}::timestamptz)`));
    await sql`UPDATE accounts SET lifecycle_due_at = v.due_at FROM (VALUES ${rows}) AS v(id, due_at) WHERE accounts.id = v.id`.execute(
      trx,
    );
  });
}

export async function storedPolicyFingerprint(db: Executor): Promise<string | undefined> {
  return (await db.selectFrom('lifecycle_policy').select('fingerprint').executeTakeFirst())?.fingerprint;
}

/**
 * A new policy makes every stored next-event time stale: they are forgotten (the job computes them
 * again, once) and the new policy recorded, in one transaction.
 */
export async function adoptPolicy(trx: Executor, fingerprint: string, now: Date): Promise<void> {
  await trx.updateTable('accounts').set({ lifecycle_due_at: null }).where('lifecycle_due_at', 'is not', null).execute();
  await trx
    .insertInto('lifecycle_policy')
    .values({ id: true, fingerprint, changed_at: now })
    .onConflict((oc) => oc.column('id').doUpdateSet({ fingerprint, changed_at: now }))
    .execute();
}

/** R52 evidence past its retention: security alerts older than `before` about accounts deleted since, not yet erased. */
export async function expiredAlertEvidence(db: Executor, before: Date) {
  return db
    .selectFrom('audit_events')
    .select(['id', 'subject_account_id', sql<string | null>`details->>'username'`.as('username')])
    .where('security_alert', '=', true)
    .where('occurred_at', '<', before)
    .where(sql<boolean>`NOT (details ? 'redacted')`)
    .where((eb) =>
      eb.not(
        eb.exists(
          eb
            .selectFrom('accounts')
            .select(sql`1`.as('one'))
            .whereRef('accounts.id', '=', 'audit_events.subject_account_id'),
        ),
      ),
    )
    .execute();
}

export async function redactAlertEvidence(db: Executor, ids: readonly string[]): Promise<void> {
  if (ids.length === 0) return;
  await db
    .updateTable('audit_events')
    .set({ details: JSON.stringify({ redacted: 'account deleted; alert evidence past its retention' }), ip: null })
    .where('id', 'in', ids)
    .execute();
}

/** Is any security alert about this account still kept as evidence? */
export async function alertEvidenceRemains(db: Executor, accountId: string): Promise<boolean> {
  const row = await db
    .selectFrom('audit_events')
    .select('id')
    .where('subject_account_id', '=', accountId)
    .where('security_alert', '=', true)
    .where(sql<boolean>`NOT (details ? 'redacted')`)
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
}
