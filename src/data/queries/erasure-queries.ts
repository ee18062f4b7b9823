import { sql } from 'kysely';
import type { Executor } from '../database.ts';
import { inChunks } from './chunks.ts';

/**
 * R31: what deleting an account erases beyond its own row (which takes its privileges, schools,
 * groups, sessions, tokens, notices and preferences with it by foreign key). Every statement is
 * keyed by the account's id, or by its exact username where only the username was recorded — never
 * by a substring, so no other account's rows are touched.
 */

const REDACTED = JSON.stringify({ redacted: 'account deleted' });

/** Emails addressed to the account. */
export async function deleteEmailsTo(trx: Executor, accountId: string): Promise<void> {
  await trx.deleteFrom('email_outbox').where('account_id', '=', accountId).execute();
}

/** Other people's emails that name the account (alerts about it, digests listing it). */
export async function emailsMentioning(trx: Executor, accountId: string) {
  return trx
    .selectFrom('email_outbox')
    .innerJoin('email_mentions', 'email_mentions.email_id', 'email_outbox.id')
    .select(['email_outbox.id', 'email_outbox.subject', 'email_outbox.text_body', 'email_outbox.html_body'])
    .where('email_mentions.account_id', '=', accountId)
    .orderBy('email_outbox.id')
    .execute();
}

export interface NamedPerson {
  id: string;
  username: string;
  first_name: string;
  last_name: string;
  email: string;
  phone: string | null;
}

const PERSON = [
  'accounts.id',
  'accounts.username',
  'accounts.first_name',
  'accounts.last_name',
  'accounts.email',
  'accounts.phone',
] as const;

/**
 * The people who remain in each of these emails: its recipient and the other accounts it names
 * (whose names must survive the erasure of the deleted one's). By email id.
 */
export async function peopleRemainingIn(
  trx: Executor,
  emailIds: readonly string[],
  deletedId: string,
): Promise<Map<string, NamedPerson[]>> {
  const byEmail = new Map<string, NamedPerson[]>();
  const add = (rows: (NamedPerson & { email_id: string })[]) => {
    for (const { email_id, ...person } of rows) byEmail.set(email_id, [...(byEmail.get(email_id) ?? []), person]);
  };
  await inChunks(emailIds, async (chunk) => {
    add(
      await trx
        .selectFrom('email_mentions')
        .innerJoin('accounts', 'accounts.id', 'email_mentions.account_id')
        .select(['email_mentions.email_id', ...PERSON])
        .where('email_mentions.email_id', 'in', chunk)
        .where('email_mentions.account_id', '<>', deletedId)
        .execute(),
    );
    add(
      await trx
        .selectFrom('email_outbox')
        .innerJoin('accounts', 'accounts.id', 'email_outbox.account_id')
        .select(['email_outbox.id as email_id', ...PERSON])
        .where('email_outbox.id', 'in', chunk)
        .where('email_outbox.account_id', '<>', deletedId)
        .execute(),
    );
  });
  return byEmail;
}

/**
 * The changes of details of these accounts, from their `account.details-changed` events
 * (`changes: { field: [before, after] }`), newest first, by account: the names, addresses and
 * phone numbers they held before (an email sent before a change names a person by the old ones).
 */
export async function detailChangesOf(
  trx: Executor,
  accountIds: readonly string[],
): Promise<Map<string, Record<string, unknown[] | undefined>[]>> {
  const byAccount = new Map<string, Record<string, unknown[] | undefined>[]>();
  await inChunks([...new Set(accountIds)], async (chunk) => {
    const rows = await trx
      .selectFrom('audit_events')
      .select(['subject_account_id', 'details'])
      .where('subject_account_id', 'in', chunk)
      .where('action', '=', 'account.details-changed')
      .orderBy('occurred_at', 'desc')
      .orderBy('id', 'desc')
      .execute();
    for (const r of rows) {
      const id = r.subject_account_id!;
      byAccount.set(id, [
        ...(byAccount.get(id) ?? []),
        (r.details.changes ?? {}) as Record<string, unknown[] | undefined>,
      ]);
    }
  });
  return byAccount;
}

