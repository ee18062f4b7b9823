import { sql, type Insertable, type Selectable } from 'kysely';
import type { AccessReviewItemsTable, AccessReviewsTable, Executor } from '../database.ts';

export type AccessReview = Selectable<AccessReviewsTable>;

/** Reviews of one LA, newest first, with their item counts. */
export async function reviewsOfOrganisation(db: Executor, organisationId: number) {
  return db
    .selectFrom('access_reviews')
    .select(['id', 'name', 'due_on', 'status', 'opened_at', 'opened_by_label', 'finished_at', 'finished_by_label'])
    .select((eb) => [
      eb
        .selectFrom('access_review_items')
        .select(sql<string>`count(*)`.as('n'))
        .whereRef('access_review_items.review_id', '=', 'access_reviews.id')
        .as('total'),
      eb
        .selectFrom('access_review_items')
        .select(sql<string>`count(*)`.as('n'))
        .whereRef('access_review_items.review_id', '=', 'access_reviews.id')
        .where('access_review_items.decision', 'is not', null)
        .as('decided'),
    ])
    .where('organisation_id', '=', organisationId)
    .orderBy('opened_at', 'desc')
    .orderBy('id')
    .execute();
}

/** A review's items with whether each account is still active (it may have been archived or deleted elsewhere). */
export async function itemsOfReview(db: Executor, reviewId: string, accountId?: string) {
  let query = db
    .selectFrom('access_review_items')
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
  return db
    .selectFrom('access_reviews')
    .select(['id', 'name', 'due_on'])
    .select((eb) => [
      eb
        .selectFrom('access_review_items')
        .select(sql<string>`count(*)`.as('n'))
        .whereRef('access_review_items.review_id', '=', 'access_reviews.id')
        .as('total'),
      eb
        .selectFrom('access_review_items')
        .select(sql<string>`count(*)`.as('n'))
        .whereRef('access_review_items.review_id', '=', 'access_reviews.id')
        .where('access_review_items.decision', 'is not', null)
        .as('decided'),
    ])
    .where('organisation_id', '=', organisationId)
    .where('status', '=', 'open')
    .where('due_on', '<', today)
    .orderBy('due_on')
    .execute();
}

export async function findReview(db: Executor, id: string): Promise<AccessReview | undefined> {
  return db.selectFrom('access_reviews').selectAll().where('id', '=', id).executeTakeFirst();
}

/**
 * The review, locked for the caller's transaction: `share` while a decision is saved (decisions
 * go on side by side; finishing waits), `update` to finish it.
 */
export async function lockReview(trx: Executor, id: string, mode: 'share' | 'update'): Promise<AccessReview> {
  const query = trx.selectFrom('access_reviews').selectAll().where('id', '=', id);
  return (mode === 'share' ? query.forShare() : query.forUpdate()).executeTakeFirstOrThrow();
}

/** One item of a review, locked for the caller's transaction. */
export async function lockReviewItem(trx: Executor, reviewId: string, accountId: string) {
  return trx
    .selectFrom('access_review_items')
    .selectAll()
    .where('review_id', '=', reviewId)
    .where('account_id', '=', accountId)
    .forUpdate()
    .executeTakeFirst();
}

export interface ItemDecision {
  still_employed: boolean | null;
  post_needs_access: boolean | null;
  pupil_level_right: boolean | null;
  cin_cla_right: boolean | null;
  decision: NonNullable<Selectable<AccessReviewItemsTable>['decision']>;
  note: string | null;
  decided_at: Date;
  decided_by: string | null;
  decided_by_label: string;
  /** One decision for many items: the four questions were not asked (all four null). */
  decided_in_bulk: boolean;
  /** JSON text, or null. */
  changed_to: string | null;
}

/** Records a decision on an item that is still at `version` (optimistic concurrency), moving it to the next version. */
export async function recordItemDecision(
  trx: Executor,
  reviewId: string,
  accountId: string,
  version: number,
  decision: ItemDecision,
): Promise<void> {
  await trx
    .updateTable('access_review_items')
    .set({ ...decision, version: sql`version + 1` })
    .where('review_id', '=', reviewId)
    .where('account_id', '=', accountId)
    .where('version', '=', version)
    .execute();
}

/** One review opens at a time per LA: a transaction-level advisory lock (namespace 49) keyed by the LA. */
export async function lockReviewsOf(trx: Executor, organisationId: number): Promise<void> {
  await sql`SELECT pg_advisory_xact_lock(49, ${organisationId})`.execute(trx);
}

/** The LA's open review, if any. */
export async function openReviewOf(db: Executor, organisationId: number): Promise<{ name: string } | undefined> {
  return db
    .selectFrom('access_reviews')
    .select('name')
    .where('organisation_id', '=', organisationId)
    .where('status', '=', 'open')
    .executeTakeFirst();
}

export async function insertReview(trx: Executor, review: Insertable<AccessReviewsTable>): Promise<void> {
  await trx.insertInto('access_reviews').values(review).execute();
}

/** A new review's items, 500 a statement. */
export async function insertReviewItems(
  trx: Executor,
  reviewId: string,
  items: readonly Omit<Insertable<AccessReviewItemsTable>, 'review_id'>[],
): Promise<void> {
  for (let i = 0; i < items.length; i += 500) {
    await trx
      .insertInto('access_review_items')
      .values(items.slice(i, i + 500).map((item) => ({ review_id: reviewId, ...item })))
      .execute();
  }
}

export async function markReviewFinished(
  trx: Executor,
  id: string,
  finished: { now: Date; by: string | null; byLabel: string },
): Promise<void> {
  await trx
    .updateTable('access_reviews')
    .set({
      status: 'finished',
      finished_at: finished.now,
      finished_by: finished.by,
      finished_by_label: finished.byLabel,
    })
    .where('id', '=', id)
    .execute();
}
