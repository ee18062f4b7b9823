import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ForbiddenError, RuleError, StaleVersionError, ValidationError } from '../../../domain/errors.ts';
import { AGREEMENT_FIELDS } from '../../../domain/cin-cla-agreement.ts';
import {
  USER_TYPES,
  differenceFromDefaults,
  isUserType,
  privilegeLabel,
  typeDefaults,
  userTypeLabel,
} from '../../../domain/privileges.ts';
import { SCHOOL_ROLES, isSchoolRole, schoolRoleLabel } from '../../../domain/school-roles.ts';
import { monthsAgo } from '../../../domain/relative-time.ts';
import { TOPICS, topicName } from '../../../domain/topics.ts';
import type { Services } from '../../../services/index.ts';
import { formatDate } from '../../../services/deps.ts';
import { requestContext } from '../../../http/request-context.ts';
import { requireSignIn, signedIn } from '../../plugins/require-sign-in.ts';
import { ARCHIVE_REASON_TEXT } from '../../../domain/account-status.ts';
import { errorView } from '../../plugins/views.ts';
import { lifecycleSentence } from '../../lifecycle-text.ts';
import { cannotGiveNote, privilegeChoices } from '../../privilege-choices.ts';
import {
  EMPTY_AGREEMENT,
  agreementForm,
  agreementInput,
  linkDateToDay,
  type AgreementForm,
} from '../../agreement-form.ts';
import { formBody, formList, text } from '../form.ts';
import { fullName } from '../../../domain/names.ts';

type IdRequest = FastifyRequest<{ Params: { id: string } }>;

/** The Privileges tab as filled in: type, privileges and the agreement of CiN/CLA access (R16). */
type PrivilegesForm = { userType: string; privileges: string[] } & AgreementForm;

/** The version a user-page form was filled in against (its hidden field); none when absent or unreadable. */
function formVersion(body: Record<string, string | undefined>): number | undefined {
  return /^[0-9]{1,9}$/.test(body.version ?? '') ? Number(body.version) : undefined;
}

/**
 * The error summary of a form refused because someone else changed the account since it was
 * opened (StaleVersionError): the page is shown again with the account as it is now.
 */
function staleFormErrors(href: string) {
  return {
    summary: [
      {
        text: 'Someone else changed this account after you opened it. The form now shows its current details: make your change again.',
        href,
      },
    ],
    fields: {},
  };
}

