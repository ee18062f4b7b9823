import type { FastifyInstance, FastifyReply } from 'fastify';
import { ArchivedAccountError, AuthenticationError, ThrottledError, ValidationError } from '../../../domain/errors.ts';
import { returnPath } from '../../../domain/return-path.ts';
import { requestContext } from '../../../http/request-context.ts';
import { setSessionCookie } from '../../../http/session.ts';
import type { Services } from '../../../services/index.ts';
import { archivedPage } from './archived-page.ts';
import { errorView } from '../../plugins/views.ts';
import { formBody } from '../form.ts';

/** The sign-in page's "Or sign in with a passkey" block (R65): undefined when no LA allows it. */
export async function passkeySignInContext(services: Services) {
  const offer = await services.signIn.passkeySignInOffer();
  return offer ? { optionsJson: JSON.stringify(offer.options), sealed: offer.sealed } : undefined;
}

/** POST /sign-in/passkey: a passkey alone, where the person's LA allows it (R65). */
export function passkeySignInRoutes(services: Services) {
  return async (app: FastifyInstance) => {
    async function refused(reply: FastifyReply, status: number, message: string, returnTo: string | undefined) {
      reply.code(status);
      return reply.page('sign-in/sign-in.njk', {
        pageTitle: 'Sign in',
        values: {},
        returnTo,
        sessionIdleMinutes: services.config.sessionIdleMinutes,
        passkeySignIn: await passkeySignInContext(services),
        errors: errorView({ passkey: message }),
      });
    }

    app.post('/sign-in/passkey', async (request, reply) => {
      const body = formBody(request.body);
      const returnTo = returnPath(body.returnTo);
      try {
        const token = await services.signIn.signInWithPasskey(body.challenge, body.response, requestContext(request));
        setSessionCookie(reply, services, token);
        return reply.redirect(returnTo ?? '/', 303);
      } catch (error) {
        if (error instanceof ArchivedAccountError) return archivedPage(reply, error);
        if (error instanceof ThrottledError) {
          reply.header('retry-after', String(Math.ceil(error.retryAfterSeconds)));
          return refused(reply, 429, error.message, returnTo);
        }
        if (error instanceof ValidationError) return refused(reply, 400, Object.values(error.fields)[0]!, returnTo);
        if (error instanceof AuthenticationError) return refused(reply, 401, error.message, returnTo);
        throw error;
      }
    });
  };
}
