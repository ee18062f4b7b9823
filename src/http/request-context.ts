import type { FastifyRequest } from 'fastify';
import type { RequestContext } from '../services/request-context.ts';

/** Who is asking, from where: what every audit event records, for pages, the API and SCIM alike. */
export function requestContext(request: FastifyRequest): RequestContext {
  return {
    ip: request.ip ?? null,
    userAgent: request.headers['user-agent']?.slice(0, 500) ?? null,
    requestId: request.id,
  };
}
