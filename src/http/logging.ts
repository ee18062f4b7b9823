import type { FastifyServerOptions } from 'fastify';

/**
 * Paths that carry a secret are logged without it: single-use links, and the query of an
 * OpenID Connect answer or request (a code, state, PKCE challenge or ID token hint).
 */
export function redactUrl(url: string): string {
  return url
    .replace(/^\/(invitation|reset-password)\/[^/?#]+/, '/$1/[redacted]')
    .replace(/^(\/sign-in\/la-account\/callback|\/oidc\/[^?#]*)\?.*$/s, '$1?[redacted]');
}

/** Logger settings for the server: requests are logged without cookies, tokens or link secrets. */
export function loggerOptions(level: string): FastifyServerOptions['logger'] {
  return {
    level,
    redact: ['req.headers.cookie', 'req.headers.authorization', 'res.headers["set-cookie"]'],
    serializers: {
      req: (request: { method: string; url: string; ip?: string; id?: string }) => ({
        method: request.method,
        url: redactUrl(request.url),
        ip: request.ip,
        id: request.id,
      }),
    },
  };
}
