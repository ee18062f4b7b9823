import { sql } from 'kysely';
import { can, type Actor } from '../domain/access.ts';
import { addDays, addMonthsUtc } from '../domain/calendar.ts';
import { overdueReviews } from '../data/queries/review-queries.ts';
import type { ServiceDeps } from './deps.ts';

export interface AttentionItem {
  text: string;
  href: string;
  count: number;
}

/** What an administrator's home page points at first (DESIGN.md: "counts that need attention"). */
export function createAttentionService({ db, clock }: ServiceDeps) {
  return {
    async forHome(actor: Actor): Promise<AttentionItem[]> {
      if (actor.kind !== 'account' || !can(actor, 'users.list', { organisationId: actor.organisationId })) return [];
      const now = clock.now();
      const organisationId = actor.organisationId;
      const yearAgo = addMonthsUtc(now, -12);
      const [inactive, alerts, deletions] = await Promise.all([
        db.selectFrom('accounts').select(sql<string>`count(*)`.as('n'))
          .where('organisation_id', '=', organisationId).where('status', '=', 'active')
          .where(sql<boolean>`GREATEST(last_sign_in_at, created_at, restored_at) <= ${yearAgo}`).executeTakeFirstOrThrow(),
        db.selectFrom('audit_events').select(sql<string>`count(*)`.as('n'))
          .where('organisation_id', '=', organisationId).where('security_alert', '=', true).where('occurred_at', '>=', addDays(now, -7)).executeTakeFirstOrThrow(),
        db.selectFrom('accounts').select(sql<string>`count(*)`.as('n'))
          .where('organisation_id', '=', organisationId).where('status', '=', 'archived')
          .where('deletion_due_at', '<=', addDays(now, 30)).executeTakeFirstOrThrow(),
      ]);
      const items: AttentionItem[] = [];
      const n = (row: { n: string }) => Number(row.n);
      if (n(alerts) > 0) {
        items.push({ count: n(alerts), text: `${n(alerts)} security ${n(alerts) === 1 ? 'alert' : 'alerts'} in the last 7 days`, href: can(actor, 'audit.view') ? '/admin/audit' : '/admin/users' });
      }
      if (n(inactive) > 0) {
        items.push({ count: n(inactive), text: `${n(inactive)} ${n(inactive) === 1 ? 'account has' : 'accounts have'} not signed in for 12 months or more`, href: '/admin/users?inactiveMonths=12&sort=lastSignIn' });
      }
      if (n(deletions) > 0 && can(actor, 'users.restore')) {
        items.push({ count: n(deletions), text: `${n(deletions)} archived ${n(deletions) === 1 ? 'account is' : 'accounts are'} due to be deleted in the next 30 days`, href: '/admin/archived-users' });
      }
      if (can(actor, 'reviews.manage')) {
        const overdue = await overdueReviews(db, organisationId, now.toISOString().slice(0, 10));
        if (overdue.length > 0) {
          items.push({ count: overdue.length, text: `${overdue.length} access ${overdue.length === 1 ? 'review is' : 'reviews are'} past the due date`, href: '/admin/reviews' });
        }
      }
      return items;
    },
  };
}
