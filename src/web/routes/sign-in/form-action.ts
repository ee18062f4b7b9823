import type { FastifyInstance, FastifyReply } from 'fastify';
import { interactionPath } from '../../../domain/interaction-path.ts';
import { returnPath } from '../../../domain/return-path.ts';
import type { Services } from '../../../services/index.ts';
import { formBody, queryOf } from '../form.ts';

/**
 * Lets this page's forms lead to another origin: Chromium applies the Content-Security-Policy's
 * form-action to where a form's answer redirects, so a POST that redirects to the LA's provider or
 * to an application needs that origin beside 'self' — on this page only.
 */
export function allowFormActionTo(reply: FastifyReply, origin: string): void {
  const policy = reply.getHeader('content-security-policy');
  if (typeof policy === 'string')
    reply.header('content-security-policy', policy.replace("form-action 'self'", `form-action 'self' ${origin}`));
}

/**
 * Signing in to an application: the last step's answer redirects on to the application, so every
 * page of the sign-in (in the calling plugin) lets its forms lead to the application's origin too.
 */
export function letFormsLeadToApplication(app: FastifyInstance, services: Services): void {
  app.addHook('onSend', async (request, reply, payload) => {
    // Only a page has forms; a redirect's policy governs nothing (the page that posted the form does).
    if (!String(reply.getHeader('content-type') ?? '').startsWith('text/html')) return payload;
    // A step posted below an interaction returns to that interaction, whatever its form says.
    const { uid } = request.params as { uid?: unknown };
    const returnTo =
      typeof uid === 'string'
        ? returnPath(interactionPath(uid))
        : returnPath({ ...queryOf(request), ...formBody(request.body) }.returnTo);
    const origin = returnTo && (await services.applications.returnOriginOf(returnTo));
    if (origin) allowFormActionTo(reply, origin);
    return payload;
  });
}
