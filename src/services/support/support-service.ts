import { randomUUID } from 'node:crypto';
import {
  activeSubscriberCounts,
  activeSubscribersOf,
  insertTopicMessage,
} from '../../data/queries/communication-queries.ts';
import { findSentEmail, sentEmailPage } from '../../data/queries/sent-email-queries.ts';
import type { Actor } from '../../domain/access.ts';
import { NotFoundError, ValidationError } from '../../domain/errors.ts';
import { isTopic, topicName } from '../../domain/topics.ts';
import { enqueueEmail } from '../../mail/enqueue.ts';
import { renderEmail } from '../../mail/templates/render.ts';
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

/** Central support's tools: the Sent email list (R44) and topic communications (R25, R46). */
export function createSupportService({ db, clock, config }: ServiceDeps) {
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

    /** Writes a message to a topic; it goes to the topic's active subscribers only (R46). */
    async sendTopicMessage(
      actor: Actor,
      input: { topic?: string; subject?: string; body?: string },
      ctx: RequestContext,
    ): Promise<{ recipients: number }> {
      authorise(actor, 'support.topic-messages');
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
      if (Object.keys(errors).length > 0) throw new ValidationError(errors);
      const now = clock.now();
      const id = randomUUID();
      return db.transaction().execute(async (trx) => {
        await insertTopicMessage(trx, {
          id,
          topic,
          subject,
          body,
          now,
          createdBy: actor.kind === 'account' ? actor.accountId : null,
        });
        const subscribers = await activeSubscribersOf(trx, topic);
        const paragraphs = body.split(/\n{2,}/).map((p) => p.replace(/\n/g, ' '));
        for (const s of subscribers) {
          await enqueueEmail(trx, mailDomain(config), {
            dedupKey: `topic:${id}:${s.id}`,
            template: 'topic-message',
            to: { address: s.email, name: fullName(s) },
            organisationId: s.organisation_id,
            accountId: s.id,
            now,
            content: renderEmail(
              subject,
              `Dear ${s.first_name},`,
              [
                ...paragraphs,
                `You get this because you subscribed to "${topicName(topic as never, config.topicNames)}". Change what you receive on My account > Communications: ${config.baseUrl}/my-account/communications`,
              ],
              config.platformName,
            ),
          });
        }
        await audit(trx, who(actor), ctx, now, {
          action: 'communications.sent',
          organisationId: null,
          subjectAccountId: null,
          details: { topic, subject, recipients: subscribers.length, messageId: id },
        });
        return { recipients: subscribers.length };
      });
    },
  };
}
