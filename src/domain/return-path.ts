/**
 * Where to go back to after signing in (issue 13, item 4): a path on this site, or undefined.
 * Anything that could leave the site or split a header is refused rather than repaired: a
 * protocol-relative `//host` or `/\host` (browsers read both as another host), a scheme, a
 * backslash, whitespace or a control character, and an over-long value. The sign-in pages
 * themselves are refused too, so that signing in never lands on signing in.
 */
const MAX_LENGTH = 1000;
const PATH = /^\/(?![/\\])[A-Za-z0-9\-._~!$&'()*+,;=:@%/?]*$/;
const SIGN_IN_PAGES = /^\/(sign-in|sign-out)(\/|\?|$)/;

export function returnPath(raw: unknown): string | undefined {
  if (typeof raw !== 'string' || raw.length === 0 || raw.length > MAX_LENGTH) return undefined;
  if (!PATH.test(raw) || SIGN_IN_PAGES.test(raw)) return undefined;
  return raw;
}

/** `path` with the return path as its `returnTo` query parameter, when there is one. */
export function withReturnTo(path: string, returnTo: string | undefined): string {
  return returnTo ? `${path}?returnTo=${encodeURIComponent(returnTo)}` : path;
}
