import type { FastifyInstance } from 'fastify';
import { auditActionLabel } from '../../../domain/audit-labels.ts';
import { ValidationError } from '../../../domain/errors.ts';
import type { AuditQuery } from '../../../services/support/audit-view-service.ts';
import type { Services } from '../../../services/index.ts';
import { requestContext } from '../../../http/request-context.ts';
import { requireSignIn, signedIn } from '../../plugins/require-sign-in.ts';
import { errorView } from '../../plugins/views.ts';
import { sendCsv } from '../csv-reply.ts';
import { formBody } from '../form.ts';
import { fullName } from '../../../domain/names.ts';

function queryString(query: AuditQuery, page?: number): string {
  const params = new URLSearchParams();
  for (const key of ['la', 'action', 'from', 'to'] as const) if (query[key]) params.set(key, query[key]);
  if (page && page > 1) params.set('page', String(page));
  const s = params.toString();
  return s ? `?${s}` : '';
}

/** Audit views (R50): per account (a timeline) and per LA (a filterable table, CSV). */
export function adminAuditRoutes(services: Services) {
  return async (app: FastifyInstance) => {
    app.addHook('preHandler', requireSignIn);

    app.get<{ Params: { id: string } }>('/admin/users/:id/audit', async (request, reply) => {
      const actor = signedIn(request).actor;
      const { rows } = await services.audit.forAccount(actor, request.params.id);
      const user = await services.users.view(actor, request.params.id, 'users.view', requestContext(request));
      return reply.page('admin/user/audit.njk', {
        pageTitle: `Audit – ${fullName(user.account)} – Admin`,
        activeTab: 'audit',
        user,
        events: rows,
      });
    });

    app.get('/admin/audit', async (request, reply) => {
      const raw = formBody(request.query);
      const query: AuditQuery = {
        la: raw.la,
        action: raw.action,
        from: raw.from?.trim(),
        to: raw.to?.trim(),
        page: raw.page,
      };
      try {
        const result = await services.audit.forOrganisation(signedIn(request).actor, query, requestContext(request));
        return reply.page('admin/audit/list.njk', {
          pageTitle: 'Audit – Admin',
          query,
          result,
          errors: null,
          events: result.rows,
          actions: result.actions.map((a) => ({ value: a, text: auditActionLabel(a) })),
          exportHref: `/admin/audit/export.csv${queryString(query)}`,
          pagination: {
            previous: result.page > 1 ? { href: `/admin/audit${queryString(query, result.page - 1)}` } : undefined,
            next:
              result.page < result.pageCount
                ? { href: `/admin/audit${queryString(query, result.page + 1)}` }
                : undefined,
          },
        });
      } catch (error) {
        if (!(error instanceof ValidationError)) throw error;
        reply.code(400);
        const result = await services.audit.forOrganisation(
          signedIn(request).actor,
          { la: query.la },
          requestContext(request),
        );
        return reply.page('admin/audit/list.njk', {
          pageTitle: 'Audit – Admin',
          query: {
            la: query.la,
            action: '',
            from: String(query.from ?? '').slice(0, 20),
            to: String(query.to ?? '').slice(0, 20),
          },
          result,
          events: result.rows,
          actions: result.actions.map((a) => ({ value: a, text: auditActionLabel(a) })),
          exportHref: '/admin/audit/export.csv',
          pagination: {},
          errors: errorView(error.fields, ['action', 'from', 'to']),
        });
      }
    });

    app.get('/admin/audit/export.csv', async (request, reply) => {
      const raw = formBody(request.query);
      const { filename, csv } = await services.audit.exportCsv(
        signedIn(request).actor,
        { la: raw.la, action: raw.action, from: raw.from, to: raw.to },
        requestContext(request),
      );
      return sendCsv(reply, filename, csv);
    });
  };
}
