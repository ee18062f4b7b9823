import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { EXTERNAL_ID_TAKEN, USERNAME_TAKEN } from '../domain/account-fields.ts';
import { DomainError, StaleVersionError, ThrottledError, ValidationError } from '../domain/errors.ts';
import { versionTag } from './versions.ts';

/** RFC 9457 problem details: the one error shape of the JSON API. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail?: string;
  instance?: string;
  /** Field → message, for 400s (the same messages the pages show next to each field). */
  errors?: Record<string, string>;
}

const TITLES: Record<number, string> = {
  400: 'Invalid request',
  401: 'Not authenticated',
  403: 'Forbidden',
  404: 'Not found',
  405: 'Method not allowed',
  406: 'Not acceptable',
  409: 'Conflict',
  410: 'Gone',
  412: 'Precondition failed',
  413: 'Request too large',
  415: 'Unsupported media type',
  422: 'Unprocessable request',
  429: 'Too many requests',
  500: 'Internal error',
  503: 'Service unavailable',
};

export function problemTitle(status: number): string {
  return TITLES[status] ?? (status >= 500 ? 'Internal error' : 'Invalid request');
}

export function sendProblem(
  reply: FastifyReply,
  status: number,
  detail?: string,
  errors?: Record<string, string>,
): FastifyReply {
  const body: Problem = { type: 'about:blank', title: problemTitle(status), status };
  if (detail) body.detail = detail;
  if (errors && Object.keys(errors).length > 0) body.errors = errors;
  return reply
    .code(status)
    .type('application/problem+json; charset=utf-8')
    .header('cache-control', 'no-store')
    .send(body);
}

/**
 * Fastify's schema errors as field → message, the field named by its path in the body or query
 * ("firstName", "items.0.role", "days"), as the services name fields in their own errors.
 */
function schemaErrors(error: FastifyError): Record<string, string> {
  const out: Record<string, string> = {};
  for (const v of error.validation ?? []) {
    const missing = (v.params as { missingProperty?: string }).missingProperty;
    const extra = (v.params as { additionalProperty?: string }).additionalProperty;
    const path = [...v.instancePath.split('/').filter(Boolean), ...(missing ? [missing] : extra ? [extra] : [])].join(
      '.',
    );
    const key = path || (error.validationContext ?? 'body');
    out[key] ??= missing ? 'is required' : extra ? 'is not a known field' : (v.message ?? 'is not valid');
  }
  return out;
}

/** Every error of an API scope becomes a problem document; a 500 names only the request id. */
export function apiErrorHandler(error: FastifyError | DomainError, request: FastifyRequest, reply: FastifyReply) {
  if (error instanceof DomainError) {
    if (error instanceof ThrottledError) reply.header('retry-after', String(error.retryAfterSeconds));
    if (error instanceof StaleVersionError) reply.header('etag', versionTag(error.currentVersion));
    // A name another account holds is a conflict with the state of the server (RFC 9110 §15.5.10), as in SCIM.
    const conflict =
      error instanceof ValidationError &&
      Object.values(error.fields).some((m) => m === USERNAME_TAKEN || m === EXTERNAL_ID_TAKEN);
    return sendProblem(
      reply,
      conflict ? 409 : error.status,
      error.message,
      error instanceof ValidationError ? { ...error.fields } : undefined,
    );
  }
  if (error.validation)
    return sendProblem(
      reply,
      400,
      'The request does not match the schema in the API document (/api/docs).',
      schemaErrors(error),
    );
  const status = typeof error.statusCode === 'number' ? error.statusCode : 500;
  if (status >= 400 && status < 500) {
    const detail =
      status === 415
        ? 'Send JSON with Content-Type: application/json.'
        : status === 413
          ? 'The body is too large.'
          : status === 429
            ? 'Too many requests for this API token. Wait, then try again.'
            : error.code === 'NEXUS_BAD_JSON' ||
                error.code === 'FST_ERR_CTP_EMPTY_JSON_BODY' ||
                error.code === 'FST_ERR_CTP_INVALID_JSON_BODY'
              ? error.message
              : 'The request could not be understood.';
    return sendProblem(reply, status, detail);
  }
  request.log.error({ err: error, requestId: request.id }, 'unexpected API error');
  return sendProblem(reply, 500, `Something went wrong on our side. Reference: ${request.id}`);
}
