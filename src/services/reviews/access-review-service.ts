import type { Transaction } from 'kysely';
import { randomUUID } from 'node:crypto';
import type { Account, Database } from '../../data/database.ts';
import {
  activeAccountsOfOrganisation,
  findAccountById,
  findOrganisation,
  isUuid,
  privilegesOf,
  privilegesOfAccounts,
} from '../../data/queries/account-queries.ts';
import { auditEventsForAccount } from '../../data/queries/audit-queries.ts';
import {
  findReview,
  insertReview,
  insertReviewItems,
  itemsOfReview,
  lockReview,
  lockReviewItem,
  lockReviewsOf,
  markReviewFinished,
  openReviewOf,
  recordItemDecision,
  reviewsOfOrganisation,
  type ReviewItemRow,
} from '../../data/queries/review-queries.ts';
import { schoolsOfAccounts } from '../../data/queries/user-detail-queries.ts';
import {
  answerText,
  checkDecision,
  checkReviewForm,
  decisionRecord,
  describePrivileges,
  matchesFilter,
  NOT_ASKED,
  NOTE_MAX,
  ITEMS_PER_PAGE,
  pageOf,
  progress,
  QUESTIONS,
  recommendations,
  type Answers,
  type Decision,
  type ItemFilter,
  type ItemSnapshot,
  type ItemState,
  type QuestionKey,
} from '../../domain/access-reviews.ts';
import { authorise, decide as decideAccess, type Actor } from '../../domain/access.ts';
import { auditActionLabel } from '../../domain/audit-labels.ts';
import { dateIn } from '../../domain/calendar.ts';
import type { CinClaAgreementInput } from '../../domain/cin-cla-agreement.ts';
import { toCsv } from '../../domain/csv.ts';
import { ConflictError, NotFoundError, RuleError, ValidationError } from '../../domain/errors.ts';
import { fullName } from '../../domain/names.ts';
import { isUserType, sortPrivileges, userTypeLabel } from '../../domain/privileges.ts';
import { applyPrivileges, archiveInTransaction, assertNotLastAdministrator } from '../accounts/account-operations.ts';
import { deleteInTransaction } from '../accounts/erasure.ts';
import { audit, who } from '../audit.ts';
import { formatDate, formatDateTime, type ServiceDeps } from '../deps.ts';
import { organisationInScope } from '../organisation-scope.ts';
import type { RequestContext } from '../request-context.ts';

type Trx = Transaction<Database>;

export interface ItemDecisionInput {
  answers: Partial<Record<QuestionKey, string>>;
  decision: string;
  note: string;
  /** The item version the reviewer saw (optimistic concurrency). */
  version: string;
  /** For "change": the new Type of User and privileges (R14–R17). */
  userType?: string;
  privileges?: readonly string[];
  /** The agreement of CiN/CLA access (R16), when it is being given. */
  cinClaAgreedBy?: string;
  cinClaAgreedRole?: string;
  cinClaAgreedOn?: CinClaAgreementInput['cinClaAgreedOn'];
}

export interface BulkInput {
  decision: string;
  note: string;
  /** "accountId:version" of each selected item. */
  items: readonly string[];
}

const MAX_BULK = 500;

function snapshotOf(row: { snapshot: Record<string, unknown> }): ItemSnapshot {
  const s = row.snapshot as Partial<ItemSnapshot>;
  return {
    username: s.username ?? '',
    name: s.name ?? '',
    email: s.email ?? '',
    userType: s.userType ?? '',
    privileges: s.privileges ?? [],
    schools: s.schools ?? [],
    lastSignInAt: s.lastSignInAt ?? null,
    createdAt: s.createdAt ?? new Date(0).toISOString(),
  };
}

function stateOf(row: ReviewItemRow): ItemState {
  return {
    decision: row.decision,
    closedOutside: !row.account_active && row.decision === null,
    snapshot: snapshotOf(row),
  };
}

function answersOf(
  row: Pick<ReviewItemRow, 'still_employed' | 'post_needs_access' | 'pupil_level_right' | 'cin_cla_right'>,
): Answers {
  return {
    stillEmployed: row.still_employed,
    postNeedsAccess: row.post_needs_access,
    pupilLevelRight: row.pupil_level_right,
    cinClaRight: row.cin_cla_right,
  };
}

