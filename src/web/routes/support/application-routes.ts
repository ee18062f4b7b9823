import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ValidationError } from '../../../domain/errors.ts';
import { requestContext } from '../../../http/request-context.ts';
import type { Services } from '../../../services/index.ts';
import { requireSignIn, signedIn } from '../../plugins/require-sign-in.ts';
import { errorView } from '../../plugins/views.ts';
import { formBody } from '../form.ts';

/**
 * Support > Applications (R61, issue 16 item 5): the applications that sign people in through
 * Nexus, registered, given a new secret and disabled by central support only (the service refuses
 * everyone else). A secret is shown once, on the page that answers the form, never again.
 */
export function applicationRoutes(services: Services) {
  return async (app: FastifyInstance) => {
    app.addHook('preHandler', requireSignIn);
    const issuer = `${services.config.baseUrl}/oidc`;

    async function list(request: FastifyRequest, reply: FastifyReply, extra: Record<string, unknown> = {}) {
      const applications = await services.applications.list(signedIn(request).actor);
      return reply.page('support/applications.njk', {
        pageTitle: 'Applications – Support',
        applications,
        issuer,
        values: {},
        ...extra,
      });
    }

    app.get('/support/applications', (request, reply) => list(request, reply));

    app.post('/support/applications', async (request, reply) => {
      const body = formBody(request.body);
      const values = {
        name: body.name ?? '',
        redirectUris: body.redirectUris ?? '',
        backchannelLogoutUri: body.backchannelLogoutUri ?? '',
      };
      try {
        const { application, clientSecret } = await services.applications.register(
          signedIn(request).actor,
          { ...values, redirectUris: values.redirectUris.split(/\s+/) },
          requestContext(request),
        );
        return await reply.page('support/application-secret.njk', {
          pageTitle: `${application.name} registered – Applications – Support`,
          heading: `${application.name} is registered`,
          application,
          clientSecret,
          issuer,
        });
      } catch (error) {
        if (!(error instanceof ValidationError)) throw error;
        reply.code(400);
        return list(request, reply, {
          values,
          errors: errorView(error.fields, ['name', 'redirectUris', 'backchannelLogoutUri']),
        });
      }
    });

    app.post<{ Params: { clientId: string } }>('/support/applications/:clientId/secret', async (request, reply) => {
      const actor = signedIn(request).actor;
      const { clientSecret } = await services.applications.rotateSecret(
        actor,
        request.params.clientId,
        requestContext(request),
      );
      const application = await services.applications.view(actor, request.params.clientId);
      return reply.page('support/application-secret.njk', {
        pageTitle: `New secret for ${application.name} – Applications – Support`,
        heading: `${application.name} has a new client secret`,
        application,
        clientSecret,
        issuer,
      });
    });

    for (const [action, disabled] of [
      ['disable', true],
      ['enable', false],
    ] as const) {
      app.post<{ Params: { clientId: string } }>(
        `/support/applications/:clientId/${action}`,
        async (request, reply) => {
          const actor = signedIn(request).actor;
          await services.applications.setDisabled(actor, request.params.clientId, disabled, requestContext(request));
          const application = await services.applications.view(actor, request.params.clientId);
          reply.flash(disabled ? `${application.name} is disabled.` : `${application.name} is enabled again.`);
          return reply.redirect('/support/applications', 303);
        },
      );
    }
  };
}
