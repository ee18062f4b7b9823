/**
 * Whether a database error is a unique violation (SQLSTATE 23505), optionally of one index: the
 * index, not an earlier look-up, decides between two writes that race.
 */
export function isUniqueViolation(error: unknown, constraint?: string): boolean {
  const e = error as { code?: unknown; constraint?: unknown; detail?: unknown; message?: unknown } | null;
  if (!e || e.code !== '23505') return false;
  if (constraint === undefined) return true;
  // node-postgres names the constraint; PGlite may only mention it in the message.
  return e.constraint === constraint || (typeof e.message === 'string' && e.message.includes(constraint));
}
