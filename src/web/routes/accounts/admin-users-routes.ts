import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { can } from '../../../domain/access.ts';
import { ValidationError } from '../../../domain/errors.ts';
import { passkeyCount } from '../../../domain/passkeys.ts';
import { AGREED_PRIVILEGE, AGREEMENT_FIELDS } from '../../../domain/cin-cla-agreement.ts';
import { PRIVILEGES, USER_TYPES, isUserType, userTypeLabel } from '../../../domain/privileges.ts';
import { monthsAgo } from '../../../domain/relative-time.ts';
import { parseUserListQuery, userListHref, type UserListQuery } from '../../../domain/user-filters.ts';
import type { Services } from '../../../services/index.ts';
import { requestContext } from '../../../http/request-context.ts';
import { requireSignIn, signedIn } from '../../plugins/require-sign-in.ts';
import { sendCsvStream } from '../csv-reply.ts';
import { formBody, queryOf } from '../form.ts';
import { errorView } from '../../plugins/views.ts';
import { EMPTY_AGREEMENT, agreementForm, agreementInput, linkDateToDay } from '../../agreement-form.ts';
import { userTypeChoices } from '../../privilege-choices.ts';
import { fullName } from '../../../domain/names.ts';
import { userListRowsHtml } from '../../user-list-rows.ts';

