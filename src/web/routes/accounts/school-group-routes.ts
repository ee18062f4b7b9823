import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ValidationError } from '../../../domain/errors.ts';
import type { Services } from '../../../services/index.ts';
import { requestContext } from '../../../http/request-context.ts';
import { requireSignIn, signedIn } from '../../plugins/require-sign-in.ts';
import { errorView } from '../../plugins/views.ts';
import { formBody, formList, text, queryOf } from '../form.ts';

/** School groups (issue 3 §7): list, create, change, delete with a confirmation naming whose default is cleared. */
export function schoolGroupRoutes(services: Services) {
  return async (app: FastifyInstance) => {
    app.addHook('preHandler', requireSignIn);
    const la = (request: FastifyRequest) => {
      const value = queryOf(request).la;
      return typeof value === 'string' ? value : undefined;
    };

    app.get('/admin/school-groups', async (request, reply) => {
      const { organisation, groups } = await services.schoolGroups.list(signedIn(request).actor, la(request));
      return reply.page('admin/school-groups/list.njk', { pageTitle: 'School groups – Admin', organisation, groups });
    });

    async function formPage(
      request: FastifyRequest,
      reply: FastifyReply,
      id: string | undefined,
      form?: { name: string; schoolIds: number[] },
      extra: Record<string, unknown> = {},
    ) {
      const data = await services.schoolGroups.form(signedIn(request).actor, { la: la(request), id });
      return reply.page('admin/school-groups/form.njk', {
        pageTitle: `${data.group ? 'Change' : 'Create'} school group – Admin`,
        ...data,
        form: form ?? { name: data.group?.name ?? '', schoolIds: data.members },
        ...extra,
      });
    }

    const submitted = (request: FastifyRequest) => {
      const body = formBody(request.body);
      return { name: body.name ?? '', schoolIds: formList(request.body, 'schoolIds').slice(0, 5001) };
    };
    const redisplay = (request: FastifyRequest, reply: FastifyReply, id: string | undefined, error: unknown) => {
      if (!(error instanceof ValidationError)) throw error;
      const input = submitted(request);
      reply.code(400);
      return formPage(
        request,
        reply,
        id,
        {
          name: text({ name: input.name }, 'name', 200),
          schoolIds: input.schoolIds.filter((s) => /^[0-9]{1,9}$/.test(s)).map(Number),
        },
        { errors: errorView(error.fields, ['name', 'schoolIds']) },
      );
    };

    app.get('/admin/school-groups/new', async (request, reply) => formPage(request, reply, undefined));
    app.post('/admin/school-groups/new', async (request, reply) => {
      try {
        await services.schoolGroups.create(
          signedIn(request).actor,
          la(request),
          submitted(request),
          requestContext(request),
        );
        reply.flash('School group created.');
        return reply.redirect('/admin/school-groups', 303);
      } catch (error) {
        return redisplay(request, reply, undefined, error);
      }
    });

    app.get<{ Params: { id: string } }>('/admin/school-groups/:id', async (request, reply) =>
      formPage(request, reply, request.params.id),
    );
    app.post<{ Params: { id: string } }>('/admin/school-groups/:id', async (request, reply) => {
      try {
        await services.schoolGroups.update(
          signedIn(request).actor,
          request.params.id,
          submitted(request),
          requestContext(request),
        );
        reply.flash('School group saved.');
        return reply.redirect('/admin/school-groups', 303);
      } catch (error) {
        return redisplay(request, reply, request.params.id, error);
      }
    });

    app.get<{ Params: { id: string } }>('/admin/school-groups/:id/delete', async (request, reply) => {
      const data = await services.schoolGroups.form(signedIn(request).actor, { id: request.params.id });
      return reply.page('admin/school-groups/delete.njk', { pageTitle: `Delete ${data.group!.name} – Admin`, ...data });
    });
    app.post<{ Params: { id: string } }>('/admin/school-groups/:id/delete', async (request, reply) => {
      const { name, defaultsCleared } = await services.schoolGroups.remove(
        signedIn(request).actor,
        request.params.id,
        requestContext(request),
      );
      reply.flash(
        `School group ${name} deleted.${defaultsCleared ? ` The default group of ${defaultsCleared} ${defaultsCleared === 1 ? 'user was' : 'users were'} cleared.` : ''}`,
      );
      return reply.redirect('/admin/school-groups', 303);
    });
  };
}
