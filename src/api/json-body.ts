import type { FastifyInstance } from 'fastify';
import { cleanText } from '../domain/text.ts';

/** Deepest nesting accepted: far more than any schema here needs, far less than a stack overflow. */
const MAX_DEPTH = 20;

class JsonBodyError extends Error {
  readonly statusCode = 400;
  readonly code = 'NEXUS_BAD_JSON';
}

function clean(value: unknown, depth: number): unknown {
  if (depth > MAX_DEPTH) throw new JsonBodyError('The JSON body is nested too deeply');
  if (typeof value === 'string') return cleanText(value);
  if (Array.isArray(value)) return value.map((v) => clean(v, depth + 1));
  if (value && typeof value === 'object') {
    // No prototype: a member called __proto__ is just a member.
    const out = Object.create(null) as Record<string, unknown>;
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) out[cleanText(k)] = clean(v, depth + 1);
    return out;
  }
  return value;
}

/**
 * JSON bodies for a machine interface, in its own plugin scope (pages stay forms-only). Strings
 * are made storable as for forms (NUL and lone surrogates become U+FFFD), so they reach the
 * validators as text, not the database as an error.
 */
export function acceptJson(
  scope: FastifyInstance,
  contentTypes: readonly string[],
  bodyLimit: number,
  options: { withoutContentType?: boolean } = {},
): void {
  // Forms are for pages; here they would reach the schema as strings and confuse the error.
  if (scope.hasContentTypeParser('application/x-www-form-urlencoded'))
    scope.removeContentTypeParser('application/x-www-form-urlencoded');
  const parse = (body: string | Buffer, done: (error: Error | null, body?: unknown) => void) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    if (text.trim() === '') return done(null, undefined);
    try {
      done(null, clean(JSON.parse(text), 0));
    } catch (error) {
      done(error instanceof JsonBodyError ? error : new JsonBodyError('The body is not valid JSON'), undefined);
    }
  };
  for (const type of contentTypes) {
    if (scope.hasContentTypeParser(type)) scope.removeContentTypeParser(type);
    scope.addContentTypeParser(type, { parseAs: 'string', bodyLimit }, (_request, body, done) => parse(body, done));
  }
  if (options.withoutContentType) {
    // A body with no Content-Type at all is read as JSON (Okta's SCIM test sends some so); any
    // other named type is still refused.
    scope.addContentTypeParser('*', { parseAs: 'string', bodyLimit }, (request, body, done) => {
      if (request.headers['content-type'] === undefined) return parse(body, done);
      done(Object.assign(new Error('Unsupported Media Type'), { statusCode: 415 }), undefined);
    });
  }
}
