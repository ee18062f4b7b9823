import type { FastifyInstance } from 'fastify';
import { isCentralSupport } from '../../domain/access.ts';
import { isMachineInterface } from '../../http/paths.ts';
import type { Services } from '../../services/index.ts';

const COOKIE = 'nexus_la';

/**
 * Central support's Local Authority (issue 13, item 3), in one place for every page: choosing an
 * LA anywhere (`?la=202`: the Users picker, the Change page) keeps it in a cookie, and a page opened
 * without `la` gets it back, so the navigation, bookmarks and every page's own links stay in that
 * LA; `?la=` (empty) goes back to the central organisation. Only page views (GET) take the kept LA:
 * a form posts the LA its page was shown for (the `la` in its action), never one chosen since in
 * another tab. The cookie means nothing for anyone but central support.
 */
export function registerLaContext(app: FastifyInstance, services: Services): void {
  const cookie = { path: '/', httpOnly: true, sameSite: 'lax' as const, secure: services.config.secureCookies };
  app.decorateRequest('laContext', undefined);
  app.addHook('preHandler', async (request, reply) => {
    const actor = request.signedIn?.actor;
    if (!actor || !isCentralSupport(actor) || isMachineInterface(request.url)) return;
    const query = request.query as Record<string, unknown>;
    const raw: unknown = Array.isArray(query.la) ? query.la[0] : query.la;
    const asked = typeof raw === 'string' ? raw.trim() : undefined;
    const kept = request.cookies[COOKIE];
    if (asked === '') {
      reply.clearCookie(COOKIE, cookie);
      delete query.la;
      return;
    }
    const code = asked ?? kept;
    if (code === undefined) return;
    const organisation = await services.laContext.organisation(actor, code);
    // An unknown code is the page's to refuse (404), and the LA kept stays as it was.
    if (!organisation || organisation.la_code === null) {
      if (asked === undefined) reply.clearCookie(COOKIE, cookie);
      return;
    }
    if (asked !== undefined && asked !== kept) reply.setCookie(COOKIE, organisation.la_code, cookie);
    if (asked === undefined && (request.method === 'GET' || request.method === 'HEAD')) query.la = organisation.la_code;
    if (asked !== undefined || request.method === 'GET' || request.method === 'HEAD')
      request.laContext = { name: organisation.name, laCode: organisation.la_code };
  });
}