export async function rewriteEmail(
  trx: Executor,
  id: string,
  content: { subject: string; text: string; html: string },
): Promise<void> {
  await trx
    .updateTable('email_outbox')
    .set({ subject: content.subject, text_body: content.text, html_body: content.html })
    .where('id', '=', id)
    .execute();
}

export async function deleteMentionsOf(trx: Executor, accountId: string): Promise<void> {
  await trx.deleteFrom('email_mentions').where('account_id', '=', accountId).execute();
}

/**
 * Audit events keep what happened but lose who the person was: events about the account, and
 * attempts made under its username before anyone was signed in, lose their details; events it
 * did, and attempts under its username, name it "deleted account". Security alerts newer than
 * `evidenceSince` keep their details (R52: the username and address are the evidence an
 * Information Governance team needs) — the username in the details only, so that the nightly
 * erasure of evidence past its retention, which clears the details and the address, leaves
 * nothing behind.
 *
 * An attempt is known by its action (sign-in and password reset are the only steps taken under a
 * typed username) and its subject (this account, or none for a name nobody held): a username that
 * happens to be a label the service writes itself (`system`, `unknown`) must not take the
 * lifecycle job's events about other accounts with it.
 */
export async function redactAuditEventsOf(
  trx: Executor,
  account: { id: string; username: string },
  evidenceSince: Date,
): Promise<void> {
  const evidence = sql<boolean>`(security_alert AND occurred_at >= ${evidenceSince})`;
  const underItsName = sql<boolean>`(lower(actor_label) = lower(${account.username})
    AND (action LIKE 'sign-in.%' OR action LIKE 'password-reset.%')
    AND (subject_account_id = ${account.id} OR subject_account_id IS NULL))`;
  await trx
    .updateTable('audit_events')
    .set({ details: REDACTED })
    .where('subject_account_id', '=', account.id)
    .where(sql<boolean>`NOT ${evidence}`)
    .execute();
  await trx
    .updateTable('audit_events')
    .set({ details: REDACTED, actor_label: 'deleted account' })
    .where('actor_account_id', 'is', null)
    .where(underItsName)
    .where(sql<boolean>`NOT ${evidence}`)
    .execute();
  await trx
    .updateTable('audit_events')
    .set({ actor_label: 'deleted account' })
    .where('actor_account_id', 'is', null)
    .where(underItsName)
    .where(evidence)
    .execute();
  await trx
    .updateTable('audit_events')
    .set({ actor_label: 'deleted account' })
    .where('actor_account_id', '=', account.id)
    .execute();
}

/** Names kept as labels where the account acted: reviews it opened, finished or decided, school imports it ran. */
export async function redactLabelsOf(trx: Executor, account: { id: string; username: string }): Promise<void> {
  await trx
    .updateTable('access_reviews')
    .set({ opened_by_label: 'deleted account' })
    .where('opened_by', '=', account.id)
    .execute();
  await trx
    .updateTable('access_reviews')
    .set({ finished_by_label: 'deleted account' })
    .where('finished_by', '=', account.id)
    .execute();
  await trx
    .updateTable('access_review_items')
    .set({ decided_by_label: 'deleted account' })
    .where('decided_by', '=', account.id)
    .execute();
  await trx
    .updateTable('school_imports')
    .set({ imported_by: 'deleted account' })
    .where(sql<boolean>`lower(imported_by) = lower(${account.username})`)
    .execute();
}

/** Review items keep their decisions as evidence, but not who the person was. */
export async function redactReviewItemsAbout(trx: Executor, accountId: string): Promise<void> {
  await trx
    .updateTable('access_review_items')
    .set({
      account_label: 'Deleted account',
      snapshot: sql`snapshot || ${JSON.stringify({ username: '', name: 'Deleted account', email: '', schools: [] })}::jsonb`,
    })
    .where('account_id', '=', accountId)
    .execute();
}

/** Throttle counters keyed by the username (sign-in and password reset). */
export async function deleteThrottleOf(trx: Executor, username: string): Promise<void> {
  const name = username.toLowerCase();
  await trx
    .deleteFrom('sign_in_throttle')
    .where('key', 'in', [`account:${name}`, `reset-account:${name}`])
    .execute();
}

export async function deleteAccountRow(trx: Executor, accountId: string): Promise<void> {
  await trx.deleteFrom('accounts').where('id', '=', accountId).execute();
}
