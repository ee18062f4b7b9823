import type { FastifyInstance, FastifyReply } from 'fastify';
import type { TokenPurpose } from '../../../domain/link-purposes.ts';
import { LinkExpiredError, ThrottledError, ValidationError } from '../../../domain/errors.ts';
import { MIN_PASSWORD_LENGTH } from '../../../domain/passwords.ts';
import type { Services } from '../../../services/index.ts';
import { requestContext } from '../../../http/request-context.ts';
import { errorView } from '../../plugins/views.ts';
import { acceptFormsOnly, formBody, text } from '../form.ts';

const TOKEN_PATTERN = /^[A-Za-z0-9_-]{20,100}$/;

/** Forgotten password, reset link and invitation link (§13). */
export function passwordRoutes(services: Services) {
  return async (app: FastifyInstance) => {
    acceptFormsOnly(app);
    app.get('/forgot-password', async (_request, reply) =>
      reply.page('password/forgot-password.njk', { pageTitle: 'Reset your password', values: {} }),
    );

    app.post('/forgot-password', async (request, reply) => {
      const body = formBody(request.body);
      try {
        await services.passwords.requestPasswordReset(body.username ?? '', requestContext(request));
        return reply.page('password/forgot-password-sent.njk', { pageTitle: 'Check your email' });
      } catch (error) {
        if (error instanceof ValidationError) {
          reply.code(400);
          return reply.page('password/forgot-password.njk', {
            pageTitle: 'Reset your password',
            values: { username: text(body, 'username', 200) },
            errors: errorView(error.fields),
          });
        }
        if (error instanceof ThrottledError) {
          reply.code(429).header('retry-after', String(Math.ceil(error.retryAfterSeconds)));
          const message = `Too many reset requests. Wait ${Math.max(1, Math.ceil(error.retryAfterSeconds / 60))} minutes, then try again.`;
          return reply.page('password/forgot-password.njk', {
            pageTitle: 'Reset your password',
            values: { username: text(body, 'username', 200) },
            errors: errorView({ username: message }),
          });
        }
        throw error;
      }
    });

    const flows: { path: string; purpose: TokenPurpose; title: string; done: string }[] = [
      {
        path: '/reset-password/:token',
        purpose: 'password_reset',
        title: 'Choose a new password',
        done: 'Your password has been changed. Sign in with your new password.',
      },
      {
        path: '/invitation/:token',
        purpose: 'invitation',
        title: 'Set your password',
        done: 'Your password is set. Sign in to set up two-factor authentication.',
      },
    ];

    for (const flow of flows) {
      const expired = (reply: FastifyReply) => {
        reply.code(410);
        return reply.page('password/link-expired.njk', {
          pageTitle: 'This link has expired',
          invitation: flow.purpose === 'invitation',
        });
      };

      app.get<{ Params: { token: string } }>(flow.path, async (request, reply) => {
        const token = request.params.token;
        if (!TOKEN_PATTERN.test(token)) return expired(reply);
        try {
          const who = await services.passwords.checkLink(token, flow.purpose);
          return reply.page('password/set-password.njk', {
            pageTitle: flow.title,
            heading: flow.title,
            who,
            minLength: MIN_PASSWORD_LENGTH,
            invitation: flow.purpose === 'invitation',
          });
        } catch (error) {
          if (error instanceof LinkExpiredError) return expired(reply);
          throw error;
        }
      });

      app.post<{ Params: { token: string } }>(flow.path, async (request, reply) => {
        const token = request.params.token;
        if (!TOKEN_PATTERN.test(token)) return expired(reply);
        const body = formBody(request.body);
        const input = { password: body.password ?? '', confirmPassword: body.confirmPassword ?? '' };
        try {
          if (flow.purpose === 'invitation')
            await services.passwords.acceptInvitation(token, input, requestContext(request));
          else await services.passwords.resetPassword(token, input, requestContext(request));
          reply.flash(flow.done);
          return reply.redirect('/sign-in', 303);
        } catch (error) {
          if (error instanceof LinkExpiredError) return expired(reply);
          if (error instanceof ValidationError) {
            const who = await services.passwords.checkLink(token, flow.purpose).catch(() => undefined);
            if (!who) return expired(reply);
            reply.code(400);
            return reply.page('password/set-password.njk', {
              pageTitle: flow.title,
              heading: flow.title,
              who,
              minLength: MIN_PASSWORD_LENGTH,
              invitation: flow.purpose === 'invitation',
              errors: errorView(error.fields, ['password', 'confirmPassword']),
            });
          }
          throw error;
        }
      });
    }
  };
}
