import type { FastifyInstance } from 'fastify';
import { ValidationError } from '../../domain/errors.ts';
import type { Services } from '../../services/index.ts';
import { requireSignIn } from '../plugins/session.ts';
import { errorView } from '../plugins/views.ts';
import { formBody } from './form.ts';

const ACTIONS: Record<string, { label: string; tagClass: string }> = {
  warn: { label: 'Warned', tagClass: 'govuk-tag--yellow' },
  archive: { label: 'Archived', tagClass: 'govuk-tag--grey' },
  delete: { label: 'Deleted', tagClass: 'govuk-tag--red' },
};

/** Monday of the week of `date`, in UTC. */
function weekStart(date: Date): Date {
  const d = new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate()));
  d.setUTCDate(d.getUTCDate() - ((d.getUTCDay() + 6) % 7));
  return d;
}

/** /admin/lifecycle (R41): the coming days for the administrator's LA, grouped by week. */
export function lifecycleRoutes(services: Services) {
  return async (app: FastifyInstance) => {
    app.addHook('preHandler', requireSignIn);

    app.get('/admin/lifecycle', async (request, reply) => {
      const query = formBody(request.query);
      const actor = request.signedIn!.actor;
      let result;
      let errors = null;
      try {
        result = await services.lifecycleView.preview(actor, { la: query.la, days: query.days });
      } catch (error) {
        if (!(error instanceof ValidationError)) throw error;
        reply.code(400);
        errors = errorView(error.fields);
        result = await services.lifecycleView.preview(actor, { la: query.la });
      }
      const weeks = new Map<number, { start: Date; events: unknown[] }>();
      for (const e of result.events) {
        const start = weekStart(e.date);
        const week = weeks.get(start.getTime()) ?? { start, events: [] };
        week.events.push({ ...e, actionLabel: ACTIONS[e.action]?.label ?? e.action, tagClass: ACTIONS[e.action]?.tagClass ?? '' });
        weeks.set(start.getTime(), week);
      }
      return reply.page('admin/lifecycle/preview.njk', {
        pageTitle: 'Lifecycle – Admin', organisation: result.organisation, days: result.days, la: query.la && /^[0-9]{3}$/.test(query.la) ? query.la : undefined,
        weeks: [...weeks.values()], errors,
      });
    });
  };
}
