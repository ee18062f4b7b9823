import type { FastifyInstance, FastifyRequest } from 'fastify';
import { requestContext } from '../../../http/request-context.ts';
import type { Services } from '../../../services/index.ts';
import { requireSignIn, signedIn } from '../../plugins/require-sign-in.ts';
import { formBody, queryOf } from '../form.ts';

/**
 * Admin > Sign-in settings, "Passkeys" (R65): whether the LA's staff may sign in with a passkey
 * alone. The page itself is sign-in-settings-routes.ts; this takes its second form.
 */
export function passkeySignInSettingsRoutes(services: Services) {
  return async (app: FastifyInstance) => {
    app.addHook('preHandler', requireSignIn);
    const la = (request: FastifyRequest) => {
      const value = queryOf(request).la;
      return typeof value === 'string' && /^[0-9]{3}$/.test(value) ? value : undefined;
    };

    app.post('/admin/sign-in-settings/passkeys', async (request, reply) => {
      const body = formBody(request.body);
      const changed = await services.passkeySignIn.save(
        signedIn(request).actor,
        la(request),
        body.passkeySignIn,
        requestContext(request),
      );
      reply.flash(
        !changed
          ? 'Nothing was changed.'
          : body.passkeySignIn === 'yes'
            ? 'Staff can now sign in with a passkey alone.'
            : 'Signing in with a passkey alone is turned off. Staff sign in with their password and security code.',
      );
      const code = la(request);
      return reply.redirect(`/admin/sign-in-settings${code ? `?la=${code}` : ''}#passkeys`, 303);
    });
  };
}
