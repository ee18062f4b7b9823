import { ValidationError } from '../domain/errors.ts';

/** An account's version as an HTTP entity tag (RFC 9110 §8.8.3): a strong tag, `"7"`. */
export function versionTag(version: number): string {
  return `"${version}"`;
}

/**
 * The version an `If-Match` header asks for (RFC 9110 §13.1.1): undefined when there is none or
 * it is `*` (any current version). A weak tag (W/"7") is taken as its version: the API has no
 * representation variants, so weak and strong name the same thing. Anything else is a 400.
 */
export function expectedVersion(header: string | string[] | undefined): number | undefined {
  if (header === undefined) return undefined;
  const value = (Array.isArray(header) ? header.join(',') : header).trim();
  if (value === '*') return undefined;
  const match = /^(?:W\/)?"([0-9]{1,9})"$/.exec(value);
  if (!match)
    throw new ValidationError(
      { 'If-Match': 'Give one version as an entity tag, for example "7", from the ETag of the account' },
      'The If-Match header is not a version of this account',
    );
  return Number(match[1]);
}

/** The request header a change may carry, as route schemas (and so the OpenAPI document) state it. */
export const IF_MATCH_HEADERS = {
  type: 'object',
  properties: {
    'if-match': {
      type: 'string',
      maxLength: 100,
      description:
        'The ETag of the account as you read it (GET /users/{id}), e.g. "7": the change is refused with 412 if the account has changed since',
    },
  },
} as const;
