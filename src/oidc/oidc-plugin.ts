import type { FastifyInstance, FastifyReply } from 'fastify';
import { DomainError, ValidationError } from '../domain/errors.ts';
import type { Services } from '../services/index.ts';
import { forwardToProvider, type Interactions } from './interaction.ts';
import type { ProviderHost } from './provider-host.ts';

/** An OAuth error body (RFC 6749 §5.2), for what fails before the provider has the request. */
function oauthError(reply: FastifyReply, status: number, error: string, description: string) {
  return reply.code(status).header('cache-control', 'no-store').send({ error, error_description: description });
}

/**
 * Nexus Accounts as an OpenID Connect provider (R61–R63), at BASE_URL/oidc: panva's oidc-provider (a
 * Koa application) answers every path below it through its own request handler, with the request's
 * body left unread for it; the one route of ours is the interaction, where the provider hands over
 * to this service's own sign-in and takes the signed-in account back (./interaction.ts; the sign-in
 * pages' last steps below it are pages, src/web/routes/sign-in/).
 */
export function oidcPlugin(services: Services, host: ProviderHost, interactions: Interactions) {
  return async (app: FastifyInstance) => {
    // Make the first key (and the provider) now, so the first request does not wait for it; not
    // awaited, so the service starts (and /health says 503) while the database is unreachable: the
    // first request to /oidc then tries again.
    host.refresh().catch((error: unknown) => {
      app.log.warn({ err: error }, 'OpenID Connect provider not ready yet: its signing keys could not be read');
    });

    // The library reads (and limits) bodies itself: none is parsed here.
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('*', (_request, _payload, done) => done(null));

    app.setErrorHandler((error, request, reply) => {
      if (error instanceof ValidationError) return oauthError(reply, 400, 'invalid_request', error.message);
      if (error instanceof DomainError) return oauthError(reply, error.status, 'invalid_request', error.message);
      request.log.error({ err: error }, 'OpenID Connect request failed');
      return oauthError(reply, 500, 'server_error', 'The request could not be completed; try again.');
    });

    app.get('/auth/:uid/interaction', interactions.interaction);

    // The methods the provider answers (OPTIONS for its CORS preflights); any other is not found here.
    const forward = forwardToProvider(host);
    for (const url of ['/', '/*'])
      app.route({ method: ['GET', 'POST', 'OPTIONS'], url, handler: (request, reply) => forward(request, reply) });
  };
}
