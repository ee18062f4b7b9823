import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ValidationError } from '../../../domain/errors.ts';
import { TOPICS, topicName } from '../../../domain/topics.ts';
import type { Services } from '../../../services/index.ts';
import { requestContext } from '../../../http/request-context.ts';
import { requireSignIn, signedIn } from '../../plugins/require-sign-in.ts';
import { errorView } from '../../plugins/views.ts';
import { formList } from '../form.ts';

/** My Account > Communications (R25): the account holder's own topic subscriptions. */
export function myCommunicationsRoutes(services: Services) {
  return async (app: FastifyInstance) => {
    app.addHook('preHandler', requireSignIn);

    async function page(
      request: FastifyRequest,
      reply: FastifyReply,
      selected?: string[],
      extra: Record<string, unknown> = {},
    ) {
      const mine = selected ?? (await services.communications.mine(signedIn(request).actor));
      return reply.page('my-account/communications.njk', {
        pageTitle: 'Communications – My account',
        topics: TOPICS.map((t) => ({
          code: t.code,
          name: topicName(t.code, services.config.topicNames),
          recommended: t.recommended,
          subscribed: mine.includes(t.code),
        })),
        ...extra,
      });
    }

    app.get('/my-account/communications', async (request, reply) => page(request, reply));

    app.post('/my-account/communications', async (request, reply) => {
      const topics = formList(request.body, 'topics').slice(0, 20);
      try {
        await services.communications.setMine(signedIn(request).actor, topics, requestContext(request));
        reply.flash('Your communication preferences have been saved.');
        return reply.redirect('/my-account/communications', 303);
      } catch (error) {
        if (!(error instanceof ValidationError)) throw error;
        reply.code(400);
        return page(request, reply, topics, { errors: errorView(error.fields) });
      }
    });
  };
}
