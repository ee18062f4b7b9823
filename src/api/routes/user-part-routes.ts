import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Services } from '../../services/index.ts';
import { requestContext } from '../../http/request-context.ts';
import { callerActor } from '../bearer-auth.ts';
import { schoolJson } from '../representations.ts';
import { json, problemResponses } from '../schemas.ts';
import type { ApiTypeProvider } from '../type-provider.ts';
import { expectedVersion, IF_MATCH_HEADERS } from '../versions.ts';

const idParams = {
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'string', format: 'uuid', description: 'The account id' } },
} as const;

/** An account's schools (R26) and privileges (R13–R17), as the Schools and Privileges tabs. */
export function userPartRoutes(services: Services) {
  return async (scope: FastifyInstance) => {
    const app = scope.withTypeProvider<ApiTypeProvider>();
    const schools = async (request: FastifyRequest, id: string) => {
      const view = await services.users.view(callerActor(request), id, 'users.view-schools', requestContext(request));
      return { items: view.schools.map(schoolJson) };
    };
    const privileges = async (request: FastifyRequest, id: string) => {
      const view = await services.users.view(callerActor(request), id, 'users.view', requestContext(request));
      return { userType: view.account.user_type, privileges: [...view.privileges] };
    };

    app.get(
      '/users/:id/schools',
      {
        schema: {
          tags: ['users'],
          operationId: 'getUserSchools',
          description:
            "Each school with its URN, name, status from GIAS and the person's role. Needs view_users or manage_users.",
          summary: "The account's schools and roles",
          params: idParams,
          response: { 200: json('SchoolAssignmentList', 'Schools'), ...problemResponses(400, 403, 404) },
        },
      },
      async (request) => schools(request, request.params.id),
    );

    app.put(
      '/users/:id/schools',
      {
        schema: {
          tags: ['users'],
          operationId: 'replaceUserSchools',
          description: 'For the termly re-assignment (R26): schools must belong to the LA. Needs manage_users.',
          summary: "Make the account's schools exactly this list (termly re-assignment)",
          params: idParams,
          headers: IF_MATCH_HEADERS,
          body: { $ref: 'SchoolAssignmentsUpdate#' },
          response: {
            200: json('SchoolAssignmentList', 'Schools as changed'),
            ...problemResponses(400, 403, 404, 409, 412, 415),
          },
        },
      },
      async (request) => {
        const body = request.body;
        await services.userChanges.replaceSchools(
          callerActor(request),
          request.params.id,
          body.items.map((i) => ({ schoolId: String(i.schoolId), role: i.role })),
          requestContext(request),
          expectedVersion(request.headers['if-match']),
        );
        return schools(request, request.params.id);
      },
    );

    app.get(
      '/users/:id/privileges',
      {
        schema: {
          tags: ['users'],
          operationId: 'getUserPrivileges',
          description: 'The Type of User and the privileges held. Needs view_users or manage_users.',
          summary: "The account's Type of User and privileges",
          params: idParams,
          response: { 200: json('Privileges', 'Privileges'), ...problemResponses(400, 403, 404) },
        },
      },
      async (request) => privileges(request, request.params.id),
    );

    app.put(
      '/users/:id/privileges',
      {
        schema: {
          tags: ['users'],
          operationId: 'setUserPrivileges',
          description: 'R15–R17 apply exactly as on the Privileges tab. Needs manage_users.',
          summary:
            'Set the Type of User and privileges (nobody grants what they do not hold, except cin_cla on a recorded agreement: who agreed it, their role and the date; never the last administrator)',
          params: idParams,
          headers: IF_MATCH_HEADERS,
          body: { $ref: 'PrivilegesUpdate#' },
          response: {
            200: json('Privileges', 'Privileges as changed'),
            ...problemResponses(400, 403, 404, 409, 412, 415),
          },
        },
      },
      async (request) => {
        const body = request.body;
        await services.userChanges.setPrivileges(
          callerActor(request),
          request.params.id,
          body,
          requestContext(request),
          expectedVersion(request.headers['if-match']),
        );
        return privileges(request, request.params.id);
      },
    );
  };
}
