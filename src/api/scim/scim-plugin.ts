import fastifyRateLimit from '@fastify/rate-limit';
import type { FastifyInstance } from 'fastify';
import type { Services } from '../../services/index.ts';
import { registerBearerAuth } from '../bearer-auth.ts';
import { acceptJson } from '../json-body.ts';
import { scimDiscoveryRoutes } from './scim-discovery-routes.ts';
import { scimErrorHandler, sendScimError } from './scim-errors.ts';
import { scimUserRoutes } from './scim-user-routes.ts';

/**
 * SCIM 2.0 (RFC 7643/7644, R57) for an LA's identity system, mounted at /scim/v2: its own plugin
 * scope with SCIM JSON bodies, API tokens only (never a cookie, so no CSRF defence is needed),
 * a rate limit per token, and SCIM error bodies. The routes call the same services as the pages,
 * so the access table in src/domain/access.ts decides here too.
 */
export function scimPlugin(services: Services) {
  return async (scope: FastifyInstance) => {
    // SCIM speaks JSON only: a form body is refused (415) rather than read as something else.
    scope.removeAllContentTypeParsers();
    acceptJson(scope, ['application/scim+json', 'application/json'], 262_144, { withoutContentType: true });
    scope.setErrorHandler(scimErrorHandler);
    registerBearerAuth(scope, services, {
      allowSession: false,
      unauthorised: (reply, detail) =>
        sendScimError(reply.header('www-authenticate', 'Bearer realm="nexus-scim"'), 401, undefined, detail),
    });
    scope.setNotFoundHandler((request, reply) =>
      sendScimError(
        reply,
        404,
        undefined,
        `There is no ${request.method} ${request.url.split('?')[0]} in this SCIM service`,
      ),
    );
    await scope.register(fastifyRateLimit, {
      global: true,
      hook: 'preHandler',
      max: services.config.api.rateLimitPerMinute,
      timeWindow: 60_000,
      keyGenerator: (request) => `scim-token:${request.apiCaller?.token.id ?? request.ip}`,
      errorResponseBuilder: (_request, context) =>
        Object.assign(new Error(`Rate limit exceeded, retry in ${context.after}`), { statusCode: 429 }),
    });
    await scope.register(scimDiscoveryRoutes(services));
    await scope.register(scimUserRoutes(services));
  };
}