/** The user page (R24), its tabs (R25–R27) and Edit user details. */
export function adminUserRoutes(services: Services) {
  return async (app: FastifyInstance) => {
    app.addHook('preHandler', requireSignIn);

    app.get<{ Params: { id: string } }>('/admin/users/:id', async (request, reply) => {
      const user = await services.users.view(
        signedIn(request).actor,
        request.params.id,
        'users.view',
        requestContext(request),
      );
      const a = user.account;
      return reply.page('admin/user/details.njk', {
        pageTitle: `${fullName(a)} – Admin`,
        activeTab: 'details',
        user,
        typeLabel: isUserType(a.user_type) ? userTypeLabel(a.user_type) : a.user_type,
        lastSignInAgo: monthsAgo(a.last_sign_in_at, services.clock.now()),
        groupNames: user.groups.map((g) => g.name).join(', '),
        accessEnd: a.access_end_date ? formatDate(new Date(`${a.access_end_date}T00:00:00Z`), 'UTC') : null, // a calendar date, not an instant
        archiveReason: a.archive_reason ? ARCHIVE_REASON_TEXT[a.archive_reason].cause : '',
        lifecycleText: lifecycleSentence(user.lifecycle, (d) => formatDate(d, services.config.lifecycle.timezone)),
        privilegeLabels: user.privileges.map(privilegeLabel),
      });
    });

    app.get<{ Params: { id: string } }>('/admin/users/:id/communications', async (request, reply) => {
      const user = await services.users.view(
        signedIn(request).actor,
        request.params.id,
        'users.view',
        requestContext(request),
      );
      return reply.page('admin/user/communications.njk', {
        pageTitle: `Communications – ${fullName(user.account)} – Admin`,
        activeTab: 'communications',
        user,
        topics: TOPICS.map((t) => ({
          name: topicName(t.code, services.config.topicNames),
          recommended: t.recommended,
          subscribed: user.subscriptions.includes(t.code),
        })),
      });
    });

    async function schoolsPage(request: IdRequest, reply: FastifyReply, extra: Record<string, unknown> = {}) {
      const actor = signedIn(request).actor;
      const user = await services.users.view(actor, request.params.id, 'users.view', requestContext(request));
      const choices = user.allowed.editSchools
        ? await services.users.choices(actor, request.params.id)
        : { schools: [], groups: [] };
      return reply.page('admin/user/schools.njk', {
        pageTitle: `Schools – ${fullName(user.account)} – Admin`,
        activeTab: 'schools',
        user,
        schools: user.schools.map((s) => ({
          ...s,
          roleLabel: isSchoolRole(s.role) ? schoolRoleLabel(s.role) : s.role,
        })),
        assignedIds: user.schools.map((s) => s.id),
        choices,
        roles: SCHOOL_ROLES,
        values: {},
        ...extra,
      });
    }

    app.get<{ Params: { id: string } }>('/admin/users/:id/schools', async (request, reply) =>
      schoolsPage(request, reply),
    );

    app.post<{ Params: { id: string } }>('/admin/users/:id/schools', async (request, reply) => {
      const body = formBody(request.body);
      try {
        await services.userChanges.addSchool(
          signedIn(request).actor,
          request.params.id,
          { schoolId: body.schoolId ?? '', role: body.role ?? '' },
          requestContext(request),
        );
        reply.flash('School added.');
        return reply.redirect(`/admin/users/${request.params.id}/schools`, 303);
      } catch (error) {
        if (!(error instanceof ValidationError)) throw error;
        reply.code(400);
        return schoolsPage(request, reply, {
          errors: errorView(error.fields, ['schoolId', 'role']),
          values: { schoolId: Number(body.schoolId), role: text(body, 'role', 50) },
        });
      }
    });

    app.post<{ Params: { id: string; schoolId: string } }>(
      '/admin/users/:id/schools/:schoolId/remove',
      async (request, reply) => {
        await services.userChanges.removeSchool(
          signedIn(request).actor,
          request.params.id,
          request.params.schoolId,
          requestContext(request),
        );
        reply.flash('School removed.');
        return reply.redirect(`/admin/users/${request.params.id}/schools`, 303);
      },
    );

    app.post<{ Params: { id: string } }>('/admin/users/:id/schools/replace', async (request, reply) => {
      const body = formBody(request.body);
      const actor = signedIn(request).actor;
      const user = await services.users.view(actor, request.params.id);
      const kept = new Map(user.schools.map((s) => [String(s.id), s.role]));
      const newRole = body.newRole ?? '';
      try {
        await services.userChanges.replaceSchools(
          actor,
          request.params.id,
          formList(request.body, 'schools').map((schoolId) => ({ schoolId, role: kept.get(schoolId) ?? newRole })),
          requestContext(request),
          formVersion(body),
        );
        reply.flash('Schools replaced.');
        return reply.redirect(`/admin/users/${request.params.id}/schools`, 303);
      } catch (error) {
        if (error instanceof StaleVersionError) {
          reply.code(409);
          return schoolsPage(request, reply, { errors: staleFormErrors('#replace-schools'), replaceOpen: true });
        }
        if (!(error instanceof ValidationError)) throw error;
        reply.code(400);
        return schoolsPage(request, reply, { errors: errorView(error.fields) });
      }
    });

    async function privilegesPage(
      request: IdRequest,
      reply: FastifyReply,
      form?: PrivilegesForm,
      extra: Record<string, unknown> = {},
    ) {
      const user = await services.users.view(
        signedIn(request).actor,
        request.params.id,
        'users.view',
        requestContext(request),
      );
      const actor = signedIn(request).actor;
      const current = form ?? { userType: user.account.user_type, privileges: user.privileges, ...EMPTY_AGREEMENT };
      // What is saved, never what a refused form asked for: the box describes the account.
      const saved = user.account.user_type;
      const diff = isUserType(saved) ? differenceFromDefaults(saved, user.privileges) : { added: [], removed: [] };
      const differsText =
        isUserType(saved) && (diff.added.length || diff.removed.length)
          ? `Differs from the defaults of ${userTypeLabel(saved)}: ${[...diff.added.map((p) => `+${privilegeLabel(p)}`), ...diff.removed.map((p) => `−${privilegeLabel(p)}`)].join('; ')}`
          : '';
      const isCentral = user.organisation.kind === 'central';
      const choices = privilegeChoices(actor, isCentral, user.privileges);
      return reply.page('admin/user/privileges.njk', {
        pageTitle: `Privileges – ${fullName(user.account)} – Admin`,
        activeTab: 'privileges',
        user,
        form: current,
        differsText,
        typeLabel: isUserType(user.account.user_type) ? userTypeLabel(user.account.user_type) : user.account.user_type,
        heldLabels: user.privileges.map(privilegeLabel),
        types: USER_TYPES.filter((t) => (t.code === 'support') === isCentral).map((t) => ({
          code: t.code,
          label: t.label,
          defaults: t.defaults,
          defaultsText: t.defaults.map(privilegeLabel).join(', '),
        })),
        privileges: choices,
        cannotGive: cannotGiveNote(choices),
        ...extra,
      });
    }

    app.get<{ Params: { id: string } }>('/admin/users/:id/privileges', async (request, reply) =>
      privilegesPage(request, reply),
    );

    app.post<{ Params: { id: string } }>('/admin/users/:id/privileges', async (request, reply) => {
      const body = formBody(request.body);
      const form: PrivilegesForm = {
        userType: text(body, 'userType', 50),
        privileges: formList(request.body, 'privileges').slice(0, 50),
        ...agreementForm(body),
      };
      // Without JavaScript, choosing a Type of User pre-fills its defaults in a second step (R14).
      if (body.action === 'defaults') {
        if (!isUserType(form.userType)) {
          reply.code(400);
          return privilegesPage(request, reply, form, { errors: errorView({ userType: 'Select a Type of User' }) });
        }
        return privilegesPage(
          request,
          reply,
          { ...form, privileges: [...typeDefaults(form.userType)] },
          { defaultsApplied: userTypeLabel(form.userType), version: formVersion(body) },
        );
      }
      try {
        await services.userChanges.setPrivileges(
          signedIn(request).actor,
          request.params.id,
          { userType: form.userType, privileges: form.privileges, ...agreementInput(form) },
          requestContext(request),
          formVersion(body),
        );
        reply.flash('Privileges saved.');
        return reply.redirect(`/admin/users/${request.params.id}/privileges`, 303);
      } catch (error) {
        if (error instanceof ValidationError) {
          reply.code(400);
          return privilegesPage(request, reply, form, {
            errors: linkDateToDay(errorView(error.fields, ['userType', 'privileges', ...AGREEMENT_FIELDS])),
          });
        }
        if (error instanceof RuleError) {
          reply.code(409);
          return privilegesPage(request, reply, form, { errors: errorView({ privileges: error.message }) });
        }
        if (error instanceof StaleVersionError) {
          reply.code(409);
          return privilegesPage(request, reply, undefined, { errors: staleFormErrors('#userType') });
        }
        throw error;
      }
    });

    async function editPage(
      request: IdRequest,
      reply: FastifyReply,
      form?: Record<string, unknown>,
      extra: Record<string, unknown> = {},
    ) {
      const actor = signedIn(request).actor;
      const user = await services.users.view(actor, request.params.id, 'users.view', requestContext(request));
      if (!user.allowed.edit) throw new ForbiddenError();
      const { groups } = await services.users.choices(actor, request.params.id);
      const a = user.account;
      return reply.page('admin/user/edit.njk', {
        pageTitle: `Edit user details – ${fullName(a)} – Admin`,
        user,
        groups,
        form: form ?? {
          firstName: a.first_name,
          lastName: a.last_name,
          email: a.email,
          jobTitle: a.job_title ?? '',
          phone: a.phone ?? '',
          schoolGroupIds: user.groups.map((g) => String(g.id)),
          defaultSchoolGroupId: a.default_school_group_id ? String(a.default_school_group_id) : '',
          accessEndDate: a.access_end_date ?? '',
        },
        // The version the form was filled in against; the service refuses the save if it moved on.
        version: a.version,
        ...extra,
      });
    }

    app.get<{ Params: { id: string } }>('/admin/users/:id/edit', async (request, reply) => editPage(request, reply));

    app.post<{ Params: { id: string } }>('/admin/users/:id/edit', async (request, reply) => {
      const body = formBody(request.body);
      const input = {
        firstName: body.firstName ?? '',
        lastName: body.lastName ?? '',
        email: body.email ?? '',
        jobTitle: body.jobTitle ?? '',
        phone: body.phone ?? '',
        schoolGroupIds: formList(request.body, 'schoolGroupIds').slice(0, 500),
        defaultSchoolGroupId: body.defaultSchoolGroupId ?? '',
        accessEndDate: body.accessEndDate ?? '',
      };
      try {
        await services.userChanges.editDetails(
          signedIn(request).actor,
          request.params.id,
          input,
          requestContext(request),
          formVersion(body),
        );
        reply.flash('Details saved.');
        return reply.redirect(`/admin/users/${request.params.id}`, 303);
      } catch (error) {
        if (error instanceof StaleVersionError) {
          // Shown with the account as it is now, so that nobody overwrites a change they have not seen.
          reply.code(409);
          return editPage(request, reply, undefined, { errors: staleFormErrors('#firstName') });
        }
        if (!(error instanceof ValidationError)) throw error;
        reply.code(400);
        const shown = Object.fromEntries(
          Object.entries(input).map(([k, v]) => [k, Array.isArray(v) ? v : String(v).slice(0, 300)]),
        );
        return editPage(request, reply, shown, {
          errors: errorView(error.fields, [
            'firstName',
            'lastName',
            'email',
            'jobTitle',
            'phone',
            'schoolGroupIds',
            'defaultSchoolGroupId',
            'accessEndDate',
          ]),
        });
      }
    });
  };
}
