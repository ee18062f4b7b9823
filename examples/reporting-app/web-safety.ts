import type { FastifyRequest } from 'fastify';

/**
 * What every answer of the app carries, and what its log leaves out.
 */

/**
 * The app's headers: its pages load only from itself (the stylesheet), are never framed, never
 * sniffed as something else, send no Referer (a report's address names a school) and are never
 * cached (they show a person's claims; /styles.css replaces Cache-Control). form-action names Nexus
 * too: Chromium applies it to the redirects a form's answer makes, and the sign-out form's answer
 * goes on to Nexus's end-session endpoint.
 */
export function securityHeaders(issuer: URL): Record<string, string> {
  return {
    'content-security-policy': [
      "default-src 'self'",
      // The favicon is an empty data: URL, so the browser asks for no /favicon.ico.
      "img-src 'self' data:",
      "object-src 'none'",
      "base-uri 'none'",
      `form-action 'self' ${issuer.origin}`,
      "frame-ancestors 'none'",
    ].join('; '),
    'x-frame-options': 'DENY',
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'cache-control': 'no-store',
  };
}

/**
 * The request as the log shows it: the path without its query, because the callback's query holds
 * the authorization code and state. (Request bodies, such as a back-channel logout's token, are
 * never logged.)
 */
export const logSerializers = {
  req: (request: FastifyRequest) => ({
    method: request.method,
    url: request.url.split('?', 1)[0],
    remoteAddress: request.ip,
  }),
};
