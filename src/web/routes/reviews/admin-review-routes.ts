import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import {
  DECISION_LABELS,
  ITEMS_PER_PAGE,
  QUESTIONS,
  SENSITIVE_PRIVILEGES,
  SENSITIVE_SHORT_NAMES,
  answerText,
  decisionRecord,
  decisionSentence,
  describePrivileges,
  monthsInactive,
  parseFilter,
  type ItemFilter,
} from '../../../domain/access-reviews.ts';
import { ConflictError, RuleError, ValidationError } from '../../../domain/errors.ts';
import { USER_TYPES, isUserType, userTypeLabel } from '../../../domain/privileges.ts';
import { cannotGiveNote, privilegeChoices } from '../../privilege-choices.ts';
import { EMPTY_AGREEMENT, agreementForm, agreementInput, linkDateToDay } from '../../agreement-form.ts';
import { monthsAgo } from '../../../domain/relative-time.ts';
import type { Services } from '../../../services/index.ts';
import { requestContext } from '../../../http/request-context.ts';
import { requireSignIn, signedIn } from '../../plugins/require-sign-in.ts';
import { errorView } from '../../plugins/views.ts';
import { sendCsv } from '../csv-reply.ts';
import { formBody, formList, text } from '../form.ts';

type ReviewRequest = FastifyRequest<{ Params: { id: string } }>;
type ItemRequest = FastifyRequest<{ Params: { id: string; accountId: string } }>;

const DECISION_TAGS: Record<string, string> = {
  keep: 'govuk-tag--green',
  change: 'govuk-tag--blue',
  archive: 'govuk-tag--orange',
  delete: 'govuk-tag--red',
};
const ITEM_FIELDS = [
  'stillEmployed',
  'postNeedsAccess',
  'pupilLevelRight',
  'cinClaRight',
  'decision',
  'userType',
  'privileges',
  'cinClaAgreedBy',
  'cinClaAgreedRole',
  'cinClaAgreedOn',
  'note',
];
const typeName = (code: string) => (isUserType(code) ? userTypeLabel(code) : code);

/** The review page's address query for a filter and page (page 1 is left out). */
function filterQuery(filter: ItemFilter, page = 1, extra: Record<string, string> = {}): string {
  const params = new URLSearchParams();
  if (filter.undecided) params.set('show', 'undecided');
  if (filter.inactiveMonths !== null) params.set('inactiveMonths', String(filter.inactiveMonths));
  if (filter.privilege) params.set('privilege', filter.privilege);
  if (page > 1) params.set('page', String(page));
  for (const [k, v] of Object.entries(extra)) params.set(k, v);
  const s = params.toString();
  return s ? `?${s}` : '';
}

/** GOV.UK pagination: first, last, and two either side of the current page, with ellipses between. */
function paginationOf(page: number, pageCount: number, href: (page: number) => string) {
  return {
    previous: page > 1 ? { href: href(page - 1) } : undefined,
    next: page < pageCount ? { href: href(page + 1) } : undefined,
    items: Array.from({ length: pageCount }, (_, i) => i + 1)
      .filter((n) => n === 1 || n === pageCount || Math.abs(n - page) <= 2)
      .flatMap((n, i, all) => [
        ...(i > 0 && n - all[i - 1]! > 1 ? [{ ellipsis: true }] : []),
        { number: n, href: href(n), current: n === page },
      ]),
  };
}

/**
 * Where to go back to after a bulk decision: the same review's page with its filters, as the form
 * sent it, or else the review's page. Only a plain path and query of that review qualifies (no
 * second slash, no control characters, which a Location header cannot carry).
 */
function sameReviewPath(reviewId: string, returnTo: string | undefined): string {
  const home = `/admin/reviews/${encodeURIComponent(reviewId)}`;
  if (!returnTo || !returnTo.startsWith(home)) return home;
  const rest = returnTo.slice(home.length);
  return /^(\?[A-Za-z0-9._~%+=&-]{0,500})?$/.test(rest) ? returnTo : home;
}

