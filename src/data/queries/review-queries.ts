import { sql } from 'kysely';
import type { Executor } from '../database.ts';

/** Reviews of one LA, newest first, with their item counts. */
export async function reviewsOfOrganisation(db: Executor, organisationId: number) {
  return db.selectFrom('access_reviews')
    .select(['id', 'name', 'due_on', 'status', 'opened_at', 'opened_by_label', 'finished_at', 'finished_by_label'])
    .select((eb) => [
      eb.selectFrom('access_review_items').select(sql<string>`count(*)`.as('n')).whereRef('access_review_items.review_id', '=', 'access_reviews.id').as('total'),
      eb.selectFrom('access_review_items').select(sql<string>`count(*)`.as('n')).whereRef('access_review_items.review_id', '=', 'access_reviews.id')
        .where('access_review_items.decision', 'is not', null).as('decided'),
    ])
    .where('organisation_id', '=', organisationId)
    .orderBy('opened_at', 'desc').orderBy('id')
    .execute();
}

/** A review's items with whether each account is still active (it may have been archived or deleted elsewhere). */
export async function itemsOfReview(db: Executor, reviewId: string, accountId?: string) {
  let query = db.selectFrom('access_review_items')
    .leftJoin('accounts', 'accounts.id', 'access_review_items.account_id')
    .selectAll('access_review_items')
    .select(sql<boolean>`coalesce(accounts.status = 'active', false)`.as('account_active'))
    .where('access_review_items.review_id', '=', reviewId);
  if (accountId !== undefined) query = query.where('access_review_items.account_id', '=', accountId);
  return query.orderBy('access_review_items.account_label').orderBy('access_review_items.account_id').execute();
}

export type ReviewItemRow = Awaited<ReturnType<typeof itemsOfReview>>[number];

/** Open reviews past their due date, for the weekly digest. */
export async function overdueReviews(db: Executor, organisationId: number, today: string) {
  return db.selectFrom('access_reviews')
    .select(['id', 'name', 'due_on'])
    .select((eb) => [
      eb.selectFrom('access_review_items').select(sql<string>`count(*)`.as('n')).whereRef('access_review_items.review_id', '=', 'access_reviews.id').as('total'),
      eb.selectFrom('access_review_items').select(sql<string>`count(*)`.as('n')).whereRef('access_review_items.review_id', '=', 'access_reviews.id')
        .where('access_review_items.decision', 'is not', null).as('decided'),
    ])
    .where('organisation_id', '=', organisationId).where('status', '=', 'open').where('due_on', '<', today)
    .orderBy('due_on').execute();
}
