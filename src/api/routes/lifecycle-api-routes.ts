import type { FastifyInstance } from 'fastify';
import type { Services } from '../../services/index.ts';
import { callerActor } from '../bearer-auth.ts';
import { organisationJson } from '../representations.ts';
import { problemResponses } from '../schemas.ts';
import type { ApiTypeProvider } from '../type-provider.ts';

/** GET /api/v1/lifecycle/preview?days=N (R41): the same service and access table as /admin/lifecycle. */
export function lifecycleApiRoutes(services: Services) {
  return async (scope: FastifyInstance) => {
    const app = scope.withTypeProvider<ApiTypeProvider>();
    app.get(
      '/lifecycle/preview',
      {
        schema: {
          tags: ['lifecycle'],
          operationId: 'previewLifecycle',
          description: 'Warnings, archives and deletions due, if nobody signs in meanwhile (R41). Needs manage_users.',
          summary: 'What the lifecycle job will do in the coming days',
          querystring: {
            type: 'object',
            additionalProperties: false,
            properties: {
              days: { type: 'integer', minimum: 1, maximum: 366, description: 'How many days ahead (default 30)' },
              la: {
                type: 'string',
                pattern: '^[0-9]{3}$',
                description: 'Another LA by its code (central support only)',
              },
            },
          },
          response: {
            200: {
              description: 'The preview',
              content: { 'application/json': { schema: { $ref: 'LifecyclePreview#' } } },
            },
            ...problemResponses(400, 403, 404),
          },
        },
      },
      async (request, reply) => {
        const query = request.query;
        const result = await services.lifecycleView.preview(callerActor(request), {
          la: query.la,
          days: query.days === undefined ? undefined : String(query.days),
        });
        reply.header('cache-control', 'no-store');
        return {
          organisation: organisationJson(result.organisation),
          asOf: result.now.toISOString(),
          days: result.days,
          events: result.events.map((e) => ({
            date: e.date.toISOString(),
            action: e.action,
            detail: e.detail,
            account: { id: e.accountId, username: e.username, name: e.name },
          })),
        };
      },
    );
  };
}
