import { randomUUID } from 'node:crypto';
import {
  activeSubscriberCounts,
  activeSubscribersOf,
  insertTopicMessage,
} from '../../data/queries/communication-queries.ts';
import { findSentEmail, sentEmailPage } from '../../data/queries/sent-email-queries.ts';
import type { Actor } from '../../domain/access.ts';
import { NotFoundError, RuleError, ValidationError } from '../../domain/errors.ts';
import { isTopic, topicName, type TopicCode } from '../../domain/topics.ts';
import { enqueueEmail } from '../../mail/enqueue.ts';
import { topicMessageEmail } from '../../mail/templates/topic-emails.ts';
import { authorise } from '../../domain/access.ts';
import { audit, auditSupportRead, who } from '../audit.ts';
import { mailDomain, type ServiceDeps } from '../deps.ts';
import type { RequestContext } from '../request-context.ts';
import { fullName } from '../../domain/names.ts';

export const SENT_EMAIL_PAGE_SIZE = 50;

/** Links in emails carry single-use secrets; support staff see that a link was sent, not the link. */
export function redactLinks(text: string): string {
  return text.replace(/\/(invitation|reset-password)\/[A-Za-z0-9_-]+/g, '/$1/[link hidden]');
}

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;

export interface TopicMessageInput {
  topic?: string;
  subject?: string;
  body?: string;
}

/** A topic message as it is checked, previewed and sent. */
export interface TopicMessage {
  topic: TopicCode;
  subject: string;
  body: string;
}

/** More people would receive the message than the sender confirmed: nothing is sent. */
export class RecipientsGrewError extends RuleError {
  constructor(
    readonly confirmed: number,
    readonly recipients: number,
  ) {
    super(
      `Nothing was sent. ${recipients - confirmed} more ${recipients - confirmed === 1 ? 'person has' : 'people have'} subscribed since you checked the message: it would now go to ${recipients} people, not ${confirmed}. Check the number below and send again.`,
    );
  }
}

/** The subject and message as typed, checked; any problem is an error for its field. */
export function checkTopicMessage(input: TopicMessageInput): TopicMessage {
  const errors: Record<string, string> = {};
  const topic = input.topic ?? '';
  const subject = (input.subject ?? '').trim();
  const body = (input.body ?? '').replace(/\r\n/g, '\n').trim();
  if (!isTopic(topic)) errors.topic = 'Select a topic';
  if (!subject) errors.subject = 'Enter a subject';
  else if (subject.length > 150) errors.subject = 'Subject must be 150 characters or fewer';
  else if (CONTROL.test(subject) || /[\r\n]/.test(subject))
    errors.subject = 'Subject must be one line without control characters';
  if (!body) errors.body = 'Enter the message';
  else if (body.length > 20_000) errors.body = 'Message must be 20,000 characters or fewer';
  else if (CONTROL.test(body)) errors.body = 'Message must not include control characters';
  if (Object.keys(errors).length > 0 || !isTopic(topic)) throw new ValidationError(errors);
  return { topic, subject, body };
}

