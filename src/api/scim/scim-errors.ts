import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { EXTERNAL_ID_TAKEN, USERNAME_TAKEN } from '../../domain/account-fields.ts';
import { DomainError, NotFoundError, ValidationError } from '../../domain/errors.ts';
import { ScimFilterError } from '../../domain/scim-filter.ts';
import { SCIM_ERROR } from './scim-schemas.ts';

/** RFC 7644 §3.12 scimType values used here. */
export type ScimType =
  | 'invalidFilter'
  | 'invalidSyntax'
  | 'invalidValue'
  | 'invalidPath'
  | 'noTarget'
  | 'uniqueness'
  | 'mutability'
  | 'tooMany';

/** A refusal of the SCIM interface itself (a bad body, path or filter): thrown by the pure parsers. */
export class ScimError extends Error {
  constructor(
    readonly status: number,
    readonly scimType: ScimType | undefined,
    detail: string,
  ) {
    super(detail);
  }
}

export const SCIM_CONTENT_TYPE = 'application/scim+json; charset=utf-8';

export function sendScimError(
  reply: FastifyReply,
  status: number,
  scimType: ScimType | undefined,
  detail: string,
): FastifyReply {
  return reply
    .code(status)
    .type(SCIM_CONTENT_TYPE)
    .header('cache-control', 'no-store')
    .send({
      schemas: [SCIM_ERROR],
      status: String(status),
      ...(scimType ? { scimType } : {}),
      detail,
    });
}

/** The service's field names, spoken as SCIM attributes. */
const ATTRIBUTE: Record<string, string> = {
  username: 'userName',
  firstName: 'name.givenName',
  lastName: 'name.familyName',
  email: 'emails',
  jobTitle: 'title',
  phone: 'phoneNumbers',
  userType: 'typeOfUser',
  privileges: 'typeOfUser',
  externalId: 'externalId',
  cinClaAgreedBy: 'typeOfUser',
};

function fromValidation(error: ValidationError): { status: number; scimType: ScimType; detail: string } {
  const entries = Object.entries(error.fields);
  const unique = entries.find(([, message]) => message === USERNAME_TAKEN || message === EXTERNAL_ID_TAKEN);
  if (unique)
    return { status: 409, scimType: 'uniqueness', detail: `${ATTRIBUTE[unique[0]] ?? unique[0]}: ${unique[1]}` };
  const detail =
    entries.map(([field, message]) => `${ATTRIBUTE[field] ?? field}: ${message}`).join('; ') || error.message;
  // A query parameter refused before the route (src/http/server.ts): a bad `filter` is RFC 7644's invalidFilter.
  if (entries.length === 1 && entries[0]![0] === 'filter') return { status: 400, scimType: 'invalidFilter', detail };
  return { status: 400, scimType: 'invalidValue', detail };
}

/** Every error of the SCIM scope becomes a SCIM error body; a 500 names only the request id. */
export function scimErrorHandler(error: FastifyError | Error, request: FastifyRequest, reply: FastifyReply) {
  if (error instanceof ScimError) return sendScimError(reply, error.status, error.scimType, error.message);
  if (error instanceof ScimFilterError) return sendScimError(reply, 400, 'invalidFilter', error.message);
  if (error instanceof ValidationError) {
    const v = fromValidation(error);
    return sendScimError(reply, v.status, v.scimType, v.detail);
  }
  if (error instanceof NotFoundError)
    return sendScimError(reply, 404, undefined, 'No such resource in this Local Authority');
  if (error instanceof DomainError) return sendScimError(reply, error.status, undefined, error.message);
  const status = typeof (error as FastifyError).statusCode === 'number' ? (error as FastifyError).statusCode! : 500;
  if (status >= 400 && status < 500) {
    const code = (error as FastifyError).code;
    const detail =
      status === 415
        ? 'Send JSON with Content-Type: application/scim+json.'
        : status === 413
          ? 'The body is too large.'
          : status === 429
            ? 'Too many requests for this API token. Wait, then try again.'
            : code === 'NEXUS_BAD_JSON' ||
                code === 'FST_ERR_CTP_EMPTY_JSON_BODY' ||
                code === 'FST_ERR_CTP_INVALID_JSON_BODY'
              ? error.message
              : 'The request could not be understood.';
    return sendScimError(reply, status, status === 400 ? 'invalidSyntax' : undefined, detail);
  }
  request.log.error({ err: error, requestId: request.id }, 'unexpected SCIM error');
  return sendScimError(reply, 500, undefined, `Something went wrong on our side. Reference: ${request.id}`);
}
