import type { FastifyInstance, FastifyRequest } from 'fastify';

/**
 * One signed-in person (a session) or one API token may have at most `limit` requests in progress
 * at once; more get 429 with Retry-After at once, before any work. Without it a single session
 * could queue hundreds of list pages and exports and take a whole process (issue 11: 200
 * concurrent Admin > Users requests from one session took 17 s for everyone). A browser never has
 * more than a handful of page requests of one person in flight, so people do not meet it. Requests
 * of nobody signed in (sign-in pages, assets) are left to the throttles and rate limits.
 */
export function limitConcurrencyPerCaller(app: FastifyInstance, limit: number): void {
  const inFlight = new Map<string, number>();
  const counted = new WeakMap<FastifyRequest, string>();

  const release = (request: FastifyRequest) => {
    const key = counted.get(request);
    if (key === undefined) return;
    counted.delete(request);
    const n = (inFlight.get(key) ?? 1) - 1;
    if (n <= 0) inFlight.delete(key);
    else inFlight.set(key, n);
  };

  app.addHook('preHandler', async (request, reply) => {
    const key = request.apiCaller
      ? `token:${request.apiCaller.token.id}`
      : request.signedIn
        ? `session:${request.signedIn.sessionIdHash}`
        : undefined;
    if (key === undefined) return;
    const n = inFlight.get(key) ?? 0;
    if (n >= limit) {
      reply.header('retry-after', '1');
      throw Object.assign(new Error('Too many requests at once from this session or token'), {
        statusCode: 429,
        code: 'NEXUS_TOO_MANY_AT_ONCE',
      });
    }
    inFlight.set(key, n + 1);
    counted.set(request, key);
  });
  app.addHook('onResponse', async (request) => release(request));
  app.addHook('onRequestAbort', async (request) => release(request));
}
