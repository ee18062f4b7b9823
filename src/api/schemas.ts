import { PERSON_PROPERTIES, USER_SCHEMAS } from './user-schemas.ts';

/**
 * JSON Schemas shared by the API's routes. Each has an $id, which is also its name under
 * components/schemas in the OpenAPI document; routes refer to them as { $ref: 'Name#' }.
 */

const nullableString = { type: ['string', 'null'] } as const;
const dateTime = { type: 'string', format: 'date-time' } as const;

export const PROBLEM_SCHEMA = {
  $id: 'Problem',
  type: 'object',
  description: 'RFC 9457 problem details',
  required: ['type', 'title', 'status'],
  properties: {
    type: { type: 'string' },
    title: { type: 'string' },
    status: { type: 'integer' },
    detail: { type: 'string' },
    instance: { type: 'string' },
    errors: { type: 'object', additionalProperties: { type: 'string' }, description: 'Field → what is wrong with it' },
  },
} as const;

export const ORGANISATION_SCHEMA = {
  $id: 'Organisation',
  type: 'object',
  required: ['laCode', 'name'],
  properties: { laCode: nullableString, name: { type: 'string' } },
} as const;

export const SCHOOL_ASSIGNMENT_SCHEMA = {
  $id: 'SchoolAssignment',
  type: 'object',
  required: ['schoolId', 'urn', 'name', 'role', 'status'],
  properties: {
    schoolId: { type: 'integer', description: 'The id to use in PUT /users/{id}/schools' },
    urn: { type: 'integer', description: 'Unique Reference Number (GIAS)' },
    name: { type: 'string' },
    role: { type: 'string' },
    status: { type: 'string', description: 'open, closed, proposed_to_open or proposed_to_close (from GIAS)' },
  },
} as const;

export const SCHOOL_GROUP_SCHEMA = {
  $id: 'SchoolGroup',
  type: 'object',
  required: ['id', 'name'],
  properties: { id: { type: 'integer' }, name: { type: 'string' } },
} as const;

export const ME_SCHEMA = {
  $id: 'Me',
  type: 'object',
  required: [
    'id',
    'username',
    'firstName',
    'lastName',
    'email',
    'userType',
    'privileges',
    'organisation',
    'schools',
    'schoolGroups',
    'defaultSchoolGroup',
  ],
  properties: {
    ...PERSON_PROPERTIES,
    organisation: { $ref: 'Organisation#' },
    schools: { type: 'array', items: { $ref: 'SchoolAssignment#' }, description: 'My Schools' },
    schoolGroups: { type: 'array', items: { $ref: 'SchoolGroup#' } },
    defaultSchoolGroup: { anyOf: [{ $ref: 'SchoolGroup#' }, { type: 'null' }] },
    token: {
      type: 'object',
      description: 'Present when the call was made with an API token',
      required: ['name', 'prefix'],
      properties: { name: { type: 'string' }, prefix: { type: 'string' } },
    },
  },
} as const;

export const LIFECYCLE_PREVIEW_SCHEMA = {
  $id: 'LifecyclePreview',
  type: 'object',
  required: ['organisation', 'asOf', 'days', 'events'],
  properties: {
    organisation: { $ref: 'Organisation#' },
    asOf: dateTime,
    days: { type: 'integer' },
    events: {
      type: 'array',
      items: {
        type: 'object',
        required: ['date', 'action', 'detail', 'account'],
        properties: {
          date: dateTime,
          action: { type: 'string' },
          detail: { type: 'string' },
          account: {
            type: 'object',
            required: ['id', 'username', 'name'],
            properties: {
              id: { type: 'string', format: 'uuid' },
              username: { type: 'string' },
              name: { type: 'string' },
            },
          },
        },
      },
    },
  },
} as const;

export const SHARED_SCHEMAS: readonly Record<string, unknown>[] = [
  PROBLEM_SCHEMA,
  ORGANISATION_SCHEMA,
  SCHOOL_ASSIGNMENT_SCHEMA,
  SCHOOL_GROUP_SCHEMA,
  ME_SCHEMA,
  LIFECYCLE_PREVIEW_SCHEMA,
  ...USER_SCHEMAS,
];

/** A JSON response entry for a route schema and the OpenAPI document. */
export function json(ref: string, description: string) {
  return { description, content: { 'application/json': { schema: { $ref: `${ref}#` } } } };
}

/** The error responses every operation may give, as OpenAPI response entries. */
export function problemResponses(...statuses: number[]): Record<number, unknown> {
  const descriptions: Record<number, string> = {
    400: 'Invalid request',
    415: 'Not JSON',
    401: 'No valid API token',
    403: "The token's creator lacks the privilege",
    404: "Not found, or outside the caller's Local Authority",
    409: 'A rule refused the change',
    412: 'The account changed since the version given in If-Match (its current ETag is returned)',
    429: 'Rate limit exceeded',
  };
  return Object.fromEntries(
    [401, 429, ...statuses].map((s) => [
      s,
      {
        description: descriptions[s] ?? 'Problem',
        content: { 'application/problem+json': { schema: { $ref: 'Problem#' } } },
      },
    ]),
  );
}
