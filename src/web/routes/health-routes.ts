import type { FastifyInstance } from 'fastify';
import type { Services } from '../../services/index.ts';

/** `/health`: 200 with the database's state, 503 when the database does not answer. */
export function healthRoutes(services: Services) {
  return async (app: FastifyInstance) => {
    app.get('/health', async (_request, reply) => {
      const result = await services.health.check();
      return reply.code(result.ok ? 200 : 503).header('cache-control', 'no-store').send({ status: result.ok ? 'ok' : 'unavailable', database: result.database });
    });
  };
}
