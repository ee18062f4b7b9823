import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Actor } from '../domain/access.ts';
import type { Services } from '../services/index.ts';
import { requestContext } from '../http/request-context.ts';

/** The token of an `Authorization: Bearer …` header; undefined when there is no such header. */
export function bearerToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (typeof header !== 'string') return undefined;
  const match = /^Bearer[ ]+(\S+)\s*$/i.exec(header);
  return match ? match[1] : header.length > 0 ? '' : undefined;
}

/**
 * Authenticates a machine interface (JSON API, SCIM) by API token, once, for its whole plugin
 * scope. A request that presents a token that is not valid now (unknown, revoked, expired, its
 * creator archived) is refused before any handler runs. Each authenticated use is audited as
 * the response is sent, naming the route pattern (never the URL, which may hold search terms).
 *
 * `allowSession`: safe (GET) requests may also come from a signed-in browser session, so an
 * administrator can open the JSON in the browser. Writes never take the cookie: without a
 * cookie they need no CSRF defence.
 */
export function registerBearerAuth(
  scope: FastifyInstance,
  services: Services,
  options: {
    allowSession: boolean;
    unauthorised: (reply: FastifyReply, detail: string) => FastifyReply;
  },
): void {
  if (!scope.hasRequestDecorator('apiCaller')) scope.decorateRequest('apiCaller', undefined);
  scope.addHook('onRequest', async (request, reply) => {
    const token = bearerToken(request);
    if (token !== undefined) {
      const caller = token ? await services.apiTokens.authenticate(token) : undefined;
      if (!caller)
        return options.unauthorised(
          reply,
          'The API token is not valid: it may be mistyped, revoked or expired, or its creator no longer has an active account.',
        );
      request.apiCaller = caller;
      return;
    }
    const safe = request.method === 'GET' || request.method === 'HEAD';
    if (!(options.allowSession && safe && request.signedIn)) {
      return options.unauthorised(
        reply,
        'Send an API token in the Authorization header: "Authorization: Bearer nxa_…".',
      );
    }
  });
  // Written before the response leaves (onSend, not onResponse), so that once a caller has its
  // answer the use is already in the log.
  scope.addHook('onSend', async (request, reply, payload) => {
    const caller = request.apiCaller;
    if (!caller) return payload;
    try {
      await services.apiTokens.recordUse(
        caller,
        {
          method: request.method,
          route: request.routeOptions.url ?? 'unknown',
          status: reply.statusCode,
        },
        requestContext(request),
      );
    } catch (error) {
      request.log.error({ err: error, requestId: request.id }, 'could not audit an API token use');
    }
    return payload;
  });
}

/** Who is calling: the token's creator, else the signed-in person (safe requests only). */
export function callerActor(request: FastifyRequest): Actor {
  const actor = request.apiCaller?.actor ?? request.signedIn?.actor;
  // registerBearerAuth refuses every request without one, so this cannot happen in a route.
  if (!actor) throw new Error('API route reached without a caller');
  return actor;
}
