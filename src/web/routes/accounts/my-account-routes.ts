import type { FastifyInstance } from 'fastify';
import { ThrottledError, ValidationError } from '../../../domain/errors.ts';
import { isUserType, privilegeLabel, userTypeLabel } from '../../../domain/privileges.ts';
import { MIN_PASSWORD_LENGTH } from '../../../domain/passwords.ts';
import type { Services } from '../../../services/index.ts';
import { requestContext } from '../../../http/request-context.ts';
import { requireSignIn, signedIn } from '../../plugins/require-sign-in.ts';
import { errorView } from '../../plugins/views.ts';
import { acceptFormsOnly, formBody } from '../form.ts';
import { myPasskeyRoutes } from './my-passkeys-routes.ts';
import { passkeyCount } from '../../../domain/passkeys.ts';

/** My Account: your details, two-factor state and passkeys, and password change (current password required). */
export function myAccountRoutes(services: Services) {
  return async (app: FastifyInstance) => {
    acceptFormsOnly(app);
    app.addHook('preHandler', requireSignIn);

    app.get('/my-account', async (request, reply) => {
      const [{ account, organisation, privileges, administrators }, passkeys] = await Promise.all([
        services.accounts.profile(signedIn(request).actor),
        services.passkeys.list(signedIn(request).actor),
      ]);
      return reply.page('my-account/my-account.njk', {
        pageTitle: 'My account',
        account,
        organisationName: organisation.name,
        userTypeLabel: isUserType(account.user_type) ? userTypeLabel(account.user_type) : account.user_type,
        privileges: privileges.map(privilegeLabel),
        administrators,
        passkeysText: passkeys.length > 0 ? passkeyCount(passkeys.length) : null,
      });
    });

    await app.register(myPasskeyRoutes(services));

    app.get('/my-account/password', async (_request, reply) =>
      reply.page('my-account/password.njk', { pageTitle: 'Change your password', minLength: MIN_PASSWORD_LENGTH }),
    );

    app.post('/my-account/password', async (request, reply) => {
      const body = formBody(request.body);
      try {
        await services.passwords.changePassword(
          signedIn(request).actor,
          {
            currentPassword: body.currentPassword ?? '',
            password: body.password ?? '',
            confirmPassword: body.confirmPassword ?? '',
          },
          { ...requestContext(request), sessionIdHash: signedIn(request).sessionIdHash },
        );
        reply.flash('Your password has been changed. You have been signed out everywhere else.');
        return reply.redirect('/my-account', 303);
      } catch (error) {
        if (error instanceof ValidationError) {
          reply.code(400);
          return reply.page('my-account/password.njk', {
            pageTitle: 'Change your password',
            minLength: MIN_PASSWORD_LENGTH,
            errors: errorView(error.fields, ['currentPassword', 'password', 'confirmPassword']),
          });
        }
        if (error instanceof ThrottledError) {
          reply.code(429).header('retry-after', String(Math.ceil(error.retryAfterSeconds)));
          const message = `Too many attempts to change your password. Wait ${Math.max(1, Math.ceil(error.retryAfterSeconds / 60))} minutes, then try again.`;
          return reply.page('my-account/password.njk', {
            pageTitle: 'Change your password',
            minLength: MIN_PASSWORD_LENGTH,
            errors: errorView({ currentPassword: message }),
          });
        }
        throw error;
      }
    });

    app.get('/my-account/two-factor', async (request, reply) => {
      const { account } = await services.accounts.profile(signedIn(request).actor);
      return reply.page('my-account/two-factor.njk', { pageTitle: 'Two-factor authentication', account });
    });
  };
}
