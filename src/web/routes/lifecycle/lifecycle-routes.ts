import type { FastifyInstance } from 'fastify';
import { weekStart } from '../../../domain/calendar.ts';
import { ValidationError } from '../../../domain/errors.ts';
import { eventTag } from '../../../services/lifecycle/lifecycle-service.ts';
import type { Services } from '../../../services/index.ts';
import { requireSignIn, signedIn } from '../../plugins/require-sign-in.ts';
import { errorView } from '../../plugins/views.ts';
import { formBody } from '../form.ts';

const TAG_CLASSES: Record<string, string> = {
  Warned: 'govuk-tag--yellow',
  Archived: 'govuk-tag--grey',
  Deleted: 'govuk-tag--red',
};

/** /admin/lifecycle (R41): the coming days for the administrator's LA, grouped by week. */
export function lifecycleRoutes(services: Services) {
  return async (app: FastifyInstance) => {
    app.addHook('preHandler', requireSignIn);

    app.get('/admin/lifecycle', async (request, reply) => {
      const query = formBody(request.query);
      const actor = signedIn(request).actor;
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
        const start = weekStart(e.date, services.config.lifecycle.timezone);
        const week = weeks.get(start.getTime()) ?? { start, events: [] };
        const { tag, reason } = eventTag(e.event);
        week.events.push({ ...e, actionLabel: tag, reason, tagClass: TAG_CLASSES[tag] ?? '' });
        weeks.set(start.getTime(), week);
      }
      return reply.page('admin/lifecycle/preview.njk', {
        pageTitle: 'Lifecycle – Admin',
        organisation: result.organisation,
        days: result.days,
        la: query.la && /^[0-9]{3}$/.test(query.la) ? query.la : undefined,
        weeks: [...weeks.values()],
        errors,
      });
    });
  };
}
