import type { FastifyInstance } from 'fastify';
import type { Services } from '../../../services/index.ts';

/**
 * `/health`: 200 with the database's state, 503 when the database does not answer. The
 * response never carries the database error (it may name internal hosts); the log does.
 */
export function healthRoutes(services: Services) {
  return async (app: FastifyInstance) => {
    app.get('/health', async (request, reply) => {
      let result;
      try {
        result = await services.health.check();
      } catch (error) {
        result = {
          ok: false,
          database: { status: 'down' as const },
          error: error instanceof Error ? error.message : String(error),
        };
      }
      if (!result.ok) request.log.warn({ reason: result.error }, 'health check: the database is down');
      return reply
        .code(result.ok ? 200 : 503)
        .header('cache-control', 'no-store')
        .send({ status: result.ok ? 'ok' : 'unavailable', database: result.database });
    });
  };
}
