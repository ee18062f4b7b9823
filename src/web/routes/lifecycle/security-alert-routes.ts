import type { FastifyInstance } from 'fastify';
import type { Services } from '../../../services/index.ts';
import { requireSignIn, signedIn } from '../../plugins/require-sign-in.ts';
import { formBody } from '../form.ts';

/** /admin/security-alerts (R52): sign-in attempts to the LA's archived accounts, newest first. */
export function securityAlertRoutes(services: Services) {
  return async (app: FastifyInstance) => {
    app.addHook('preHandler', requireSignIn);

    app.get('/admin/security-alerts', async (request, reply) => {
      const query = formBody(request.query);
      const page = /^[0-9]{1,6}$/.test(query.page ?? '') && Number(query.page) >= 1 ? Number(query.page) : 1;
      const la = query.la && /^[0-9]{3}$/.test(query.la) ? query.la : undefined;
      const result = await services.securityAlerts.list(signedIn(request).actor, { la, page });
      const href = (n: number) =>
        `/admin/security-alerts?${new URLSearchParams({ ...(la ? { la } : {}), page: String(n) }).toString()}`;
      return reply.page('admin/security-alerts/list.njk', {
        pageTitle: `Security alerts of ${result.organisation.name} – Admin`,
        result,
        retentionMonths: services.config.securityAlertRetentionMonths,
        pagination:
          result.pageCount > 1
            ? {
                previous: page > 1 ? { href: href(page - 1) } : undefined,
                next: page < result.pageCount ? { href: href(page + 1) } : undefined,
              }
            : undefined,
      });
    });
  };
}
