import type { FastifyInstance } from 'fastify';
import type { Services } from '../../services/index.ts';
import { requestContext } from '../../http/request-context.ts';
import { callerActor } from '../bearer-auth.ts';
import { json, problemResponses } from '../schemas.ts';
import type { ApiTypeProvider } from '../type-provider.ts';

/** GET /api/v1/audit-events: the LA's audit log (R50), newest first, with stable cursors. */
export function auditEventRoutes(services: Services) {
  return async (scope: FastifyInstance) => {
    const app = scope.withTypeProvider<ApiTypeProvider>();
    app.get(
      '/audit-events',
      {
        schema: {
          tags: ['audit'],
          operationId: 'listAuditEvents',
          description:
            'Every change and sign-in event of the LA (R50), including each use of an API token. Pages follow stable cursors. Needs manage_users.',
          summary: "The LA's audit log, newest first",
          querystring: {
            type: 'object',
            additionalProperties: false,
            properties: {
              action: {
                type: 'string',
                pattern: '^[a-z0-9.-]{1,60}$',
                description: 'Only this action, e.g. account.archived',
              },
              from: { type: 'string', format: 'date', description: 'On or after this day (UTC)' },
              to: { type: 'string', format: 'date', description: 'On or before this day (UTC)' },
              la: { type: 'string', pattern: '^[0-9]{3}$', description: 'Another LA by code (central support only)' },
              limit: { type: 'integer', minimum: 1, maximum: 200, default: 50, description: 'Events per page' },
              cursor: { type: 'string', maxLength: 600, description: 'The `next` of the previous page' },
            },
          },
          response: { 200: json('AuditEventList', 'A page of events'), ...problemResponses(400, 403, 404) },
        },
      },
      async (request) => {
        const q = request.query;
        const result = await services.audit.page(
          callerActor(request),
          { la: q.la, action: q.action, from: q.from, to: q.to },
          q.cursor,
          q.limit,
          requestContext(request),
        );
        return {
          items: result.items.map((e) => ({
            id: String(e.id),
            occurredAt: e.occurred_at.toISOString(),
            action: e.action,
            label: e.words.label,
            sentence: e.words.sentence,
            changes: [...e.words.lines],
            actor: e.actor_label,
            subjectAccountId: e.subject_account_id,
            securityAlert: e.security_alert,
            details: e.details,
          })),
          next: result.next,
        };
      },
    );
  };
}