/** Central support's tools: the Sent email list (R44) and topic communications (R25, R46). */
export function createSupportService({ db, clock, config }: ServiceDeps) {
  /** One subscriber's email: the preview shows exactly this. */
  const emailTo = (message: TopicMessage, firstName: string) =>
    topicMessageEmail({
      platformName: config.platformName,
      baseUrl: config.baseUrl,
      topicName: topicName(message.topic, config.topicNames),
      firstName,
      subject: message.subject,
      body: message.body,
    });

  return {
    async sentEmail(actor: Actor, options: { page?: string; status?: string }) {
      authorise(actor, 'support.sent-email');
      const page =
        options.page && /^[0-9]{1,6}$/.test(options.page) && Number(options.page) > 0 ? Number(options.page) : 1;
      const status =
        options.status === 'pending' || options.status === 'sent' || options.status === 'failed'
          ? options.status
          : undefined;
      const { rows, total } = await sentEmailPage(db, {
        status,
        limit: SENT_EMAIL_PAGE_SIZE,
        offset: (page - 1) * SENT_EMAIL_PAGE_SIZE,
      });
      return { rows, total, page, status, pageCount: Math.max(1, Math.ceil(total / SENT_EMAIL_PAGE_SIZE)) };
    },

    /** One email, read by central support: audited in the recipient's LA (a person's email is LA data). */
    async email(actor: Actor, id: string, ctx: RequestContext) {
      authorise(actor, 'support.sent-email');
      if (!/^[0-9a-f-]{36}$/i.test(id)) throw new NotFoundError();
      const row = await findSentEmail(db, id);
      if (!row) throw new NotFoundError();
      if (row.organisation_id !== null) {
        await auditSupportRead(db, actor, ctx, clock.now(), {
          organisationId: row.organisation_id,
          what: 'Sent email',
          subjectAccountId: row.account_id,
          details: { subject: row.subject },
        });
      }
      return { ...row, text_body: redactLinks(row.text_body) };
    },

    /** Active subscribers per topic, for the send form. */
    async subscriberCounts(actor: Actor): Promise<Record<string, number>> {
      authorise(actor, 'support.topic-messages');
      const rows = await activeSubscriberCounts(db);
      return Object.fromEntries(rows.map((r) => [r.topic, Number(r.n)]));
    },

    /**
     * The message as it will be sent, before anything is written: the number of people it goes to
     * (counted by the very query the send uses) and the email as the first of them will receive it,
     * greeting included.
     */
    async previewTopicMessage(actor: Actor, input: TopicMessageInput) {
      authorise(actor, 'support.topic-messages');
      const message = checkTopicMessage(input);
      const recipients = await activeSubscribersOf(db, message.topic);
      const first = recipients[0];
      return {
        ...message,
        topicName: topicName(message.topic, config.topicNames),
        recipients: recipients.length,
        example: first
          ? { name: fullName(first), address: first.email, email: emailTo(message, first.first_name) }
          : null,
      };
    },

    /**
     * Writes a message to a topic, after its preview: it goes to the topic's active subscribers only
     * (R46), and never to more people than the sender confirmed (`confirmedRecipients`, the count the
     * preview showed): if more have subscribed since, nothing is sent and the sender is told.
     */
    async sendTopicMessage(
      actor: Actor,
      input: TopicMessageInput & { confirmedRecipients?: string },
      ctx: RequestContext,
    ): Promise<{ recipients: number }> {
      authorise(actor, 'support.topic-messages');
      const message = checkTopicMessage(input);
      const confirmed = /^[0-9]{1,9}$/.test(input.confirmedRecipients ?? '') ? Number(input.confirmedRecipients) : NaN;
      if (Number.isNaN(confirmed))
        throw new ValidationError({ recipients: 'Check the message and the number of recipients before sending it' });
      const now = clock.now();
      const id = randomUUID();
      return db.transaction().execute(async (trx) => {
        const subscribers = await activeSubscribersOf(trx, message.topic);
        if (subscribers.length > confirmed) throw new RecipientsGrewError(confirmed, subscribers.length);
        if (subscribers.length === 0)
          throw new RuleError('Nobody is subscribed to this topic any more, so nothing was sent.');
        await insertTopicMessage(trx, {
          id,
          ...message,
          now,
          createdBy: actor.kind === 'account' ? actor.accountId : null,
        });
        for (const s of subscribers) {
          await enqueueEmail(trx, mailDomain(config), {
            dedupKey: `topic:${id}:${s.id}`,
            template: 'topic-message',
            to: { address: s.email, name: fullName(s) },
            organisationId: s.organisation_id,
            accountId: s.id,
            now,
            content: emailTo(message, s.first_name),
          });
        }
        await audit(trx, who(actor), ctx, now, {
          action: 'communications.sent',
          organisationId: null,
          subjectAccountId: null,
          details: { topic: message.topic, subject: message.subject, recipients: subscribers.length, messageId: id },
        });
        return { recipients: subscribers.length };
      });
    },
  };
}
