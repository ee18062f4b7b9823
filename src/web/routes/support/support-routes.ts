import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { RuleError, ValidationError } from '../../../domain/errors.ts';
import { TOPICS, topicName } from '../../../domain/topics.ts';
import type { Services } from '../../../services/index.ts';
import { requestContext } from '../../../http/request-context.ts';
import { requireSignIn, signedIn } from '../../plugins/require-sign-in.ts';
import { errorView } from '../../plugins/views.ts';
import { formBody, text, type FormBody } from '../form.ts';

/** Central support's pages: Sent email (R44) and topic communications (R25, R46); School imports: school-import-routes.ts. */
export function supportRoutes(services: Services) {
  return async (app: FastifyInstance) => {
    app.addHook('preHandler', requireSignIn);

    app.get('/support/sent-email', async (request, reply) => {
      const query = formBody(request.query);
      const result = await services.support.sentEmail(signedIn(request).actor, {
        page: query.page,
        status: query.status,
      });
      const href = (page: number) =>
        `/support/sent-email?${new URLSearchParams({ ...(result.status ? { status: result.status } : {}), page: String(page) })}`;
      return reply.page('support/sent-email.njk', {
        pageTitle: 'Sent email – Support',
        result,
        embedded: !services.config.smtpUrl,
        pagination: {
          previous: result.page > 1 ? { href: href(result.page - 1) } : undefined,
          next: result.page < result.pageCount ? { href: href(result.page + 1) } : undefined,
        },
      });
    });

    app.get<{ Params: { id: string } }>('/support/sent-email/:id', async (request, reply) => {
      const email = await services.support.email(signedIn(request).actor, request.params.id, requestContext(request));
      return reply.page('support/email.njk', { pageTitle: `${email.subject} – Sent email – Support`, email });
    });

    async function communicationsPage(
      request: FastifyRequest,
      reply: FastifyReply,
      form: Record<string, string> = {},
      extra: Record<string, unknown> = {},
    ) {
      const counts = await services.support.subscriberCounts(signedIn(request).actor);
      return reply.page('support/communications.njk', {
        pageTitle: 'Send a communication – Support',
        topics: TOPICS.map((t) => ({
          code: t.code,
          name: topicName(t.code, services.config.topicNames),
          subscribers: counts[t.code] ?? 0,
        })),
        form,
        ...extra,
      });
    }

    app.get('/support/communications', async (request, reply) => communicationsPage(request, reply));

    /** What the sender typed, to show back in the form or carry through the preview. */
    const typed = (body: FormBody) => ({
      topic: text(body, 'topic', 50),
      subject: text(body, 'subject', 300),
      body: text(body, 'body', 20_500),
    });

    async function previewPage(
      request: FastifyRequest,
      reply: FastifyReply,
      body: FormBody,
      extra: Record<string, unknown> = {},
    ) {
      const preview = await services.support.previewTopicMessage(signedIn(request).actor, body);
      return reply.page('support/communication-preview.njk', {
        pageTitle: 'Check the message before sending – Support',
        preview,
        // The checked text, as the send will check it again: what is shown is what is sent.
        form: { topic: preview.topic, subject: preview.subject, body: preview.body },
        paragraphs: preview.example ? preview.example.email.text.split(/\n{2,}/) : [],
        ...extra,
      });
    }

    // Step 1: the message is checked and shown as it will be received, with the number of recipients.
    app.post('/support/communications', async (request, reply) => {
      const body = formBody(request.body);
      try {
        return await previewPage(request, reply, body);
      } catch (error) {
        if (!(error instanceof ValidationError)) throw error;
        reply.code(400);
        return communicationsPage(request, reply, typed(body), {
          errors: errorView(error.fields, ['topic', 'subject', 'body']),
        });
      }
    });

    // Back from the preview to the form, with the message as it was.
    app.post('/support/communications/edit', async (request, reply) =>
      communicationsPage(request, reply, typed(formBody(request.body))),
    );

    // Step 2: sent only as confirmed, and never to more people than the preview counted.
    app.post('/support/communications/send', async (request, reply) => {
      const body = formBody(request.body);
      try {
        const { recipients } = await services.support.sendTopicMessage(
          signedIn(request).actor,
          { ...body, confirmedRecipients: body.recipients },
          requestContext(request),
        );
        reply.flash(
          `Message written for ${recipients} ${recipients === 1 ? 'subscriber' : 'subscribers'}. It will be delivered in the next few minutes.`,
        );
        return reply.redirect('/support/sent-email', 303);
      } catch (error) {
        if (error instanceof ValidationError) {
          reply.code(400);
          return communicationsPage(request, reply, typed(body), {
            errors: errorView(error.fields, ['topic', 'subject', 'body', 'recipients']),
          });
        }
        if (error instanceof RuleError) {
          reply.code(409);
          return previewPage(request, reply, body, { errors: errorView({ recipients: error.message }) });
        }
        throw error;
      }
    });
  };
}
