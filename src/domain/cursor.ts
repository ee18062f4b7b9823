import { hasUnstorable } from './text.ts';

/**
 * Opaque, stable page cursors for the API (R56): the sort key of the last item returned, so the
 * next page starts after it whatever is added or removed meanwhile (keyset pagination, unlike
 * page numbers). Tagged with the list they belong to; anything else is refused.
 */
export function encodeCursor(kind: string, key: readonly (string | number)[]): string {
  return Buffer.from(JSON.stringify([kind, ...key]), 'utf8').toString('base64url');
}

/**
 * What each part of a cursor's key must be. A cursor comes back from the client, so every part is
 * checked as strictly as any other input before it reaches a query: a text part that PostgreSQL
 * cannot store (NUL, a lone surrogate), an id that is not a UUID, or a number past bigint would
 * otherwise fail in the database instead of being refused.
 */
export type CursorPart = 'text' | 'uuid' | 'instant' | 'bigint';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const BIGINT_MAX = 9223372036854775807n;

function partIs(part: CursorPart, value: unknown): value is string {
  if (typeof value !== 'string') return false;
  switch (part) {
    case 'text':
      return value.length <= 200 && !hasUnstorable(value);
    case 'uuid':
      return UUID.test(value);
    case 'instant':
      return (
        /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z$/.test(value) && !Number.isNaN(new Date(value).getTime())
      );
    case 'bigint':
      return /^[0-9]{1,19}$/.test(value) && BigInt(value) <= BIGINT_MAX;
  }
}

/** The key of a cursor this API gave out for `kind`, or undefined for anything else. */
export function decodeCursor(kind: string, cursor: string, shape: readonly CursorPart[]): string[] | undefined {
  if (cursor.length > 600 || !/^[A-Za-z0-9_-]+$/.test(cursor)) return undefined;
  try {
    const value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (!Array.isArray(value) || value[0] !== kind || value.length !== shape.length + 1) return undefined;
    const key = value.slice(1) as unknown[];
    return key.every((v, i) => partIs(shape[i]!, v)) ? key : undefined;
  } catch {
    return undefined;
  }
}
