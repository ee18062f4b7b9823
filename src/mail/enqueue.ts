import { randomUUID } from 'node:crypto';
import type { Executor } from '../data/database.ts';
import {
  insertEmail,
  insertEmailIfAccountExists,
  insertEmails,
  insertMentions,
  type NewEmail,
} from '../data/queries/outbox-queries.ts';
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
  /**
   * Accounts the email names other than its recipient (the subject of an alert, the people in a
   * digest): deleting one of them erases it from this email (R31).
   */
  mentions?: readonly string[];
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
  const email = outboxEmail(mailDomain, request);
  const isNew = await insertEmail(db, email);
  if (isNew && request.mentions?.length)
    await insertMentions(
      db,
      request.mentions.map((accountId) => ({ emailId: email.id, accountId })),
    );
  return isNew;
}

/**
 * `enqueueEmail` for a recipient that may not exist: written only if `request.accountId` names an
 * account, by one statement that runs the same way either way (forgotten password, R53).
 */
export async function enqueueEmailIfAccountExists(
  db: Executor,
  mailDomain: string,
  request: EmailRequest & { accountId: string },
): Promise<boolean> {
  const email = outboxEmail(mailDomain, request);
  const isNew = await insertEmailIfAccountExists(db, { ...email, accountId: request.accountId });
  if (isNew && request.mentions?.length)
    await insertMentions(
      db,
      request.mentions.map((accountId) => ({ emailId: email.id, accountId })),
    );
  return isNew;
}

/** Many emails in the caller's transaction, in chunks; returns the deduplication keys newly written. */
export async function enqueueEmails(
  db: Executor,
  mailDomain: string,
  requests: readonly EmailRequest[],
): Promise<Set<string>> {
  const emails = requests.map((r) => outboxEmail(mailDomain, r));
  const written = new Set(await insertEmails(db, emails));
  const mentions = emails.flatMap((e, i) =>
    written.has(e.id) ? (requests[i]!.mentions ?? []).map((accountId) => ({ emailId: e.id, accountId })) : [],
  );
  await insertMentions(db, mentions);
  return new Set(emails.filter((e) => written.has(e.id)).map((e) => e.dedupKey));
}
