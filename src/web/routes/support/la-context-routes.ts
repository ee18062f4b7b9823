import type { FastifyInstance } from 'fastify';
import { returnPath } from '../../../domain/return-path.ts';
import type { Services } from '../../../services/index.ts';
import { requireSignIn, signedIn } from '../../plugins/require-sign-in.ts';
import { queryOf } from '../form.ts';

/**
 * Change the Local Authority central support works in, from any page (issue 13, item 3). The form
 * goes back to the page it came from with `?la=`: the choice is made where every choice of LA is
 * made (src/web/plugins/la-context.ts), and works without JavaScript.
 */
export function laContextRoutes(services: Services) {
  return async (app: FastifyInstance) => {
    app.addHook('preHandler', requireSignIn);

    app.get('/support/la-context', async (request, reply) => {
      const { actor } = signedIn(request);
      const choices = await services.laContext.choices(actor);
      const back = returnPath(queryOf(request).returnTo);
      // Back to the page itself, never to a form's result: its path without the query.
      const action = back && back !== '/support/la-context' ? back.split('?')[0]! : '/';
      const current = request.laContext?.laCode ?? '';
      return reply.page('support/la-context.njk', {
        pageTitle: 'Choose a Local Authority',
        action,
        backLink: action,
        items: [
          { value: '', text: `None: ${signedIn(request).organisation.name}`, selected: current === '' },
          ...choices.map((o) => ({
            value: o.la_code,
            text: `${o.name} (${o.la_code})`,
            selected: o.la_code === current,
          })),
        ],
      });
    });
  };
}
