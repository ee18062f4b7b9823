import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Services } from '../services/index.ts';
import { describeOperations } from './openapi-outline.ts';

function prefersJson(request: FastifyRequest): boolean {
  const accept = String(request.headers.accept ?? '');
  return /application\/(json|vnd\.oai\.openapi\+json)/.test(accept) && !/text\/html/.test(accept);
}

/**
 * /api/docs: the OpenAPI 3.1 document, as JSON for tools (Accept: application/json, or
 * /api/docs/openapi.json) and as a readable page for people. Public: it holds no data.
 */
export function apiDocsRoutes(services: Services) {
  return async (app: FastifyInstance) => {
    const document = () => app.swagger() as unknown as Record<string, unknown>;
    app.get('/docs/openapi.json', { schema: { hide: true } }, async (_request, reply) => {
      return reply.type('application/json; charset=utf-8').header('cache-control', 'no-cache').send(document());
    });
    app.get('/docs', { schema: { hide: true } }, async (request, reply) => {
      if (prefersJson(request))
        return reply.type('application/json; charset=utf-8').header('vary', 'accept').send(document());
      reply.header('vary', 'accept');
      return reply.page('api/docs.njk', {
        pageTitle: 'API documentation',
        platformName: services.config.platformName,
        groups: describeOperations(document()),
      });
    });
  };
}
