/**
 * Opaque, stable page cursors for the API (R56): the sort key of the last item returned, so the
 * next page starts after it whatever is added or removed meanwhile (keyset pagination, unlike
 * page numbers). Tagged with the list they belong to; anything else is refused.
 */
export function encodeCursor(kind: string, key: readonly (string | number)[]): string {
  return Buffer.from(JSON.stringify([kind, ...key]), 'utf8').toString('base64url');
}

export function decodeCursor(kind: string, cursor: string, shape: readonly ('string' | 'number')[]): (string | number)[] | undefined {
  if (cursor.length > 600 || !/^[A-Za-z0-9_-]+$/.test(cursor)) return undefined;
  try {
    const value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (!Array.isArray(value) || value[0] !== kind || value.length !== shape.length + 1) return undefined;
    const key = value.slice(1) as unknown[];
    return key.every((v, i) => typeof v === shape[i]) ? (key as (string | number)[]) : undefined;
  } catch {
    return undefined;
  }
}
