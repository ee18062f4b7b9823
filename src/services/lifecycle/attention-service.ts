import { attentionCounts } from '../../data/queries/attention-queries.ts';
import { overdueReviews } from '../../data/queries/review-queries.ts';
import { countSecurityAlerts } from '../../data/queries/security-alert-queries.ts';
import { can, type Actor } from '../../domain/access.ts';
import { addDays, addMonthsUtc, dateIn } from '../../domain/calendar.ts';
import type { ServiceDeps } from '../deps.ts';

export interface AttentionItem {
  text: string;
  href: string;
  count: number;
}

function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** What an administrator's home page points at first (DESIGN.md: "counts that need attention"). */
export function createAttentionService({ db, clock, config }: ServiceDeps) {
  return {
    async forHome(actor: Actor): Promise<AttentionItem[]> {
      if (actor.kind !== 'account') return [];
      const now = clock.now();
      const organisationId = actor.organisationId;
      const target = { organisationId };
      const items: AttentionItem[] = [];
      // R52: shown to those who answer for the LA's accounts, linking to the alerts themselves.
      if (can(actor, 'security-alerts.view', target)) {
        const alerts = await countSecurityAlerts(db, organisationId, addDays(now, -7));
        if (alerts > 0)
          items.push({
            count: alerts,
            text: `${plural(alerts, 'security alert', 'security alerts')} in the last 7 days`,
            href: '/admin/security-alerts',
          });
      }
      if (!can(actor, 'users.list', target)) return items;
      const months = config.digest.inactiveMonths;
      const counts = await attentionCounts(db, organisationId, {
        inactiveBefore: addMonthsUtc(now, -months),
        deletionBefore: addDays(now, 30),
      });
      if (counts.warned > 0) {
        items.push({
          count: counts.warned,
          text: `${plural(counts.warned, 'account has', 'accounts have')} been warned and will be archived unless they sign in`,
          href: '/admin/users?status=warned&sort=lastSignIn',
        });
      }
      if (counts.inactive > 0) {
        items.push({
          count: counts.inactive,
          text: `${plural(counts.inactive, 'account has', 'accounts have')} not signed in for ${months} months or more`,
          href: `/admin/users?inactiveMonths=${months}&sort=lastSignIn`,
        });
      }
      if (counts.deletions > 0 && can(actor, 'users.restore', target)) {
        items.push({
          count: counts.deletions,
          text: `${plural(counts.deletions, 'archived account is', 'archived accounts are')} due to be deleted in the next 30 days`,
          href: '/admin/archived-users',
        });
      }
      if (can(actor, 'reviews.manage', target)) {
        const overdue = await overdueReviews(db, organisationId, dateIn(now, config.lifecycle.timezone));
        if (overdue.length > 0)
          items.push({
            count: overdue.length,
            text: `${plural(overdue.length, 'access review is', 'access reviews are')} past the due date`,
            href: '/admin/reviews',
          });
      }
      return items;
    },
  };
}
