import { accountHealthCounts } from '../../data/queries/account-health-queries.ts';
import type { Organisation } from '../../data/database.ts';
import { can, type Actor } from '../../domain/access.ts';
import {
  HEALTH_DAYS_AHEAD,
  INACTIVITY_BANDS,
  bandBoundaries,
  bucketCounts,
  lifecycleWeeks,
  type AccountHealth,
} from '../../domain/account-health.ts';
import type { ServiceDeps } from '../deps.ts';
import { organisationInScope } from '../organisation-scope.ts';
import type { LifecycleService } from './lifecycle-service.ts';

/**
 * An LA's account health (Home's chart, the digest's): the counts by bucket from the accounts,
 * and the weeks from the lifecycle preview itself — the same events /admin/lifecycle lists, so
 * the chart and the preview agree to the day.
 */
export function accountHealthOf({ db, schedule }: Pick<ServiceDeps, 'db' | 'schedule'>, lifecycle: LifecycleService) {
  return async (organisationId: number, now: Date, days = HEALTH_DAYS_AHEAD): Promise<AccountHealth> => {
    const [counts, events] = await Promise.all([
      accountHealthCounts(db, organisationId, bandBoundaries(now)),
      lifecycle.preview({ now, days, organisationId }),
    ]);
    return {
      now,
      days,
      buckets: bucketCounts({
        ...Object.fromEntries(INACTIVITY_BANDS.map((b, i) => [b.key, counts.bands[i] ?? 0])),
        warned: counts.warned,
        archived: counts.archived,
      }),
      weeks: lifecycleWeeks(events, now, days, schedule.policy.timezone),
    };
  };
}

export function createAccountHealthService(deps: ServiceDeps, lifecycle: LifecycleService) {
  const healthOf = accountHealthOf(deps, lifecycle);
  return {
    /**
     * Home's chart: for those who may list the LA's users (view_users, manage_users; central
     * support for the LA named by `la`), else nothing. An LA out of the actor's scope is "not
     * found", as on Admin > Users.
     */
    async forHome(actor: Actor, la?: unknown): Promise<{ organisation: Organisation; health: AccountHealth } | null> {
      if (!can(actor, 'users.list')) return null;
      const organisation = await organisationInScope(deps.db, actor, la, 'users.list');
      return { organisation, health: await healthOf(organisation.id, deps.clock.now()) };
    },
  };
}