/** Access reviews (R49): list and history, start, the review with filters and bulk decisions, items, finish, evidence. */
export function adminReviewRoutes(services: Services) {
  return async (app: FastifyInstance) => {
    app.addHook('preHandler', requireSignIn);

    app.get('/admin/reviews', async (request, reply) => {
      const { organisation, open, finished } = await services.reviews.list(
        signedIn(request).actor,
        formBody(request.query).la,
      );
      return reply.page('admin/reviews/list.njk', {
        pageTitle: 'Access reviews – Admin',
        organisation,
        open,
        finished,
        la: formBody(request.query).la,
      });
    });

    async function newPage(
      request: FastifyRequest,
      reply: FastifyReply,
      form: { name: string; dueOn: string },
      extra: Record<string, unknown> = {},
    ) {
      const organisation = await services.reviews.organisationFor(signedIn(request).actor, formBody(request.query).la);
      return reply.page('admin/reviews/new.njk', {
        pageTitle: 'Start an access review – Admin',
        organisation,
        form,
        la: formBody(request.query).la,
        ...extra,
      });
    }

    app.get('/admin/reviews/new', async (request, reply) => newPage(request, reply, { name: '', dueOn: '' }));

    app.post('/admin/reviews/new', async (request, reply) => {
      const body = formBody(request.body);
      const form = { name: body.name ?? '', dueOn: body.dueOn ?? '' };
      try {
        const id = await services.reviews.open(
          signedIn(request).actor,
          formBody(request.query).la,
          form,
          requestContext(request),
        );
        reply.flash('Review started. Every active account of your Local Authority is listed below.');
        return reply.redirect(`/admin/reviews/${id}`, 303);
      } catch (error) {
        const shown = { name: text(body, 'name', 200), dueOn: text(body, 'dueOn', 20) };
        if (error instanceof ValidationError) {
          reply.code(400);
          return newPage(request, reply, shown, { errors: errorView(error.fields, ['name', 'dueOn']) });
        }
        if (error instanceof RuleError) {
          reply.code(409);
          return newPage(request, reply, shown, { errors: errorView({ name: error.message }) });
        }
        throw error;
      }
    });

    /**
     * The review page. `query` is the page's address query: the request's own, or after a refused
     * bulk decision the one the form came from, so that filters, page and selection survive.
     */
    async function reviewPage(
      request: ReviewRequest,
      reply: FastifyReply,
      extra: Record<string, unknown> = {},
      query = formBody(request.query),
      selected: ReadonlySet<string> = new Set(),
    ) {
      const parsed = parseFilter({
        show: query.show,
        inactiveMonths: query.inactiveMonths,
        privilege: query.privilege,
      });
      const hasFilterErrors = Object.keys(parsed.errors).length > 0;
      if (hasFilterErrors) reply.code(400);
      const filter = hasFilterErrors ? { undecided: false, inactiveMonths: null, privilege: null } : parsed.filter;
      const view = await services.reviews.view(signedIn(request).actor, request.params.id, filter, query.page);
      const { review } = view;
      const base = `/admin/reviews/${review.id}`;
      const selectAll = query.select === 'page';
      return reply.page('admin/reviews/review.njk', {
        pageTitle: `${review.name}${view.pageCount > 1 ? ` (page ${view.page} of ${view.pageCount})` : ''} – Access reviews – Admin`,
        view,
        open: review.status === 'open',
        filterValues: {
          show: query.show === 'undecided' ? 'undecided' : '',
          inactiveMonths: text(query, 'inactiveMonths', 5),
          privilege: filter.privilege ?? '',
        },
        filtered: filterQuery(filter) !== '',
        returnTo: `${base}${filterQuery(filter, view.page)}`,
        selectAllHref: `${base}${filterQuery(filter, view.page, { select: 'page' })}#items`,
        clearSelectionHref: `${base}${filterQuery(filter, view.page)}#items`,
        selectAll,
        pagination:
          view.pageCount > 1
            ? paginationOf(view.page, view.pageCount, (n) => `${base}${filterQuery(filter, n)}`)
            : null,
        firstShown: view.matching === 0 ? 0 : (view.page - 1) * ITEMS_PER_PAGE + 1,
        lastShown: (view.page - 1) * ITEMS_PER_PAGE + view.items.length,
        decisionLabels: DECISION_LABELS,
        items: view.items.map((x) => {
          const selectable =
            review.status === 'open' &&
            !x.state.closedOutside &&
            x.row.decision !== 'archive' &&
            x.row.decision !== 'delete';
          return {
            id: x.row.account_id,
            version: x.row.version,
            label: x.row.account_label,
            typeLabel: typeName(x.snapshot.userType),
            lastSignIn: x.snapshot.lastSignInAt,
            lastSignInAgo: monthsAgo(x.snapshot.lastSignInAt ? new Date(x.snapshot.lastSignInAt) : null, view.now),
            inactiveMonths: monthsInactive(x.snapshot, view.now),
            sensitive: SENSITIVE_PRIVILEGES.filter((p) => x.snapshot.privileges.includes(p)).map(
              (p) => SENSITIVE_SHORT_NAMES[p]!,
            ),
            recommendations: x.recommendations,
            decision: x.row.decision,
            decisionLabel: decisionRecord({
              decision: x.row.decision,
              inBulk: x.row.decided_in_bulk,
              closedOutside: x.state.closedOutside,
            }),
            decidedBy: x.row.decision ? x.row.decided_by_label : null,
            tagClass: x.row.decision
              ? DECISION_TAGS[x.row.decision]
              : x.state.closedOutside
                ? 'govuk-tag--grey'
                : 'govuk-tag--yellow',
            selectable,
            checked: selectable && (selectAll || selected.has(x.row.account_id)),
          };
        }),
        errors: hasFilterErrors ? errorView(parsed.errors, ['inactiveMonths', 'privilege']) : null,
        bulkNote: '',
        ...extra,
      });
    }

    app.get<{ Params: { id: string } }>('/admin/reviews/:id', async (request, reply) => reviewPage(request, reply));

    app.post<{ Params: { id: string } }>('/admin/reviews/:id/bulk', async (request, reply) => {
      const body = formBody(request.body);
      const items = formList(request.body, 'items').slice(0, 1000);
      // Decided before anything is saved: a redirect that cannot be sent must not follow a saved decision.
      const back = sameReviewPath(request.params.id, body.returnTo);
      // A refused decision shows the page it came from again, filters, page and ticks as they were.
      const backQuery = formBody(Object.fromEntries(new URLSearchParams(back.split('?')[1] ?? '')));
      const ticked = new Set(items.map((v) => v.split(':')[0]!.toLowerCase()));
      try {
        const count = await services.reviews.bulk(
          signedIn(request).actor,
          request.params.id,
          { decision: body.decision ?? '', note: body.note ?? '', items },
          requestContext(request),
        );
        const done = { keep: 'kept', archive: 'archived', delete: 'deleted' }[body.decision as 'keep'] ?? 'decided';
        reply.flash(`${count} ${count === 1 ? 'account' : 'accounts'} ${done}.`);
        return reply.redirect(back, 303);
      } catch (error) {
        if (error instanceof ValidationError) {
          reply.code(400);
          return reviewPage(
            request,
            reply,
            { errors: errorView(error.fields, ['items', 'decision', 'note']), bulkNote: text(body, 'note', 1100) },
            backQuery,
            ticked,
          );
        }
        if (error instanceof RuleError) {
          reply.code(409);
          return reviewPage(
            request,
            reply,
            { errors: errorView({ items: `Nothing was saved. ${error.message}` }), bulkNote: text(body, 'note', 1100) },
            backQuery,
            ticked,
          );
        }
        throw error;
      }
    });

    async function itemPage(
      request: ItemRequest,
      reply: FastifyReply,
      form?: Record<string, unknown>,
      extra: Record<string, unknown> = {},
    ) {
      const actor = signedIn(request).actor;
      const item = await services.reviews.item(actor, request.params.id, request.params.accountId);
      const yn = (v: boolean | null) => (v === null ? '' : v ? 'yes' : 'no');
      const isCentral = item.organisation.kind === 'central';
      const current = form ?? {
        stillEmployed: yn(item.answers.stillEmployed),
        postNeedsAccess: yn(item.answers.postNeedsAccess),
        pupilLevelRight: yn(item.answers.pupilLevelRight),
        cinClaRight: yn(item.answers.cinClaRight),
        decision: item.row.decision ?? '',
        note: item.row.note ?? '',
        userType: item.changedTo?.userType ?? item.current.userType,
        privileges: item.changedTo?.privileges ?? item.current.privileges,
        ...EMPTY_AGREEMENT,
      };
      return reply.page('admin/reviews/item.njk', {
        pageTitle: `${item.snapshot.name || item.row.account_label} – ${item.review.name} – Admin`,
        item,
        backLink: `/admin/reviews/${item.review.id}`,
        form: current,
        questions: QUESTIONS,
        typeLabel: typeName(item.snapshot.userType),
        lastSignInAgo: monthsAgo(item.snapshot.lastSignInAt ? new Date(item.snapshot.lastSignInAt) : null, item.now),
        privileges: describePrivileges(item.snapshot.privileges),
        decisionText: item.row.decision
          ? decisionSentence({
              decision: item.row.decision,
              inBulk: item.row.decided_in_bulk,
              by: item.row.decided_by_label ?? 'an administrator',
            })
          : null,
        inBulk: item.row.decision !== null && item.row.decided_in_bulk,
        changedToText: item.changedTo
          ? `${typeName(item.changedTo.userType ?? '')}: ${
              describePrivileges(item.changedTo.privileges ?? [])
                .map((p) => p.label)
                .join(', ') || 'no privileges'
            }`
          : null,
        answerText: QUESTIONS.map((q) => ({
          text: q.text,
          answer: answerText(item.answers[q.key], { decision: item.row.decision, inBulk: item.row.decided_in_bulk }),
        })),
        types: USER_TYPES.filter((t) => (t.code === 'support') === isCentral).map((t) => ({
          value: t.code,
          text: t.label,
        })),
        cannotGive: cannotGiveNote(privilegeChoices(actor, isCentral, item.current.privileges)),
        privilegeChoices: privilegeChoices(actor, isCentral, item.current.privileges).map((p) => ({
          value: p.code,
          text: p.label,
          hint: p.hint,
          disabled: p.disabled,
        })),
        ...extra,
      });
    }

    app.get<{ Params: { id: string; accountId: string } }>(
      '/admin/reviews/:id/items/:accountId',
      async (request, reply) => itemPage(request, reply),
    );

    app.post<{ Params: { id: string; accountId: string } }>(
      '/admin/reviews/:id/items/:accountId',
      async (request, reply) => {
        const body = formBody(request.body);
        const input = {
          answers: {
            stillEmployed: body.stillEmployed,
            postNeedsAccess: body.postNeedsAccess,
            pupilLevelRight: body.pupilLevelRight,
            cinClaRight: body.cinClaRight,
          },
          decision: body.decision ?? '',
          note: body.note ?? '',
          version: body.version ?? '',
          userType: body.userType ?? '',
          privileges: formList(request.body, 'privileges').slice(0, 50),
          ...agreementInput(agreementForm(body)),
        };
        try {
          const decision = await services.reviews.decide(
            signedIn(request).actor,
            request.params.id,
            request.params.accountId,
            input,
            requestContext(request),
          );
          reply.flash(`Decision saved: ${DECISION_LABELS[decision]}.`);
          return reply.redirect(`/admin/reviews/${request.params.id}`, 303);
        } catch (error) {
          const shown = {
            ...Object.fromEntries(
              ['stillEmployed', 'postNeedsAccess', 'pupilLevelRight', 'cinClaRight'].map((k) => [k, text(body, k, 5)]),
            ),
            decision: text(body, 'decision', 10),
            note: text(body, 'note', 1100),
            userType: text(body, 'userType', 50),
            privileges: input.privileges,
            ...agreementForm(body),
          };
          if (error instanceof ConflictError) {
            // The page shows the other administrator's decision; what this one entered is not kept.
            reply.code(409);
            return itemPage(request, reply, undefined, {
              errors: errorView({ decision: error.message }),
              conflict: true,
            });
          }
          if (error instanceof ValidationError) {
            reply.code(400);
            return itemPage(request, reply, shown, { errors: linkDateToDay(errorView(error.fields, ITEM_FIELDS)) });
          }
          if (error instanceof RuleError) {
            reply.code(409);
            return itemPage(request, reply, shown, { errors: errorView({ decision: error.message }) });
          }
          throw error;
        }
      },
    );

    async function finishPage(request: ReviewRequest, reply: FastifyReply, extra: Record<string, unknown> = {}) {
      const view = await services.reviews.view(signedIn(request).actor, request.params.id, {
        undecided: false,
        inactiveMonths: null,
        privilege: null,
      });
      return reply.page('admin/reviews/finish.njk', {
        pageTitle: `Finish ${view.review.name} – Admin`,
        view,
        decisionLabels: DECISION_LABELS,
        ...extra,
      });
    }

    app.get<{ Params: { id: string } }>('/admin/reviews/:id/finish', async (request, reply) =>
      finishPage(request, reply),
    );

    app.post<{ Params: { id: string } }>('/admin/reviews/:id/finish', async (request, reply) => {
      try {
        await services.reviews.finish(signedIn(request).actor, request.params.id, requestContext(request));
        reply.flash('Review finished. Its evidence is ready to download.');
        return reply.redirect(`/admin/reviews/${request.params.id}`, 303);
      } catch (error) {
        if (!(error instanceof RuleError)) throw error;
        reply.code(409);
        return finishPage(request, reply, { errors: errorView({ finish: error.message }) });
      }
    });

    app.get<{ Params: { id: string } }>('/admin/reviews/:id/evidence', async (request, reply) => {
      const evidence = await services.reviews.evidence(signedIn(request).actor, request.params.id);
      return reply.page('admin/reviews/evidence.njk', {
        pageTitle: `Evidence: ${evidence.review.name} – Admin`,
        evidence,
        questions: QUESTIONS,
        rows: evidence.rows,
      });
    });

    app.get<{ Params: { id: string } }>('/admin/reviews/:id/evidence.csv', async (request, reply) => {
      const { filename, csv } = await services.reviews.evidenceCsv(signedIn(request).actor, request.params.id);
      return sendCsv(reply, filename, csv);
    });
  };
}
