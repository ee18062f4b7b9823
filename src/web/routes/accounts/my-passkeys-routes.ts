import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { NotFoundError, ValidationError } from '../../../domain/errors.ts';
import { PASSKEY_NAME_MAX } from '../../../domain/passkeys.ts';
import type { Services } from '../../../services/index.ts';
import { requestContext } from '../../../http/request-context.ts';
import { signedIn } from '../../plugins/require-sign-in.ts';
import { errorView } from '../../plugins/views.ts';
import { formBody, text } from '../form.ts';

/**
 * My account > Passkeys (R65): the list (name, added, last used), adding one (WebAuthn
 * registration: the page carries the options, the browser's answer comes back in the form) and
 * removing one. Registered inside My account's routes, so signed-in only and forms only.
 */
export function myPasskeyRoutes(services: Services) {
  return async (app: FastifyInstance) => {
    async function page(
      request: FastifyRequest,
      reply: FastifyReply,
      extra: { errors?: ReturnType<typeof errorView>; values?: Record<string, string> } = {},
    ) {
      const { actor, sessionIdHash } = signedIn(request);
      const [passkeys, options] = await Promise.all([
        services.passkeys.list(actor),
        services.passkeys.registrationOptions(actor, sessionIdHash),
      ]);
      return reply.page('my-account/passkeys.njk', {
        pageTitle: 'Passkeys',
        passkeys,
        optionsJson: JSON.stringify(options),
        nameMax: PASSKEY_NAME_MAX,
        values: {},
        ...extra,
      });
    }

    app.get('/my-account/passkeys', async (request, reply) => page(request, reply));

    app.post('/my-account/passkeys', async (request, reply) => {
      const body = formBody(request.body);
      try {
        const passkey = await services.passkeys.add(
          signedIn(request).actor,
          { name: body.name, response: body.response },
          { ...requestContext(request), sessionIdHash: signedIn(request).sessionIdHash },
        );
        reply.flash(
          `Passkey “${passkey.name}” added. You can use it instead of a code from your app when you sign in.`,
        );
        return reply.redirect('/my-account/passkeys', 303);
      } catch (error) {
        if (!(error instanceof ValidationError)) throw error;
        reply.code(400);
        return page(request, reply, {
          errors: errorView(error.fields, ['name', 'passkey']),
          values: { name: text(body, 'name', 200) },
        });
      }
    });

    // Asked first (GOV.UK's pattern for an action that cannot be undone); a passkey already gone
    // sends back to the list, which says so.
    app.get<{ Params: { id: string } }>('/my-account/passkeys/:id/remove', async (request, reply) => {
      const { actor } = signedIn(request);
      try {
        const [passkey, all] = await Promise.all([
          services.passkeys.find(actor, request.params.id),
          services.passkeys.list(actor),
        ]);
        return await reply.page('my-account/passkey-remove.njk', {
          pageTitle: `Remove the passkey ${passkey.name}`,
          passkey,
          last: all.length === 1,
        });
      } catch (error) {
        if (!(error instanceof NotFoundError)) throw error;
        reply.flash('That passkey had already been removed.');
        return reply.redirect('/my-account/passkeys', 303);
      }
    });

    app.post<{ Params: { id: string } }>('/my-account/passkeys/:id/remove', async (request, reply) => {
      try {
        const removed = await services.passkeys.remove(
          signedIn(request).actor,
          request.params.id,
          requestContext(request),
        );
        reply.flash(`Passkey “${removed.name}” removed.`);
      } catch (error) {
        if (!(error instanceof NotFoundError)) throw error;
        // Already removed (a second tab, a double submission): the list says what is left.
        reply.flash('That passkey had already been removed.');
      }
      return reply.redirect('/my-account/passkeys', 303);
    });
  };
}
