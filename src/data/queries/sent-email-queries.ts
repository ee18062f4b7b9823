import { sql } from 'kysely';
import type { Executor, OutboxRow, OutboxStatus } from '../database.ts';

/** Reading the outbox back: central support's Sent email list (R44) and the digest command's report. Writing it: outbox-queries.ts. */

/** A page of emails, newest first, with how many there are in all (the two queries run side by side). */
export async function sentEmailPage(db: Executor, options: { status?: OutboxStatus; limit: number; offset: number }) {
  let query = db.selectFrom('email_outbox');
  if (options.status) query = query.where('status', '=', options.status);
  const [count, rows] = await Promise.all([
    query.select(sql<string>`count(*)`.as('n')).executeTakeFirstOrThrow(),
    query
      .select([
        'id',
        'created_at',
        'sent_at',
        'to_address',
        'to_name',
        'subject',
        'template',
        'status',
        'attempts',
        'last_error',
      ])
      .orderBy('created_at', 'desc')
      .orderBy('id')
      .limit(options.limit)
      .offset(options.offset)
      .execute(),
  ]);
  return { total: Number(count.n), rows };
}

export async function findSentEmail(db: Executor, id: string): Promise<OutboxRow | undefined> {
  return db.selectFrom('email_outbox').selectAll().where('id', '=', id).executeTakeFirst();
}

/** The Admin Digests of an ISO week (their deduplication key ends with it), by LA and address. */
export async function digestEmailsOfWeek(db: Executor, week: string) {
  return db
    .selectFrom('email_outbox')
    .select(['to_name', 'to_address', 'organisation_id', 'created_at', 'status'])
    .where('template', '=', 'admin-digest')
    .where('dedup_key', 'like', `%:${week}`)
    .orderBy('organisation_id')
    .orderBy('to_address')
    .execute();
}
