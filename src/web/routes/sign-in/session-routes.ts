import type { FastifyInstance } from 'fastify';
import { returnPath } from '../../../domain/return-path.ts';
import type { Services } from '../../../services/index.ts';
import { requireSignIn, signedIn } from '../../plugins/require-sign-in.ts';
import { formBody } from '../form.ts';

/**
 * "Stay signed in" of the session timeout warning (issue 13, item 4). The warning's script posts
 * here and reads when the session now ends; the same form posted without it comes back to the page.
 */
export function sessionRoutes(services: Services) {
  return async (app: FastifyInstance) => {
    app.addHook('preHandler', requireSignIn);

    app.post('/session/keep-alive', async (request, reply) => {
      const ends = await services.sessions.keepAlive(signedIn(request));
      if ((request.headers.accept ?? '').includes('application/json')) {
        const seconds = Math.max(0, Math.floor((ends.getTime() - services.clock.now().getTime()) / 1000));
        return reply.header('cache-control', 'no-store').send({ expiresInSeconds: seconds });
      }
      return reply.redirect(returnPath(formBody(request.body).returnTo) ?? '/', 303);
    });
  };
}
