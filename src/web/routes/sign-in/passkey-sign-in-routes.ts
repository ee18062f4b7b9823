import type { SignInCompleted } from '../../../services/sign-in/sign-in-service.ts';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ArchivedAccountError, AuthenticationError, ThrottledError, ValidationError } from '../../../domain/errors.ts';
import { finishingStepPath } from '../../../domain/interaction-path.ts';
import { requestContext } from '../../../http/request-context.ts';
import { setSessionCookie } from '../../../http/session.ts';
import type { Services } from '../../../services/index.ts';
import { archivedPage } from './archived-page.ts';
import { errorView } from '../../plugins/views.ts';
import { formBody } from '../form.ts';
import { finishingStep, type SignInWithinInteraction } from './within-interaction.ts';
import { letFormsLeadToApplication } from './form-action.ts';

/** The sign-in page's "Or sign in with a passkey" block (R65): undefined when no LA allows it. */
export async function passkeySignInContext(services: Services, returnTo: string | undefined) {
  const offer = await services.signIn.passkeySignInOffer();
  return offer
    ? {
        optionsJson: JSON.stringify(offer.options),
        sealed: offer.sealed,
        action: finishingStepPath('passkey', returnTo),
      }
    : undefined;
}

/**
 * POST /sign-in/passkey: a passkey alone, where the person's LA allows it (R65); signing in to an
 * application, POST /oidc/auth/:uid/interaction/passkey, which answers with the code.
 */
export function passkeySignInRoutes(services: Services, signInWithin: SignInWithinInteraction) {
  return async (app: FastifyInstance) => {
    letFormsLeadToApplication(app, services);

    async function refused(reply: FastifyReply, status: number, message: string, returnTo: string | undefined) {
      reply.code(status);
      return reply.page('sign-in/sign-in.njk', {
        pageTitle: 'Sign in',
        values: {},
        returnTo,
        sessionIdleMinutes: services.config.sessionIdleMinutes,
        passkeySignIn: await passkeySignInContext(services, returnTo),
        errors: errorView({ passkey: message }),
      });
    }

    /** The sign-in, its session cookie set; undefined when the page has been shown again (or the archived page). */
    async function passkeyStep(
      request: FastifyRequest,
      reply: FastifyReply,
      returnTo: string | undefined,
    ): Promise<SignInCompleted | undefined> {
      const body = formBody(request.body);
      try {
        const signedIn = await services.signIn.signInWithPasskey(
          body.challenge,
          body.response,
          requestContext(request),
        );
        setSessionCookie(reply, services, signedIn.token);
        return signedIn;
      } catch (error) {
        if (error instanceof ArchivedAccountError) await archivedPage(reply, error);
        else if (error instanceof ThrottledError) {
          reply.header('retry-after', String(Math.ceil(error.retryAfterSeconds)));
          await refused(reply, 429, error.message, returnTo);
        } else if (error instanceof ValidationError)
          await refused(reply, 400, Object.values(error.fields)[0]!, returnTo);
        else if (error instanceof AuthenticationError) await refused(reply, 401, error.message, returnTo);
        else throw error;
        return undefined;
      }
    }

    finishingStep(app, signInWithin, 'passkey', passkeyStep);
  };
}
