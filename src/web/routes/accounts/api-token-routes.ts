import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { DEFAULT_TOKEN_LIFETIME_DAYS, TOKEN_LIFETIMES_DAYS } from '../../../domain/api-tokens.ts';
import { ValidationError } from '../../../domain/errors.ts';
import type { Services } from '../../../services/index.ts';
import { requestContext } from '../../../http/request-context.ts';
import { requireSignIn, signedIn } from '../../plugins/require-sign-in.ts';
import { errorView } from '../../plugins/views.ts';
import { formBody, text, queryOf } from '../form.ts';

/** Admin > API tokens (R56): create (shown once), list, revoke. */
export function apiTokenRoutes(services: Services) {
  return async (app: FastifyInstance) => {
    app.addHook('preHandler', requireSignIn);
    const lifetimes = TOKEN_LIFETIMES_DAYS.map((days) => ({ value: String(days), text: `${days} days` }));

    app.get('/admin/api-tokens', async (request, reply) => {
      const la = queryOf(request).la;
      const { organisation, tokens } = await services.apiTokens.list(signedIn(request).actor, la);
      return reply.page('admin/api-tokens/list.njk', { pageTitle: 'API tokens – Admin', organisation, tokens });
    });

    const form = (reply: FastifyReply, values: { name: string; lifetimeDays: string }, errors?: ValidationError) =>
      reply.page('admin/api-tokens/new.njk', {
        pageTitle: `${errors ? 'Error: ' : ''}Create an API token – Admin`,
        form: values,
        lifetimes,
        errors: errors ? errorView(errors.fields, ['name', 'lifetimeDays']) : null,
      });

    app.get('/admin/api-tokens/new', async (request, reply) => {
      // Fails with 403 for anyone who may not make tokens, before showing a form they cannot use.
      await services.apiTokens.list(signedIn(request).actor);
      return form(reply, { name: '', lifetimeDays: String(DEFAULT_TOKEN_LIFETIME_DAYS) });
    });

    app.post('/admin/api-tokens/new', async (request: FastifyRequest, reply) => {
      const body = formBody(request.body);
      try {
        const created = await services.apiTokens.create(
          signedIn(request).actor,
          { name: body.name, lifetimeDays: body.lifetimeDays },
          requestContext(request),
        );
        // The token is on this page only: never in a redirect, a flash cookie or a cache.
        reply.header('cache-control', 'no-store');
        return reply.page('admin/api-tokens/created.njk', { pageTitle: 'API token created – Admin', created });
      } catch (error) {
        if (!(error instanceof ValidationError)) throw error;
        reply.code(400);
        return form(reply, { name: text(body, 'name', 200), lifetimeDays: text(body, 'lifetimeDays', 10) }, error);
      }
    });

    app.get<{ Params: { id: string } }>('/admin/api-tokens/:id/revoke', async (request, reply) => {
      const { tokens } = await services.apiTokens.list(signedIn(request).actor);
      const token = tokens.find((t) => t.id === request.params.id && t.state === 'active');
      if (!token) return reply.callNotFound();
      return reply.page('admin/api-tokens/revoke.njk', { pageTitle: `Revoke ${token.name} – Admin`, token });
    });

    app.post<{ Params: { id: string } }>('/admin/api-tokens/:id/revoke', async (request, reply) => {
      const row = await services.apiTokens.revoke(signedIn(request).actor, request.params.id, requestContext(request));
      reply.flash(`API token ${row.name} revoked. Anything using it is refused from now on.`);
      return reply.redirect('/admin/api-tokens', 303);
    });
  };
}
