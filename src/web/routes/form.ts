/**
 * Form bodies arrive as whatever a client sends: strings, arrays, nested objects or nothing.
 * Routes read them through these helpers, which keep only strings (first of repeated fields).
 */
export type FormBody = Record<string, string | undefined>;

export function formBody(body: unknown): FormBody {
  const out: FormBody = {};
  if (!body || typeof body !== 'object' || Array.isArray(body)) return out;
  for (const [key, value] of Object.entries(body as Record<string, unknown>)) {
    if (typeof value === 'string') out[key] = value;
    else if (Array.isArray(value) && typeof value[0] === 'string') out[key] = value[0];
  }
  return out;
}

/** All string values of a repeated field (checkboxes). */
export function formList(body: unknown, key: string): string[] {
  if (!body || typeof body !== 'object') return [];
  const value = (body as Record<string, unknown>)[key];
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === 'string');
  return [];
}

/** A value to show back in a form field, cut to a sane length. */
export function text(body: FormBody, key: string, max: number): string {
  return (body[key] ?? '').slice(0, max);
}
