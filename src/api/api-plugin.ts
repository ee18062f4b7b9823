import fastifyRateLimit from '@fastify/rate-limit';
import fastifySwagger from '@fastify/swagger';
import type { FastifyInstance } from 'fastify';
import type { Services } from '../services/index.ts';
import { registerBearerAuth } from './bearer-auth.ts';
import { apiDocsRoutes } from './docs-routes.ts';
import { acceptJson } from './json-body.ts';
import { apiErrorHandler, sendProblem } from './problem.ts';
import { auditEventRoutes } from './routes/audit-event-routes.ts';
import { meRoutes } from './routes/me-routes.ts';
import { lifecycleApiRoutes } from './routes/lifecycle-api-routes.ts';
import { userApiRoutes } from './routes/user-api-routes.ts';
import { userPartRoutes } from './routes/user-part-routes.ts';
import { SHARED_SCHEMAS } from './schemas.ts';
import { strictValidation } from './validators.ts';

/**
 * The JSON API (R56), mounted at /api: its own plugin scope with JSON bodies, bearer tokens,
 * a rate limit per token, problem-details errors, and an OpenAPI document generated from the
 * very schemas that validate requests and shape responses. Handlers call the same services as
 * the pages, so the access table in src/domain/access.ts decides here too.
 */
export function apiPlugin(services: Services) {
  return async (scope: FastifyInstance) => {
    acceptJson(scope, ['application/json'], 262_144);
    scope.setErrorHandler(apiErrorHandler);
    scope.setNotFoundHandler((request, reply) =>
      sendProblem(reply, 404, `There is no ${request.method} ${request.url.split('?')[0]} in this API. See /api/docs.`),
    );
    for (const schema of SHARED_SCHEMAS) scope.addSchema(schema);
    strictValidation(scope, SHARED_SCHEMAS);

    await scope.register(fastifySwagger, {
      openapi: {
        openapi: '3.1.0',
        info: {
          title: `${services.config.platformName} Accounts API`,
          version: '1.0.0',
          description:
            "Account administration for a Local Authority: the same rules as the pages. Authenticate with an API token created under Admin > API tokens (`Authorization: Bearer nxa_…`); it acts with its creator's privileges at the time of use. Errors are RFC 9457 problem details.",
          license: { name: 'MIT', url: 'https://opensource.org/license/mit' },
          contact: {
            name: services.config.supportName,
            email: services.config.supportEmail,
            url: `${services.config.baseUrl}/api/docs`,
          },
        },
        servers: [{ url: services.config.baseUrl }],
        tags: [
          { name: 'audit', description: 'The audit log' },
          { name: 'lifecycle', description: 'The automatic lifecycle' },
          { name: 'me', description: 'The caller' },
          { name: 'users', description: "Accounts of the caller's Local Authority" },
        ],
        components: {
          securitySchemes: { apiToken: { type: 'http', scheme: 'bearer', description: 'An API token, nxa_…' } },
        },
        security: [{ apiToken: [] }],
      },
      // A shared schema is named by its $id (all of ours have one); @fastify/swagger's own default otherwise.
      refResolver: {
        buildLocalReference: (json, _baseUri, _fragment, i) => (typeof json.$id === 'string' ? json.$id : `def-${i}`),
      },
    });

    await scope.register(apiDocsRoutes(services));

    await scope.register(
      async (v1) => {
        registerBearerAuth(v1, services, {
          allowSession: true,
          unauthorised: (reply, detail) =>
            sendProblem(reply.header('www-authenticate', 'Bearer realm="nexus-api"'), 401, detail),
        });
        await v1.register(fastifyRateLimit, {
          global: true,
          hook: 'preHandler',
          max: services.config.api.rateLimitPerMinute,
          timeWindow: 60_000,
          keyGenerator: (request) =>
            request.apiCaller
              ? `token:${request.apiCaller.token.id}`
              : `session:${request.signedIn?.account.id ?? request.ip}`,
          errorResponseBuilder: (_request, context) =>
            Object.assign(new Error(`Rate limit exceeded, retry in ${context.after}`), { statusCode: 429 }),
        });
        await v1.register(meRoutes(services));
        await v1.register(userApiRoutes(services));
        await v1.register(userPartRoutes(services));
        await v1.register(auditEventRoutes(services));
        await v1.register(lifecycleApiRoutes(services));
      },
      { prefix: '/v1' },
    );
  };
}
