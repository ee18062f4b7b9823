import type { Actor } from '../../domain/access.ts';
import { ValidationError } from '../../domain/errors.ts';
import type { ServiceDeps } from '../deps.ts';
import { organisationInScope } from '../organisation-scope.ts';
import type { LifecycleService } from './lifecycle-service.ts';

export const MAX_PREVIEW_DAYS = 366;

/** The lifecycle preview (R41) for an administrator's LA: who is warned, archived or deleted, and when. */
export function createLifecycleViewService({ db, clock }: ServiceDeps, lifecycle: LifecycleService) {
  return {
    async preview(actor: Actor, options: { la?: string; days?: string }) {
      const organisation = await organisationInScope(db, actor, options.la, 'lifecycle.view');
      let days = 30;
      if (options.days !== undefined && options.days !== '') {
        if (!/^[0-9]{1,3}$/.test(options.days) || Number(options.days) < 1 || Number(options.days) > MAX_PREVIEW_DAYS) {
          throw new ValidationError({ days: `Enter a number of days from 1 to ${MAX_PREVIEW_DAYS}` });
        }
        days = Number(options.days);
      }
      const now = clock.now();
      const events = await lifecycle.preview({ now, days, organisationId: organisation.id });
      return { organisation, days, now, events };
    },
  };
}
