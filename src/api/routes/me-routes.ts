import type { FastifyInstance } from 'fastify';
import type { Services } from '../../services/index.ts';
import { callerActor } from '../bearer-auth.ts';
import { problemResponses } from '../schemas.ts';
import { organisationJson, schoolJson } from '../representations.ts';
import type { ApiTypeProvider } from '../type-provider.ts';

export function meRoutes(services: Services) {
  return async (scope: FastifyInstance) => {
    const app = scope.withTypeProvider<ApiTypeProvider>();
    app.get(
      '/me',
      {
        schema: {
          tags: ['me'],
          operationId: 'getMe',
          description: 'For reporting tools: who the token acts as, what they may see, and their schools.',
          summary: 'The caller: privileges, My Schools and default school group',
          response: {
            200: { description: 'The caller', content: { 'application/json': { schema: { $ref: 'Me#' } } } },
            ...problemResponses(),
          },
        },
      },
      async (request) => {
        const me = await services.accounts.me(callerActor(request));
        return {
          id: me.account.id,
          username: me.account.username,
          firstName: me.account.first_name,
          lastName: me.account.last_name,
          email: me.account.email,
          userType: me.account.user_type,
          privileges: me.privileges,
          organisation: organisationJson(me.organisation),
          schools: me.schools.map(schoolJson),
          schoolGroups: me.groups.map((g) => ({ id: g.id, name: g.name })),
          defaultSchoolGroup: me.defaultGroup ? { id: me.defaultGroup.id, name: me.defaultGroup.name } : null,
          ...(request.apiCaller
            ? { token: { name: request.apiCaller.token.name, prefix: request.apiCaller.token.prefix } }
            : {}),
        };
      },
    );
  };
}