/** Admin > Users (R19–R22) and its CSV export. */
export function adminUsersRoutes(services: Services) {
  return async (app: FastifyInstance) => {
    app.addHook('preHandler', requireSignIn);

    app.get('/admin/users', async (request, reply) => {
      const { actor, organisation } = signedIn(request);
      const { query, errors } = parseUserListQuery(queryOf(request));
      const result = await services.directory.list(actor, query, requestContext(request), organisation);
      if (Object.keys(errors).length > 0) reply.code(400);
      const href = (changes: Partial<Record<keyof UserListQuery, string | number | undefined>>) =>
        userListHref('/admin/users', query, changes);
      const rows =
        result.mode === 'manage'
          ? result.rows.map((r) => ({
              ...r,
              name: fullName(r),
              typeLabel: isUserType(r.user_type) ? userTypeLabel(r.user_type) : r.user_type,
              lastSignInAgo: monthsAgo(r.last_sign_in_at, result.now),
              passkeysText: r.passkeys > 0 ? passkeyCount(r.passkeys) : null,
            }))
          : [];
      const title =
        result.mode === 'manage' ? `Users of ${result.organisation.name}` : `Contacts at ${result.organisation.name}`;
      return reply.page('admin/users/list.njk', {
        pageTitle: `${title} – Admin`,
        title,
        query,
        errors:
          Object.keys(errors).length > 0
            ? errorView(errors, ['la', 'q', 'inactiveMonths', 'type', 'privilege', 'status'])
            : null,
        result,
        // The LA picker's options, built here rather than in the template: 150 items pushed one by
        // one by Nunjucks cost more than the rest of the form.
        laItems: [
          // Central support's own organisation is no LA: offered first, so that the picker shows
          // what the page shows (choosing it leaves the LA kept: src/web/plugins/la-context.ts).
          ...result.organisations
            .filter((o) => o.kind !== 'la' && actor.kind === 'account' && o.id === actor.organisationId)
            .map((o) => ({ value: '', text: o.name, selected: o.id === result.organisation.id })),
          ...result.organisations
            .filter((o) => o.kind === 'la')
            .map((o) => ({
              value: o.la_code,
              text: `${o.name} (${o.la_code})`,
              selected: o.id === result.organisation.id,
            })),
        ],
        ownOrganisationId: actor.kind === 'account' ? actor.organisationId : null,
        // The filter's selects (rendered once per choice: the template's `fragment`).
        typeItems: [
          { value: '', text: 'Any type' },
          ...USER_TYPES.map((t) => ({ value: t.code, text: t.label, selected: t.code === query.type })),
        ],
        privilegeItems: [
          { value: '', text: 'Any privilege' },
          ...PRIVILEGES.map((p) => ({ value: p.code, text: p.label, selected: p.code === query.privilege })),
        ],
        rows,
        rowsHtml: userListRowsHtml(rows, services.config.lifecycle.timezone),
        sortLinks: {
          name: href({ sort: query.sort === 'name' ? '-name' : 'name', page: undefined }),
          lastSignIn: href({ sort: query.sort === '-lastSignIn' ? 'lastSignIn' : '-lastSignIn', page: undefined }),
        },
        pagination:
          result.mode === 'manage'
            ? {
                previous: query.page > 1 ? { href: href({ page: query.page - 1 }) } : undefined,
                next: query.page < result.pageCount ? { href: href({ page: query.page + 1 }) } : undefined,
                items: Array.from({ length: result.pageCount }, (_, i) => i + 1)
                  .filter((n) => n === 1 || n === result.pageCount || Math.abs(n - query.page) <= 2)
                  .flatMap((n, i, all) => [
                    ...(i > 0 && n - all[i - 1]! > 1 ? [{ ellipsis: true }] : []),
                    { number: n, href: href({ page: n }), current: n === query.page },
                  ]),
              }
            : undefined,
        exportHref: userListHref('/admin/users/export.csv', query, { page: undefined }),
        exportForImportHref: userListHref('/admin/users/export-for-import.csv', query, { page: undefined }),
        canCreate: can(actor, 'users.create', { organisationId: result.organisation.id }),
        canImport: can(actor, 'users.import', { organisationId: result.organisation.id }),
        laSuffix: query.la ? `?la=${result.organisation.la_code}` : '',
      });
    });

    async function newUserPage(
      request: FastifyRequest,
      reply: FastifyReply,
      form: Record<string, string> = {},
      extra: Record<string, unknown> = {},
    ) {
      const actor = signedIn(request).actor;
      const la = queryOf(request).la;
      const organisation = await services.directory.organisationForCreate(
        actor,
        typeof la === 'string' ? la : undefined,
      );
      const types = userTypeChoices(actor, organisation.kind === 'central');
      return reply.page('admin/users/new.njk', {
        pageTitle: 'Create user – Admin',
        organisation,
        laParam: typeof la === 'string',
        invitationDays: services.config.invitationDays,
        types,
        reasons: types.filter((t) => t.disabled).map((t) => t.reason),
        // The agreement of R16, asked when a type that gives CiN/CLA (Virtual School) can be chosen.
        agreementFor: types
          .filter((t) => !t.disabled && t.defaults.includes(AGREED_PRIVILEGE))
          .map((t) => t.label)
          .join(' or '),
        form,
        ...extra,
      });
    }

    app.get('/admin/users/new', async (request, reply) => newUserPage(request, reply, { ...EMPTY_AGREEMENT }));

    app.post('/admin/users/new', async (request, reply) => {
      const body = formBody(request.body);
      const actor = signedIn(request).actor;
      const la = queryOf(request).la;
      const organisation = await services.directory.organisationForCreate(
        actor,
        typeof la === 'string' ? la : undefined,
      );
      const input = {
        username: body.username ?? '',
        firstName: body.firstName ?? '',
        lastName: body.lastName ?? '',
        email: body.email ?? '',
        jobTitle: body.jobTitle ?? '',
        phone: body.phone ?? '',
        userType: body.userType ?? '',
      };
      const agreement = agreementForm(body);
      try {
        const account = await services.accounts.createAccount(
          actor,
          { ...input, ...agreementInput(agreement), organisationId: organisation.id },
          requestContext(request),
        );
        reply.flash(`${fullName(account)} has been created and emailed an invitation.`);
        return reply.redirect(`/admin/users/${account.id}`, 303);
      } catch (error) {
        if (!(error instanceof ValidationError)) throw error;
        reply.code(400);
        const shown = {
          ...Object.fromEntries(Object.entries(input).map(([k, v]) => [k, v.slice(0, 300)])),
          ...agreement,
        };
        return newUserPage(request, reply, shown, {
          errors: linkDateToDay(
            errorView(error.fields, [
              'username',
              'firstName',
              'lastName',
              'email',
              'jobTitle',
              'phone',
              'userType',
              ...AGREEMENT_FIELDS,
              'privileges',
            ]),
          ),
        });
      }
    });

    // The list's columns for people, and the import's columns for export → edit → import (issue 14).
    for (const [path, format] of [
      ['/admin/users/export.csv', 'list'],
      ['/admin/users/export-for-import.csv', 'import'],
    ] as const) {
      app.get(path, async (request, reply) => {
        const { query, errors } = parseUserListQuery(queryOf(request));
        if (Object.keys(errors).length > 0)
          throw new ValidationError(errors, 'The filters of the export are not valid');
        // Access, validation and the first read happen before the first byte; the rest streams.
        const { filename, lines } = await services.directory.exportCsv(
          signedIn(request).actor,
          query,
          requestContext(request),
          format,
        );
        return sendCsvStream(reply, filename, lines);
      });
    }
  };
}
