import type { FastifyInstance, FastifyRequest } from 'fastify';
import { cleanText } from '../../domain/text.ts';

/**
 * Form bodies arrive as whatever a client sends: strings, arrays, nested objects or nothing.
 * Routes read them through these helpers, which keep only strings (first of repeated fields).
 *
 * Strings are also made storable: PostgreSQL text cannot hold NUL, and JSON (audit details) cannot
 * hold a lone UTF-16 surrogate, so both become U+FFFD, the replacement character, as a browser
 * does with bytes it cannot decode. Every value then reaches the validators as ordinary text and
 * gets their ordinary error message, instead of failing in the database.
 */
export type FormBody = Record<string, string | undefined>;

export function formBody(body: unknown): FormBody {
  // No prototype: a field called __proto__ or constructor is just a field.
  const out: FormBody = Object.create(null) as FormBody;
  if (!body || typeof body !== 'object' || Array.isArray(body)) return out;
  for (const [key, value] of Object.entries(body as Record<string, unknown>)) {
    if (typeof value === 'string') out[key] = cleanText(value);
    else if (Array.isArray(value) && typeof value[0] === 'string') out[key] = cleanText(value[0]);
  }
  return out;
}

/** The parsed query string of a page request, as the untyped record it is (one cast, here). */
export function queryOf(request: FastifyRequest): Readonly<Record<string, unknown>> {
  const query: unknown = request.query;
  return query && typeof query === 'object' ? (query as Record<string, unknown>) : {};
}

/** All string values of a repeated field (checkboxes). */
export function formList(body: unknown, key: string): string[] {
  if (!body || typeof body !== 'object' || !Object.prototype.hasOwnProperty.call(body, key)) return [];
  const value = (body as Record<string, unknown>)[key];
  if (typeof value === 'string') return [cleanText(value)];
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === 'string').map(cleanText);
  return [];
}

/** A value to show back in a form field, cut to a sane length. */
export function text(body: FormBody, key: string, max: number): string {
  return (body[key] ?? '').slice(0, max);
}

/**
 * Pages are posted by browsers as application/x-www-form-urlencoded. Inside the calling route
 * plugin (content-type parsers are encapsulated), any other body type — JSON, plain text — is
 * refused with 415 before a handler sees it. Multipart has no parser anywhere, so it is 415 too.
 */
export function acceptFormsOnly(app: FastifyInstance): void {
  app.removeContentTypeParser(['application/json', 'text/plain']);
}
