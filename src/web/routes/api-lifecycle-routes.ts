import type { FastifyInstance, FastifyReply } from 'fastify';
import { DomainError, ValidationError } from '../../domain/errors.ts';
import type { Services } from '../../services/index.ts';
import { formBody } from './form.ts';

/** RFC 9457 problem details, the one error shape of the JSON API. */
function problem(reply: FastifyReply, status: number, title: string, detail?: string, errors?: Record<string, string>) {
  return reply.code(status).type('application/problem+json').header('cache-control', 'no-store')
    .send({ type: 'about:blank', title, status, ...(detail ? { detail } : {}), ...(errors ? { errors } : {}) });
}

/**
 * GET /api/v1/lifecycle/preview?days=N (R41): the coming days for the caller's LA as JSON, through
 * the same service and access table as /admin/lifecycle. Signed-in sessions only for now; API
 * tokens arrive with the API of issue 5.
 */
export function apiLifecycleRoutes(services: Services) {
  return async (app: FastifyInstance) => {
    app.get('/api/v1/lifecycle/preview', async (request, reply) => {
      if (!request.signedIn) return problem(reply, 401, 'Not signed in', 'Sign in, then try again.');
      const query = formBody(request.query);
      try {
        const result = await services.lifecycleView.preview(request.signedIn.actor, { la: query.la, days: query.days });
        return reply.header('cache-control', 'no-store').send({
          organisation: { laCode: result.organisation.la_code, name: result.organisation.name },
          asOf: result.now.toISOString(),
          days: result.days,
          events: result.events.map((e) => ({
            date: e.date.toISOString(), action: e.action, detail: e.detail,
            account: { id: e.accountId, username: e.username, name: e.name },
          })),
        });
      } catch (error) {
        if (error instanceof ValidationError) return problem(reply, 400, 'Invalid request', error.message, { ...error.fields });
        if (error instanceof DomainError) return problem(reply, error.status, error.status === 404 ? 'Not found' : error.status === 403 ? 'Forbidden' : 'Refused', error.message);
        throw error;
      }
    });
  };
}