const typeName = (code: string) => (isUserType(code) ? userTypeLabel(code) : code);
const privilegeNames = (codes: readonly string[]) =>
  describePrivileges(codes)
    .map((p) => p.label)
    .join('; ');

/**
 * Access reviews (R49): an administrator reviews every active account of their LA against the
 * source's four questions. Decisions go through the same rules as the user pages (R15–R17,
 * tenant scope) inside one transaction per save, bulk included; a finished review is frozen.
 */
export function createAccessReviewService(deps: ServiceDeps & { inactiveMonths: number }) {
  const { db, clock, config } = deps;

  async function reviewFor(actor: Actor, id: string) {
    if (!isUuid(id)) throw new NotFoundError();
    const review = await findReview(db, id);
    if (!review) throw new NotFoundError();
    authorise(actor, 'reviews.manage', { organisationId: review.organisation_id });
    const organisation = await findOrganisation(db, review.organisation_id);
    if (!organisation) throw new Error(`The organisation of review ${review.id} is missing`);
    return { review, organisation };
  }

  function frozen(review: { finished_at: Date | null }): RuleError {
    return new RuleError(
      `This review was finished${review.finished_at ? ` on ${formatDate(review.finished_at, config.lifecycle.timezone)}` : ''} and cannot change. It is kept as a record.`,
    );
  }

  /** Locks the review against finishing while a decision is saved; refuses a finished one. */
  async function lockOpen(trx: Trx, reviewId: string) {
    const review = await lockReview(trx, reviewId, 'share');
    if (review.status !== 'open') throw frozen(review);
    return review;
  }

  /**
   * Who did it, as the record names them: "Ada Admin (camden.admin)". The record keeps the name,
   * which outlives the account (a reviewer may leave and be deleted).
   */
  async function nameOf(trx: Trx, actor: Actor): Promise<string> {
    if (actor.kind !== 'account') return actor.label;
    const account = await findAccountById(trx, actor.accountId);
    return account ? `${fullName(account)} (${account.username})` : actor.label;
  }

  /**
   * One decision in the caller's transaction: the item must still be at the version the reviewer
   * saw, then the account changes through the user pages' own rules, then the item is recorded.
   */
  async function decideInTransaction(
    trx: Trx,
    actor: Actor,
    review: { id: string; name: string },
    accountId: string,
    version: number,
    decision: Decision,
    answers: Answers,
    note: string | null,
    change: { userType?: string; privileges?: readonly string[] } & CinClaAgreementInput,
    ctx: RequestContext,
    now: Date,
    by: { label: string; inBulk: boolean },
  ): Promise<void> {
    const item = await lockReviewItem(trx, review.id, accountId);
    if (!item) throw new NotFoundError();
    if (item.version !== version) {
      const by = item.decided_by_label ?? 'another administrator';
      const what = item.decision
        ? `decided "${decisionRecord({ decision: item.decision, inBulk: item.decided_in_bulk, closedOutside: false })}"${item.decided_at ? ` at ${formatDateTime(item.decided_at, config.lifecycle.timezone)}` : ''}`
        : 'changed this item';
      throw new ConflictError(
        `${item.account_label}: ${by} ${what} while you were looking at it. Nothing you entered was saved. Check their decision below, then decide again if you need to.`,
      );
    }
    if (item.decision === 'archive' || item.decision === 'delete') {
      throw new RuleError(
        `${item.account_label} was already ${item.decision === 'archive' ? 'archived' : 'deleted'} in this review.`,
      );
    }
    const account = await findAccountById(trx, accountId);
    if (!account || account.status !== 'active') {
      throw new RuleError(
        `${item.account_label} is no longer active: the account was archived or deleted outside this review.`,
      );
    }
    const named = { review: { id: review.id, name: review.name } };
    const target = { organisationId: account.organisation_id, accountId: account.id };
    let changedTo: { userType: string; privileges: string[] } | null = null;
    if (decision === 'change') {
      authorise(actor, 'users.edit-privileges', target);
      const wanted = sortPrivileges(change.privileges ?? []);
      const held = await privilegesOf(trx, account.id);
      // Unknown codes are left for applyPrivileges to refuse; an unchanged set is a "keep", not a change.
      const unknown = (change.privileges ?? []).some((p) => !(wanted as string[]).includes(p));
      if (!unknown && change.userType === account.user_type && wanted.join() === sortPrivileges(held).join()) {
        throw new ValidationError({
          privileges: 'Choose a different Type of User or different privileges, or keep the account as it is',
        });
      }
      await applyPrivileges(trx, actor, account, change, ctx, now, named, dateIn(now, config.lifecycle.timezone));
      changedTo = { userType: change.userType ?? '', privileges: wanted };
    } else if (decision === 'archive' || decision === 'delete') {
      if (decideAccess(actor, decision === 'archive' ? 'users.archive' : 'users.delete', target) !== 'allow') {
        throw new RuleError(
          actor.kind === 'account' && actor.accountId === account.id
            ? `You cannot ${decision} your own account. Ask another administrator to decide this item.`
            : `You do not have permission to ${decision} ${item.account_label}.`,
        );
      }
      await assertNotLastAdministrator(trx, actor, account, `${decision} ${fullName(account)}`);
      if (decision === 'archive')
        await archiveInTransaction(trx, account, 'manual', who(actor), ctx, now, config, named);
      else await deleteInTransaction(trx, account, who(actor), ctx, now, config, named);
    }
    await recordItemDecision(trx, review.id, accountId, version, {
      still_employed: answers.stillEmployed,
      post_needs_access: answers.postNeedsAccess,
      pupil_level_right: answers.pupilLevelRight,
      cin_cla_right: answers.cinClaRight,
      decision,
      note,
      decided_at: now,
      decided_by: actor.kind === 'account' ? actor.accountId : null,
      decided_by_label: by.label,
      decided_in_bulk: by.inBulk,
      // A change made earlier in this review stays on the record when the item is decided again.
      changed_to: changedTo ? JSON.stringify(changedTo) : item.changed_to ? JSON.stringify(item.changed_to) : null,
    });
    await audit(trx, who(actor), ctx, now, {
      action: 'review.item-decided',
      organisationId: account.organisation_id,
      subjectAccountId: account.id,
      details: {
        ...named,
        decision,
        ...(by.inBulk ? { inBulk: true } : {}),
        ...(changedTo ? { userType: changedTo.userType, privileges: changedTo.privileges } : {}),
      },
    });
  }

  async function snapshotAccounts(
    trx: Trx,
    organisationId: number,
  ): Promise<{ account: Account; snapshot: ItemSnapshot }[]> {
    const accounts = await activeAccountsOfOrganisation(trx, organisationId);
    if (accounts.length === 0) return [];
    const ids = accounts.map((a) => a.id);
    const privileges = await privilegesOfAccounts(trx, ids);
    const schools = await schoolsOfAccounts(trx, ids);
    return accounts.map((account) => ({
      account,
      snapshot: {
        username: account.username,
        name: fullName(account),
        email: account.email,
        userType: account.user_type,
        privileges: sortPrivileges(privileges.filter((p) => p.account_id === account.id).map((p) => p.privilege)),
        schools: schools.filter((s) => s.account_id === account.id).map((s) => `${s.name} (${s.urn})`),
        lastSignInAt: account.last_sign_in_at ? new Date(account.last_sign_in_at).toISOString() : null,
        createdAt: new Date(account.created_at).toISOString(),
      },
    }));
  }

  /**
   * The review's record as people read it, for the evidence page and its CSV alike: names and
   * labels, dates as "4 December 2026", a bulk decision marked as one with its questions unasked.
   */
  async function evidenceRows(actor: Actor, id: string) {
    const { review, organisation } = await reviewFor(actor, id);
    const items = await itemsOfReview(db, review.id);
    const zone = config.lifecycle.timezone;
    return {
      review,
      organisation,
      rows: items.map((item) => {
        const s = snapshotOf(item);
        const changed = item.changed_to as { userType?: string; privileges?: string[] } | null;
        const record = { decision: item.decision, inBulk: item.decided_in_bulk };
        return {
          account: item.account_label,
          username: s.username,
          userType: typeName(s.userType),
          privileges: privilegeNames(s.privileges) || 'None',
          lastSignIn: s.lastSignInAt ? formatDate(new Date(s.lastSignInAt), zone) : 'Never',
          answers: QUESTIONS.map((q) => answerText(answersOf(item)[q.key], record)),
          decision: decisionRecord({ ...record, closedOutside: !item.account_active && item.decision === null }),
          inBulk: item.decision !== null && item.decided_in_bulk,
          changedToType: changed ? typeName(changed.userType ?? '') : '',
          changedToPrivileges: changed ? privilegeNames(changed.privileges ?? []) || 'None' : '',
          note: item.note ?? '',
          decidedBy: item.decided_by_label ?? '',
          decidedAt: item.decided_at ? formatDateTime(new Date(item.decided_at), zone) : '',
        };
      }),
    };
  }

  return {
    /** The LA's reviews: open ones and the history of finished ones. */
    async list(actor: Actor, la: unknown) {
      const organisation = await organisationInScope(db, actor, la, 'reviews.manage');
      const now = clock.now();
      const reviews = (await reviewsOfOrganisation(db, organisation.id)).map((r) => ({
        ...r,
        total: Number(r.total ?? 0),
        decided: Number(r.decided ?? 0),
        overdue: r.status === 'open' && r.due_on < now.toISOString().slice(0, 10),
      }));
      return {
        organisation,
        open: reviews.filter((r) => r.status === 'open'),
        finished: reviews.filter((r) => r.status === 'finished'),
      };
    },

    /** The organisation a new review would cover (the "Start a review" form). */
    async organisationFor(actor: Actor, la: unknown) {
      return organisationInScope(db, actor, la, 'reviews.manage');
    },

    /** Opens a review: every active account of the LA becomes an item, as it is now. */
    async open(
      actor: Actor,
      la: unknown,
      input: { name: string; dueOn: string },
      ctx: RequestContext,
    ): Promise<string> {
      const organisation = await organisationInScope(db, actor, la, 'reviews.manage');
      const now = clock.now();
      const { value, errors } = checkReviewForm(input, now);
      if (!value) throw new ValidationError(errors);
      const id = randomUUID();
      await db.transaction().execute(async (trx) => {
        // One open review per LA, so that two administrators share one piece of work.
        await lockReviewsOf(trx, organisation.id);
        const open = await openReviewOf(trx, organisation.id);
        if (open) throw new RuleError(`The review "${open.name}" is still open. Finish it before starting another.`);
        await insertReview(trx, {
          id,
          organisation_id: organisation.id,
          name: value.name,
          due_on: value.dueOn,
          status: 'open',
          opened_at: now,
          opened_by: actor.kind === 'account' ? actor.accountId : null,
          opened_by_label: await nameOf(trx, actor),
        });
        const items = await snapshotAccounts(trx, organisation.id);
        await insertReviewItems(
          trx,
          id,
          items.map(({ account, snapshot }) => ({
            account_id: account.id,
            account_label: `${snapshot.name} (${snapshot.username})`,
            snapshot: JSON.stringify(snapshot),
          })),
        );
        await audit(trx, who(actor), ctx, now, {
          action: 'review.opened',
          organisationId: organisation.id,
          subjectAccountId: null,
          details: { review: { id, name: value.name }, dueOn: value.dueOn, accounts: items.length },
        });
      });
      return id;
    },

    /**
     * The review page: progress over every item, and one page of the items that match the filter
     * (`page` as the address gives it; past the end, the last page).
     */
    async view(actor: Actor, id: string, filter: ItemFilter, page?: string) {
      const { review, organisation } = await reviewFor(actor, id);
      const now = clock.now();
      const rows = await itemsOfReview(db, review.id);
      const states = rows.map(stateOf);
      const matching = rows
        .map((row, i) => ({ row, state: states[i]! }))
        .filter((x) => matchesFilter(x.state, filter, now));
      const paging = pageOf(page, matching.length);
      return {
        review,
        organisation,
        now,
        progress: progress(states),
        inBulk: rows.filter((r) => r.decision !== null && r.decided_in_bulk).length,
        matching: matching.length,
        page: paging.page,
        pageCount: paging.pageCount,
        items: matching.slice(paging.offset, paging.offset + ITEMS_PER_PAGE).map((x) => ({
          ...x,
          snapshot: x.state.snapshot,
          recommendations: recommendations(x.state.snapshot, now, deps.inactiveMonths),
        })),
      };
    },

    /** One item: the account as it was at opening, its audit summary, and what the reviewer decided. */
    async item(actor: Actor, id: string, accountId: string) {
      const { review, organisation } = await reviewFor(actor, id);
      if (!isUuid(accountId)) throw new NotFoundError();
      const [row] = await itemsOfReview(db, review.id, accountId);
      if (!row) throw new NotFoundError();
      const now = clock.now();
      const snapshot = snapshotOf(row);
      const events = row.account_active ? await auditEventsForAccount(db, accountId, 5) : [];
      const current = row.account_active ? await privilegesOf(db, accountId) : [];
      const account = row.account_active ? await findAccountById(db, accountId) : undefined;
      return {
        review,
        organisation,
        row,
        snapshot,
        now,
        answers: answersOf(row),
        changedTo: row.changed_to as { userType?: string; privileges?: string[] } | null,
        recommendations: recommendations(snapshot, now, deps.inactiveMonths),
        current: { userType: account?.user_type ?? snapshot.userType, privileges: sortPrivileges(current) as string[] },
        auditSummary: events.map((e) => ({
          when: e.occurred_at,
          label: auditActionLabel(e.action),
          by: e.actor_label,
        })),
        canDecide:
          review.status === 'open' && row.account_active && row.decision !== 'archive' && row.decision !== 'delete',
      };
    },

    async decide(
      actor: Actor,
      id: string,
      accountId: string,
      input: ItemDecisionInput,
      ctx: RequestContext,
    ): Promise<Decision> {
      const { review } = await reviewFor(actor, id);
      if (!isUuid(accountId)) throw new NotFoundError();
      if (review.status !== 'open') throw frozen(review);
      const { value, errors } = checkDecision(input);
      const version = /^[0-9]{1,9}$/.test(input.version) ? Number(input.version) : NaN;
      if (!value) throw new ValidationError(errors);
      if (Number.isNaN(version))
        throw new ValidationError({ decision: 'This form is out of date. Reload the page and try again.' });
      const now = clock.now();
      await db.transaction().execute(async (trx) => {
        const locked = await lockOpen(trx, review.id);
        await decideInTransaction(
          trx,
          actor,
          locked,
          accountId,
          version,
          value.decision,
          value.answers,
          value.note,
          {
            userType: input.userType,
            privileges: input.privileges,
            cinClaAgreedBy: input.cinClaAgreedBy,
            cinClaAgreedRole: input.cinClaAgreedRole,
            cinClaAgreedOn: input.cinClaAgreedOn,
          },
          ctx,
          now,
          { label: await nameOf(trx, actor), inBulk: false },
        );
      });
      return value.decision;
    },

    /**
     * The same decision for many items ("keep these 20"), all or nothing: if one fails (R17, a
     * conflict, an account closed elsewhere) the whole transaction rolls back and the message
     * names the account.
     */
    async bulk(actor: Actor, id: string, input: BulkInput, ctx: RequestContext): Promise<number> {
      const { review } = await reviewFor(actor, id);
      if (review.status !== 'open') throw frozen(review);
      const errors: Record<string, string> = {};
      const decision =
        input.decision === 'keep' || input.decision === 'archive' || input.decision === 'delete'
          ? input.decision
          : undefined;
      if (!decision) errors.decision = 'Choose keep, archive or delete for the selected accounts';
      const note = input.note.trim();
      if (note.length > NOTE_MAX) errors.note = `The note must be ${NOTE_MAX} characters or fewer`;
      else if (!note && decision && decision !== 'keep') errors.note = 'Enter a note saying why, for the record';
      const selected = [...new Set(input.items)];
      if (selected.length === 0) errors.items = 'Select the accounts to decide';
      else if (selected.length > MAX_BULK) errors.items = `Select ${MAX_BULK} accounts or fewer at a time`;
      const parsed = selected.map((v) => /^([0-9a-f-]{36}):([0-9]{1,9})$/i.exec(v));
      if (parsed.some((m) => !m || !isUuid(m[1]!))) errors.items = 'Select accounts from the list';
      if (Object.keys(errors).length > 0 || !decision) throw new ValidationError(errors);
      const now = clock.now();
      await db.transaction().execute(async (trx) => {
        const locked = await lockOpen(trx, review.id);
        const by = { label: await nameOf(trx, actor), inBulk: true };
        // Items are locked in one order, so that two bulk decisions over the same items wait rather than deadlock.
        const ordered = [...parsed].sort((a, b) => a![1]!.toLowerCase().localeCompare(b![1]!.toLowerCase()));
        for (const m of ordered) {
          try {
            await decideInTransaction(
              trx,
              actor,
              locked,
              m![1]!.toLowerCase(),
              Number(m![2]),
              decision,
              NOT_ASKED,
              note || null,
              {},
              ctx,
              now,
              by,
            );
          } catch (error) {
            // An id that is not an item of this review is a bad selection, not a missing page.
            if (error instanceof NotFoundError) throw new ValidationError({ items: 'Select accounts from the list' });
            throw error;
          }
        }
      });
      return parsed.length;
    },

    /** Finishes a review once every item is decided (or its account closed elsewhere); it is then frozen. */
    async finish(actor: Actor, id: string, ctx: RequestContext): Promise<void> {
      const { review } = await reviewFor(actor, id);
      const now = clock.now();
      await db.transaction().execute(async (trx) => {
        const locked = await lockReview(trx, review.id, 'update');
        if (locked.status !== 'open') throw frozen(locked);
        const counts = progress((await itemsOfReview(trx, review.id)).map(stateOf));
        if (!counts.complete) {
          throw new RuleError(
            `${counts.undecided} ${counts.undecided === 1 ? 'account is' : 'accounts are'} not decided yet. Decide every account before finishing the review.`,
          );
        }
        await markReviewFinished(trx, review.id, {
          now,
          by: actor.kind === 'account' ? actor.accountId : null,
          byLabel: await nameOf(trx, actor),
        });
        await audit(trx, who(actor), ctx, now, {
          action: 'review.finished',
          organisationId: review.organisation_id,
          subjectAccountId: null,
          details: {
            review: { id: review.id, name: review.name },
            ...counts.byDecision,
            closedOutside: counts.closedOutside,
          },
        });
      });
    },

    /** The record of a finished review (who, when, each decision and note) for Information Governance. */
    async evidence(actor: Actor, id: string) {
      const result = await evidenceRows(actor, id);
      if (result.review.status !== 'finished')
        throw new RuleError('The evidence is the record of a finished review. Finish the review first.');
      return result;
    },

    async evidenceCsv(actor: Actor, id: string): Promise<{ filename: string; csv: string }> {
      const { review, organisation, rows } = await this.evidence(actor, id);
      const header = [
        'Review',
        'Local Authority',
        'Opened',
        'Opened by',
        'Finished',
        'Finished by',
        'Account',
        'Username',
        'Type of User at opening',
        'Privileges at opening',
        'Last sign-in at opening',
        ...QUESTIONS.map((q) => q.text),
        'Decision',
        'Changed to Type of User',
        'Changed to privileges',
        'Note',
        'Decided by',
        'Decided at',
      ];
      const zone = config.lifecycle.timezone;
      const meta = [
        review.name,
        organisation.name,
        formatDateTime(new Date(review.opened_at), zone),
        review.opened_by_label,
        review.finished_at ? formatDateTime(new Date(review.finished_at), zone) : '',
        review.finished_by_label ?? '',
      ];
      const csv = toCsv(
        header,
        rows.map((r) => [
          ...meta,
          r.account,
          r.username,
          r.userType,
          r.privileges,
          r.lastSignIn,
          ...r.answers,
          r.decision,
          r.changedToType,
          r.changedToPrivileges,
          r.note,
          r.decidedBy,
          r.decidedAt,
        ]),
      );
      return {
        filename: `access-review-${organisation.la_code ?? 'central'}-${new Date(review.opened_at).toISOString().slice(0, 10)}.csv`,
        csv,
      };
    },
  };
}
