import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Services } from '../../services/index.ts';
import type { RequestContext } from '../../services/request-context.ts';

export function sessionCookieName(secure: boolean): string {
  // The __Host- prefix pins the cookie to this host and path over HTTPS.
  return secure ? '__Host-nexus_session' : 'nexus_session';
}

export function requestContext(request: FastifyRequest): RequestContext {
  return {
    ip: request.ip ?? null,
    userAgent: request.headers['user-agent']?.slice(0, 500) ?? null,
    requestId: request.id,
  };
}

/** Reads the session cookie on every request and resolves the signed-in person afresh (R18). */
export function registerSession(app: FastifyInstance, services: Services): void {
  const name = sessionCookieName(services.config.secureCookies);
  app.decorateRequest('signedIn', undefined);
  app.decorateRequest('sessionToken', undefined);
  app.addHook('onRequest', async (request) => {
    if (request.url.startsWith('/assets/') || request.url === '/health') return;
    const token = request.cookies[name];
    request.sessionToken = token;
    request.signedIn = await services.sessions.resolve(token);
  });
}

export function setSessionCookie(reply: FastifyReply, services: Services, token: string): void {
  reply.setCookie(sessionCookieName(services.config.secureCookies), token, {
    httpOnly: true,
    sameSite: 'lax',
    secure: services.config.secureCookies,
    path: '/',
  });
}

export function clearSessionCookie(reply: FastifyReply, services: Services): void {
  reply.clearCookie(sessionCookieName(services.config.secureCookies), {
    path: '/',
    httpOnly: true,
    sameSite: 'lax',
    secure: services.config.secureCookies,
  });
}

/** Route guard: pages for signed-in people send everyone else to sign in. */
export async function requireSignIn(request: FastifyRequest, reply: FastifyReply): Promise<void> {
  if (!request.signedIn) {
    await reply.redirect('/sign-in');
  }
}
