import { findOrganisation, findOrganisationByCode } from '../data/queries/account-queries.ts';
import type { Actor } from '../domain/access.ts';
import { NotFoundError, ValidationError } from '../domain/errors.ts';
import type { LifecycleJob } from '../jobs/lifecycle-job.ts';
import { authorise } from './account-service.ts';
import type { ServiceDeps } from './deps.ts';

export const MAX_PREVIEW_DAYS = 366;

/** The lifecycle preview (R41) for an administrator's LA: who is warned, archived or deleted, and when. */
export function createLifecycleViewService({ db, clock }: ServiceDeps, job: LifecycleJob) {
  return {
    async preview(actor: Actor, options: { la?: string; days?: string }) {
      if (actor.kind !== 'account') throw new NotFoundError();
      const la = options.la && /^[0-9]{3}$/.test(options.la) ? options.la : undefined;
      const organisation = la ? await findOrganisationByCode(db, la) : await findOrganisation(db, actor.organisationId);
      if (!organisation) throw new NotFoundError();
      authorise(actor, 'lifecycle.view', { organisationId: organisation.id });
      let days = 30;
      if (options.days !== undefined && options.days !== '') {
        if (!/^[0-9]{1,3}$/.test(options.days) || Number(options.days) < 1 || Number(options.days) > MAX_PREVIEW_DAYS) {
          throw new ValidationError({ days: `Enter a number of days from 1 to ${MAX_PREVIEW_DAYS}` });
        }
        days = Number(options.days);
      }
      const now = clock.now();
      const events = await job.preview({ now, days, organisationId: organisation.id });
      return { organisation, days, now, events };
    },
  };
}
