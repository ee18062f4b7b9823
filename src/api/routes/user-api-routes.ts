import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Services } from '../../services/index.ts';
import { requestContext } from '../../http/request-context.ts';
import { callerActor } from '../bearer-auth.ts';
import { userJson, userSummaryJson } from '../representations.ts';
import { json, problemResponses } from '../schemas.ts';
import { expectedVersion, IF_MATCH_HEADERS, versionTag } from '../versions.ts';
import type { ApiTypeProvider } from '../type-provider.ts';
import { PRIVILEGE_CODES, USER_TYPE_CODES } from '../../domain/privileges.ts';

const idParams = {
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'string', format: 'uuid', description: 'The account id' } },
} as const;

/** /api/v1/users: the accounts of the caller's LA, through the services of the user pages. */
export function userApiRoutes(services: Services) {
  const view = async (request: FastifyRequest, accountId: string) =>
    userJson(await services.users.view(callerActor(request), accountId));

  return async (scope: FastifyInstance) => {
    const app = scope.withTypeProvider<ApiTypeProvider>();
    app.get(
      '/users',
      {
        schema: {
          tags: ['users'],
          operationId: 'listUsers',
          description:
            'The same filters as Admin > Users. Pages follow stable cursors: pass `next` back as `cursor` until it is null. Needs view_users or manage_users.',
          summary: 'Accounts of the LA, in name order, a page at a time',
          querystring: {
            type: 'object',
            additionalProperties: false,
            properties: {
              q: { type: 'string', maxLength: 100, description: 'Text in the name, username or email' },
              status: {
                type: 'string',
                enum: ['active', 'warned', 'archived', 'all'],
                default: 'active',
                description: 'Which accounts (warned: active, warned in the current inactivity period)',
              },
              type: { type: 'string', enum: USER_TYPE_CODES, description: 'Type of User code' },
              privilege: { type: 'string', enum: PRIVILEGE_CODES, description: 'Holds this privilege' },
              inactiveMonths: {
                type: 'integer',
                minimum: 0,
                maximum: 600,
                description: 'Not signed in for at least this many months',
              },
              la: { type: 'string', pattern: '^[0-9]{3}$', description: 'Another LA by code (central support only)' },
              limit: { type: 'integer', minimum: 1, maximum: 100, default: 50, description: 'Accounts per page' },
              cursor: { type: 'string', maxLength: 600, description: 'The `next` of the previous page' },
            },
          },
          response: { 200: json('UserList', 'A page of accounts'), ...problemResponses(400, 403, 404) },
        },
      },
      async (request) => {
        const q = request.query;
        const result = await services.directory.page(
          callerActor(request),
          {
            la: q.la,
            q: q.q?.trim() || undefined,
            status: q.status,
            inactiveMonths: q.inactiveMonths,
            type: q.type,
            privilege: q.privilege,
          },
          q.cursor,
          q.limit,
          requestContext(request),
        );
        return { items: result.items.map(userSummaryJson), next: result.next };
      },
    );

    app.post(
      '/users',
      {
        schema: {
          tags: ['users'],
          operationId: 'createUser',
          description:
            'As Admin > Users > Create user: the username must be unique in any case (R7): a username already taken is 409; privileges default to the Type of User (R14); nobody grants a privilege they do not hold (R15), except cin_cla, which needs the agreement: who agreed it, their role and the date (R16). Needs manage_users.',
          summary: 'Create an account; the person is emailed an invitation',
          body: { $ref: 'NewUser#' },
          response: { 201: json('User', 'The new account'), ...problemResponses(400, 403, 404, 409, 415) },
        },
      },
      async (request, reply) => {
        const body = request.body;
        const actor = callerActor(request);
        const organisation = await services.directory.organisationForCreate(actor, body.la);
        const account = await services.accounts.createAccount(
          actor,
          {
            organisationId: organisation.id,
            username: body.username,
            firstName: body.firstName,
            lastName: body.lastName,
            email: body.email,
            jobTitle: body.jobTitle,
            phone: body.phone,
            userType: body.userType,
            privileges: body.privileges,
            cinClaAgreedBy: body.cinClaAgreedBy,
            cinClaAgreedRole: body.cinClaAgreedRole,
            cinClaAgreedOn: body.cinClaAgreedOn,
          },
          requestContext(request),
        );
        reply.code(201).header('location', `/api/v1/users/${account.id}`);
        return view(request, account.id);
      },
    );

    app.get(
      '/users/:id',
      {
        schema: {
          tags: ['users'],
          operationId: 'getUser',
          description:
            "Details, privileges, schools and groups of one account of the caller's LA; another LA's account is 404.",
          summary: 'One account',
          params: idParams,
          response: { 200: json('User', 'The account'), ...problemResponses(400, 403, 404) },
        },
      },
      async (request, reply) => {
        const user = userJson(
          await services.users.view(callerActor(request), request.params.id, 'users.view', requestContext(request)),
        );
        reply.header('etag', versionTag(user.version));
        return user;
      },
    );

    app.patch(
      '/users/:id',
      {
        schema: {
          tags: ['users'],
          operationId: 'updateUser',
          description:
            'Fields sent replace the current ones; fields left out stay. Send the ETag of the account you read as `If-Match` so that a change made in between is not overwritten: if the account has changed since, nothing is written and the answer is 412 with the current ETag. Needs manage_users.',
          summary: 'Change details, school groups or the access end date; fields left out stay as they are',
          params: idParams,
          headers: IF_MATCH_HEADERS,
          body: { $ref: 'UserPatch#' },
          response: {
            200: json('User', 'The account as changed'),
            ...problemResponses(400, 403, 404, 409, 412, 415),
          },
        },
      },
      async (request, reply) => {
        const body = request.body;
        const has = (key: keyof typeof body) => Object.prototype.hasOwnProperty.call(body, key);
        const optionalText = (key: 'jobTitle' | 'phone') => (has(key) ? (body[key] ?? '') : undefined);
        // Fields left out stay as they are: the service keeps them, read under its row lock.
        await services.userChanges.editDetails(
          callerActor(request),
          request.params.id,
          {
            firstName: body.firstName,
            lastName: body.lastName,
            email: body.email,
            jobTitle: optionalText('jobTitle'),
            phone: optionalText('phone'),
            schoolGroupIds: has('schoolGroupIds') ? body.schoolGroupIds!.map(String) : undefined,
            defaultSchoolGroupId: has('defaultSchoolGroupId') ? String(body.defaultSchoolGroupId ?? '') : undefined,
            // null removes the date.
            accessEndDate: has('accessEndDate') ? (body.accessEndDate ?? '') : undefined,
          },
          requestContext(request),
          expectedVersion(request.headers['if-match']),
        );
        const user = await view(request, request.params.id);
        reply.header('etag', versionTag(user.version));
        return user;
      },
    );

    app.delete(
      '/users/:id',
      {
        schema: {
          tags: ['users'],
          operationId: 'deleteUser',
          description:
            "Removes the account and its personal data now; the username is free at once. Never the LA's last administrator (R17). Needs manage_users; not your own account.",
          summary: 'Delete an account and its personal data now (R31)',
          params: idParams,
          response: { 204: { type: 'null', description: 'Deleted' }, ...problemResponses(400, 403, 404, 409) },
        },
      },
      async (request, reply) => {
        await services.userStatus.delete(callerActor(request), request.params.id, requestContext(request));
        return reply.code(204).send(null);
      },
    );

    app.post(
      '/users/:id/archive',
      {
        schema: {
          tags: ['users'],
          operationId: 'archiveUser',
          description:
            "Ends the account's sessions at once; it can be restored until deletion. Never the LA's last administrator (R17). Needs manage_users; not your own account.",
          summary: 'Archive an account: sign-in stops at once; deleted after the retention period',
          params: idParams,
          response: { 200: json('Archived', 'Archived'), ...problemResponses(400, 403, 404, 409) },
        },
      },
      async (request) => {
        const deletionDueAt = await services.userStatus.archive(
          callerActor(request),
          request.params.id,
          requestContext(request),
        );
        return { id: request.params.id, status: 'archived', deletionDueAt: deletionDueAt.toISOString() };
      },
    );

    app.post(
      '/users/:id/restore',
      {
        schema: {
          tags: ['users'],
          operationId: 'restoreUser',
          description:
            'Privileges, schools, groups and preferences come back as they were; the inactivity clock restarts (R32). Needs manage_users.',
          summary: 'Restore an archived account as it was',
          params: idParams,
          response: { 200: json('User', 'The restored account'), ...problemResponses(400, 403, 404, 409) },
        },
      },
      async (request) => {
        await services.userStatus.restore(callerActor(request), request.params.id, requestContext(request));
        return view(request, request.params.id);
      },
    );

    app.post(
      '/users/:id/reset-two-factor',
      {
        schema: {
          tags: ['users'],
          operationId: 'resetTwoFactor',
          description:
            "Removes the two-factor key and ends the account's sessions; the person is emailed. Needs nexus_admin.",
          summary: 'Reset two-factor authentication (Nexus Admin); the person sets it up again at next sign-in',
          params: idParams,
          response: { 204: { type: 'null', description: 'Reset' }, ...problemResponses(400, 403, 404, 409) },
        },
      },
      async (request, reply) => {
        await services.userStatus.resetTwoFactor(callerActor(request), request.params.id, requestContext(request));
        return reply.code(204).send(null);
      },
    );
  };
}
