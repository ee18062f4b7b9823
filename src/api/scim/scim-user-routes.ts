import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Account } from '../../services/records.ts';
import type { Action, Actor } from '../../domain/access.ts';
import { NotFoundError } from '../../domain/errors.ts';
import { parseScimFilter } from '../../domain/scim-filter.ts';
import { normaliseUsername } from '../../domain/usernames.ts';
import type { Services } from '../../services/index.ts';
import { requestContext } from '../../http/request-context.ts';
import { ScimError, SCIM_CONTENT_TYPE } from './scim-errors.ts';
import { applyPatch } from './scim-patch.ts';
import { MAX_PAGE, SCIM_LIST } from './scim-schemas.ts';
import { parseUserBody, stateOf, toScimUser, type ScimUserState } from './scim-user-mapping.ts';
import { expectedVersion } from '../versions.ts';

type IdRequest = FastifyRequest<{ Params: { id: string } }>;

/** A query parameter given once, as text; SCIM clients never repeat them. */
function single(query: unknown, name: string): string | undefined {
  const value = (query as Record<string, unknown> | undefined)?.[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string')
    throw new ScimError(400, name === 'filter' ? 'invalidFilter' : 'invalidValue', `Give ${name} once`);
  return value;
}

/** RFC 7644 §3.4.2.4: startIndex below 1 means 1; a negative count means 0. */
function integer(query: unknown, name: string, fallback: number): number {
  const raw = single(query, name);
  if (raw === undefined || raw.trim() === '') return fallback;
  if (!/^-?\d{1,9}$/.test(raw.trim())) throw new ScimError(400, 'invalidValue', `${name} must be a whole number`);
  return Number(raw.trim());
}

function trimmed(value: string | null): string {
  return (value ?? '').trim();
}

/**
 * /scim/v2/Users (RFC 7644 §3): each handler reads the request into a User as Nexus keeps it and
 * asks the page services for the change. Only accounts of the token's own organisation are
 * visible, even to central support, whose tokens otherwise reach every LA.
 */
export function scimUserRoutes(services: Services) {
  const base = `${services.config.baseUrl}/scim/v2`;

  function caller(request: FastifyRequest): { actor: Actor; organisationId: number } {
    const c = request.apiCaller;
    // registerBearerAuth refuses every request without a token, so this cannot happen in a route.
    if (!c) throw new Error('SCIM route reached without a token');
    return { actor: c.actor, organisationId: c.token.organisationId };
  }

  /** The account for an action, authorised by the access table; another LA's is not found. */
  async function load(request: IdRequest, action: Action): Promise<Account> {
    const { actor, organisationId } = caller(request);
    const { account } = await services.users.view(actor, request.params.id, action);
    if (account.organisation_id !== organisationId) throw new NotFoundError();
    return account;
  }

  async function representation(request: IdRequest | FastifyRequest, id: string) {
    const { actor } = caller(request);
    const { account } = await services.users.view(actor, id);
    return toScimUser(account, base);
  }

  /** Applies the difference between an account and the User it should become. */
  async function apply(request: IdRequest, account: Account, next: ScimUserState): Promise<void> {
    const { actor } = caller(request);
    const ctx = requestContext(request);
    const now = stateOf(account);
    if (normaliseUsername(next.userName) !== account.username)
      throw new ScimError(400, 'mutability', 'userName cannot change once an account exists');
    if (next.typeOfUser !== now.typeOfUser)
      throw new ScimError(
        400,
        'mutability',
        'typeOfUser is set when the account is created; change it on the user page',
      );
    const detailsChanged =
      trimmed(next.givenName) !== now.givenName ||
      trimmed(next.familyName) !== now.familyName ||
      trimmed(next.email) !== now.email ||
      trimmed(next.title) !== trimmed(now.title) ||
      trimmed(next.phone) !== trimmed(now.phone) ||
      (trimmed(next.externalId) || null) !== now.externalId;
    await services.provisioning.apply(
      actor,
      account.id,
      {
        active: next.active,
        details: detailsChanged
          ? {
              firstName: next.givenName,
              lastName: next.familyName,
              email: next.email,
              jobTitle: next.title ?? '',
              phone: next.phone ?? '',
              externalId: next.externalId,
            }
          : undefined,
      },
      ctx,
      // The difference was worked out against the account as read: if it has changed since, or is
      // not the version an If-Match names (RFC 7644 §3.14), nothing is written (412).
      expectedVersion(request.headers['if-match']) ?? account.version,
    );
  }

  return async (app: FastifyInstance) => {
    app.get('/Users', async (request, reply) => {
      const { actor, organisationId } = caller(request);
      const raw = single(request.query, 'filter');
      const filter = raw === undefined || raw.trim() === '' ? undefined : parseScimFilter(raw);
      const startIndex = Math.max(1, integer(request.query, 'startIndex', 1));
      const count = Math.min(MAX_PAGE, Math.max(0, integer(request.query, 'count', 100)));
      const { total, rows } = await services.directory.provisioningList(
        actor,
        organisationId,
        filter,
        startIndex - 1,
        count,
      );
      return reply.type(SCIM_CONTENT_TYPE).send({
        schemas: [SCIM_LIST],
        totalResults: total,
        startIndex,
        itemsPerPage: rows.length,
        Resources: rows.map((r) => toScimUser(r, base)),
      });
    });

    app.post('/Users', async (request, reply) => {
      const { actor, organisationId } = caller(request);
      const user = parseUserBody(request.body);
      const ctx = requestContext(request);
      const account = await services.accounts.createAccount(
        actor,
        {
          organisationId,
          username: user.userName,
          firstName: user.givenName,
          lastName: user.familyName,
          email: user.email,
          jobTitle: user.title ?? '',
          phone: user.phone ?? '',
          userType: user.typeOfUser,
          externalId: user.externalId,
        },
        ctx,
      );
      if (!user.active) await services.userStatus.archive(actor, account.id, ctx, 'provisioning');
      const body = await representation(request, account.id);
      return reply
        .code(201)
        .type(SCIM_CONTENT_TYPE)
        .header('location', body.meta.location)
        .header('etag', body.meta.version)
        .send(body);
    });

    app.get<{ Params: { id: string } }>('/Users/:id', async (request, reply) => {
      const account = await load(request, 'users.view');
      const body = toScimUser(account, base);
      return reply.type(SCIM_CONTENT_TYPE).header('etag', body.meta.version).send(body);
    });

    app.put<{ Params: { id: string } }>('/Users/:id', async (request, reply) => {
      const account = await load(request, 'users.edit');
      await apply(request, account, parseUserBody(request.body, stateOf(account)));
      const body = await representation(request, account.id);
      return reply.type(SCIM_CONTENT_TYPE).header('etag', body.meta.version).send(body);
    });

    app.patch<{ Params: { id: string } }>('/Users/:id', async (request, reply) => {
      const account = await load(request, 'users.edit');
      await apply(request, account, applyPatch(stateOf(account), request.body));
      const body = await representation(request, account.id);
      return reply.type(SCIM_CONTENT_TYPE).header('etag', body.meta.version).send(body);
    });

    app.delete<{ Params: { id: string } }>('/Users/:id', async (request, reply) => {
      const { actor } = caller(request);
      const ctx = requestContext(request);
      if (services.config.api.scimDelete === 'delete') {
        const account = await load(request, 'users.delete');
        await services.userStatus.delete(actor, account.id, ctx);
      } else {
        const account = await load(request, 'users.archive');
        // Already archived: DELETE is idempotent, the account stays archived.
        if (account.status === 'active') await services.userStatus.archive(actor, account.id, ctx, 'provisioning');
      }
      return reply.code(204).send();
    });
  };
}
