import { randomUUID } from 'node:crypto';
import type { Executor } from '../data/database.ts';
import { insertEmail, insertEmails, type NewEmail } from '../data/queries/outbox-queries.ts';
import { headerSafe, type RenderedEmail } from './templates/render.ts';

export interface EmailRequest {
  /** Same key, same email: a second enqueue with this key does nothing (R43). */
  dedupKey: string;
  template: string;
  to: { address: string; name?: string | null };
  organisationId: number | null;
  accountId: string | null;
  content: RenderedEmail;
  now: Date;
}

function outboxEmail(mailDomain: string, request: EmailRequest): NewEmail {
  const id = randomUUID();
  return {
    id,
    dedupKey: request.dedupKey,
    messageId: `<${id}@${mailDomain}>`,
    template: request.template,
    organisationId: request.organisationId,
    accountId: request.accountId,
    toAddress: headerSafe(request.to.address),
    toName: request.to.name ? headerSafe(request.to.name) : null,
    subject: headerSafe(request.content.subject),
    textBody: request.content.text,
    htmlBody: request.content.html,
    createdAt: request.now,
  };
}

/** Writes an email to the outbox in the caller's transaction; the worker delivers it later. */
export async function enqueueEmail(db: Executor, mailDomain: string, request: EmailRequest): Promise<boolean> {
  return insertEmail(db, outboxEmail(mailDomain, request));
}

/** Many emails in the caller's transaction, in chunks (bulk import). */
export async function enqueueEmails(db: Executor, mailDomain: string, requests: readonly EmailRequest[]): Promise<void> {
  await insertEmails(db, requests.map((r) => outboxEmail(mailDomain, r)));
}
