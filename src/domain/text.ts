/**
 * Text that cannot be stored: PostgreSQL text cannot hold NUL, and JSON (audit details) cannot hold
 * a lone UTF-16 surrogate. Every input is either cleaned of these (form fields: cleanText) or
 * refused (addresses, cursors, files), never passed on to fail in the database.
 */
// eslint-disable-next-line no-control-regex
const UNSTORABLE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const UNSTORABLE_ALL = new RegExp(UNSTORABLE.source, 'g');

export function hasUnstorable(value: string): boolean {
  return UNSTORABLE.test(value);
}

/** Each unstorable character becomes U+FFFD, the replacement character, as a browser does with bytes it cannot decode. */
export function cleanText(value: string): string {
  return value.replace(UNSTORABLE_ALL, '\ufffd');
}
