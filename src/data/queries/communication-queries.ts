import { sql } from 'kysely';
import type { Executor } from '../database.ts';

/** Topic communications (R25, R46): subscriptions, messages and who receives them. An account's own topics: user-detail-queries.ts. */

export async function subscribe(db: Executor, accountId: string, topics: readonly string[], now: Date): Promise<void> {
  if (topics.length === 0) return;
  await db
    .insertInto('communication_subscriptions')
    .values(topics.map((topic) => ({ account_id: accountId, topic, subscribed_at: now })))
    .execute();
}

export async function unsubscribe(db: Executor, accountId: string, topics: readonly string[]): Promise<void> {
  if (topics.length === 0) return;
  await db
    .deleteFrom('communication_subscriptions')
    .where('account_id', '=', accountId)
    .where('topic', 'in', topics)
    .execute();
}

/**
 * Subscriptions of active accounts: who receives topic messages. An archived account receives
 * none, whatever its preferences (R46); the counts and the send both start here.
 */
function activeSubscriptions(db: Executor) {
  return db
    .selectFrom('communication_subscriptions')
    .innerJoin('accounts', 'accounts.id', 'communication_subscriptions.account_id')
    .where('accounts.status', '=', 'active');
}

/** Active subscribers per topic, for the send form. */
export async function activeSubscriberCounts(db: Executor): Promise<{ topic: string; n: string }[]> {
  return activeSubscriptions(db)
    .select(['communication_subscriptions.topic', sql<string>`count(*)`.as('n')])
    .groupBy('communication_subscriptions.topic')
    .execute();
}

/** The topic's active subscribers, in id order: the preview counts them, the send writes to them. */
export async function activeSubscribersOf(db: Executor, topic: string) {
  return activeSubscriptions(db)
    .select(['accounts.id', 'accounts.first_name', 'accounts.last_name', 'accounts.email', 'accounts.organisation_id'])
    .where('communication_subscriptions.topic', '=', topic)
    .orderBy('accounts.id')
    .execute();
}

export async function insertTopicMessage(
  db: Executor,
  message: { id: string; topic: string; subject: string; body: string; now: Date; createdBy: string | null },
): Promise<void> {
  await db
    .insertInto('topic_messages')
    .values({
      id: message.id,
      topic: message.topic,
      subject: message.subject,
      body: message.body,
      created_at: message.now,
      created_by: message.createdBy,
    })
    .execute();
}

/** R46: an archived account receives no communications, including topic messages not yet delivered. */
export async function deletePendingTopicMessagesTo(db: Executor, accountId: string): Promise<void> {
  await db
    .deleteFrom('email_outbox')
    .where('account_id', '=', accountId)
    .where('template', '=', 'topic-message')
    .where('status', '=', 'pending')
    .execute();
}
