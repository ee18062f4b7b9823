import { sql } from 'kysely';
import type { Db, Executor, OutboxRow } from '../database.ts';
import { inChunks } from './chunks.ts';
import { claimDueRows } from './outbox-claim.ts';

export interface NewEmail {
  id: string;
  dedupKey: string;
  messageId: string;
  template: string;
  organisationId: number | null;
  accountId: string | null;
  toAddress: string;
  toName: string | null;
  subject: string;
  textBody: string;
  htmlBody: string;
  createdAt: Date;
}

function emailRow(email: NewEmail) {
  return {
    id: email.id,
    dedup_key: email.dedupKey,
    message_id: email.messageId,
    template: email.template,
    organisation_id: email.organisationId,
    account_id: email.accountId,
    to_address: email.toAddress,
    to_name: email.toName,
    subject: email.subject,
    text_body: email.textBody,
    html_body: email.htmlBody,
    next_attempt_at: email.createdAt,
    created_at: email.createdAt,
  };
}

/** Inserts unless an email with the same deduplication key exists; returns whether it was new. */
export async function insertEmail(db: Executor, email: NewEmail): Promise<boolean> {
  const inserted = await db
    .insertInto('email_outbox')
    .values(emailRow(email))
    .onConflict((oc) => oc.column('dedup_key').doNothing())
    .returning('id')
    .executeTakeFirst();
  return inserted !== undefined;
}

/**
 * The same as `insertEmail`, but written only if `email.accountId` names an account: one
 * statement that selects the row from `accounts`, run the same way whether or not it does (the
 * forgotten-password request, R53; see `replaceTokenIfAccountExists`). Returns whether it wrote.
 */
export async function insertEmailIfAccountExists(
  db: Executor,
  email: NewEmail & { accountId: string },
): Promise<boolean> {
  const row = emailRow(email);
  const inserted = await db
    .insertInto('email_outbox')
    .columns([
      'id',
      'dedup_key',
      'message_id',
      'template',
      'organisation_id',
      'account_id',
      'to_address',
      'to_name',
      'subject',
      'text_body',
      'html_body',
      'next_attempt_at',
      'created_at',
    ])
    .expression(
      db
        .selectFrom('accounts')
        .where('accounts.id', '=', email.accountId)
        .select((eb) => [
          eb.cast<string>(eb.val(row.id), 'uuid').as('id'),
          eb.cast<string>(eb.val(row.dedup_key), 'text').as('dedup_key'),
          eb.cast<string>(eb.val(row.message_id), 'text').as('message_id'),
          eb.cast<string>(eb.val(row.template), 'text').as('template'),
          eb.cast<number | null>(eb.val(row.organisation_id), 'integer').as('organisation_id'),
          'accounts.id as account_id',
          eb.cast<string>(eb.val(row.to_address), 'text').as('to_address'),
          eb.cast<string | null>(eb.val(row.to_name), 'text').as('to_name'),
          eb.cast<string>(eb.val(row.subject), 'text').as('subject'),
          eb.cast<string>(eb.val(row.text_body), 'text').as('text_body'),
          eb.cast<string>(eb.val(row.html_body), 'text').as('html_body'),
          eb.cast<Date>(eb.val(row.next_attempt_at), 'timestamptz').as('next_attempt_at'),
          eb.cast<Date>(eb.val(row.created_at), 'timestamptz').as('created_at'),
        ]),
    )
    .onConflict((oc) => oc.column('dedup_key').doNothing())
    .returning('id')
    .executeTakeFirst();
  return inserted !== undefined;
}

/** Many emails, a chunk a statement; duplicates of a deduplication key are skipped as above. Returns the ids written. */
export async function insertEmails(db: Executor, emails: readonly NewEmail[]): Promise<string[]> {
  const written: string[] = [];
  await inChunks(emails, async (chunk) => {
    const rows = await db
      .insertInto('email_outbox')
      .values(chunk.map(emailRow))
      .onConflict((oc) => oc.column('dedup_key').doNothing())
      .returning('id')
      .execute();
    written.push(...rows.map((r) => r.id));
  });
  return written;
}

/** Records which accounts the emails name (R31: a deletion erases the person from exactly these). */
export async function insertMentions(
  db: Executor,
  mentions: readonly { emailId: string; accountId: string }[],
): Promise<void> {
  await inChunks(mentions, (chunk) =>
    db
      .insertInto('email_mentions')
      .values(chunk.map((m) => ({ email_id: m.emailId, account_id: m.accountId })))
      .onConflict((oc) => oc.doNothing())
      .execute(),
  );
}

/** Claims due emails with a lease (claimDueRows). */
export function claimDueEmails(db: Executor, now: Date, leaseUntil: Date, limit: number): Promise<OutboxRow[]> {
  return claimDueRows<OutboxRow>(db, 'email_outbox', now, leaseUntil, limit);
}

/**
 * Hands claimed rows back unsent: the lease cleared and the claim's attempt not counted, so they
 * are due again at once. Only while this worker still holds them (the lease it was given).
 */
export async function releaseEmails(
  db: Executor,
  rows: readonly Pick<OutboxRow, 'id' | 'lease_until'>[],
): Promise<void> {
  // One statement per claim (its rows share the lease).
  const byLease = new Map<number, { leaseUntil: Date; ids: string[] }>();
  for (const row of rows) {
    if (!row.lease_until) continue;
    const group = byLease.get(row.lease_until.getTime()) ?? { leaseUntil: row.lease_until, ids: [] };
    group.ids.push(row.id);
    byLease.set(row.lease_until.getTime(), group);
  }
  for (const { leaseUntil, ids } of byLease.values()) {
    await db
      .updateTable('email_outbox')
      .set({ lease_until: null, attempts: (eb) => eb('attempts', '-', 1) })
      .where('id', 'in', ids)
      .where('status', '=', 'pending')
      .where('lease_until', '=', leaseUntil)
      .execute();
  }
}

/** Many emails delivered at once: one statement, one commit. */
export async function markEmailsSent(db: Executor, ids: readonly string[], now: Date): Promise<void> {
  if (ids.length === 0) return;
  await db
    .updateTable('email_outbox')
    .set({ status: 'sent', sent_at: now, lease_until: null, last_error: null })
    .where('id', 'in', ids)
    .execute();
}

export async function markEmailRetry(db: Executor, id: string, nextAttemptAt: Date, error: string): Promise<void> {
  await db
    .updateTable('email_outbox')
    .set({ next_attempt_at: nextAttemptAt, lease_until: null, last_error: error.slice(0, 1000) })
    .where('id', '=', id)
    .execute();
}

export async function markEmailFailed(db: Executor, id: string, error: string): Promise<void> {
  await db
    .updateTable('email_outbox')
    .set({ status: 'failed', lease_until: null, last_error: error.slice(0, 1000) })
    .where('id', '=', id)
    .execute();
}

/**
 * Reclaims the outbox's dead row versions (every email leaves two: claimed, then sent). The embedded
 * database has no autovacuum: without this its table and the due-index only grow, and each claim
 * scans the dead entries of every email ever sent (bench:mail). Not inside a transaction.
 */
export async function vacuumOutbox(db: Db): Promise<void> {
  await sql`VACUUM email_outbox`.execute(db);
}
