import type { FastifyInstance, FastifyReply } from 'fastify';
import { sessionCookieName } from '../domain/session-cookie.ts';
import type { Services } from '../services/index.ts';

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

/**
 * Written into the reply's headers at once, not by the cookie plugin's onSend hook: a sign-in inside
 * an application's interaction hands its reply to the OpenID Connect provider, and a hijacked reply
 * runs no hook.
 */
export function setSessionCookie(reply: FastifyReply, services: Services, token: string): void {
  reply.header(
    'set-cookie',
    reply.server.serializeCookie(sessionCookieName(services.config.secureCookies), token, {
      httpOnly: true,
      sameSite: 'lax',
      secure: services.config.secureCookies,
      path: '/',
    }),
  );
}

export function clearSessionCookie(reply: FastifyReply, services: Services): void {
  reply.clearCookie(sessionCookieName(services.config.secureCookies), {
    path: '/',
    httpOnly: true,
    sameSite: 'lax',
    secure: services.config.secureCookies,
  });
}
