import { cleanText, hasUnstorable } from '../domain/text.ts';

/** Cleans, in place, the string values of a parsed query string or the path parameters. */
export function cleanValues(values: unknown): void {
  if (!values || typeof values !== 'object') return;
  const record = values as Record<string, unknown>;
  for (const [key, value] of Object.entries(record)) {
    if (typeof value === 'string') record[key] = cleanText(value);
    else if (Array.isArray(value)) record[key] = value.map((v: unknown) => (typeof v === 'string' ? cleanText(v) : v));
  }
}

export function unstorableParts(values: Record<string, unknown>): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const [key, value] of Object.entries(values)) {
    const texts = Array.isArray(value) ? value : [value];
    if (texts.some((v) => typeof v === 'string' && hasUnstorable(v)) || hasUnstorable(key)) {
      fields[hasUnstorable(key) ? 'query' : key] =
        'Remove the character that cannot be used (a NUL or an unpaired surrogate)';
    }
  }
  return fields;
}
