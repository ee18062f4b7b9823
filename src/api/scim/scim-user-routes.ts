import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Account } from '../../services/records.ts';
import type { Action, Actor } from '../../domain/access.ts';
import { NotFoundError } from '../../domain/errors.ts';
import { parseScimFilter } from '../../domain/scim-filter.ts';
import type { Services } from '../../services/index.ts';
import { requestContext } from '../../http/request-context.ts';
import { attributeNames, project, type Projection } from './scim-attributes.ts';
import { ScimError, SCIM_CONTENT_TYPE } from './scim-errors.ts';
import { applyPatch } from './scim-patch.ts';
import { MAX_PAGE, SCIM_LIST, SCIM_NEXUS, SCIM_SEARCH } from './scim-schemas.ts';
import {
  detailsOf,
  member,
  parseUserBody,
  scimBody,
  stateOf,
  toScimUser,
  type ScimUserState,
} from './scim-user-mapping.ts';
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
function integer(raw: unknown, name: string, fallback: number): number {
  if (raw === undefined || raw === null || (typeof raw === 'string' && raw.trim() === '')) return fallback;
  if (typeof raw === 'number' && Number.isInteger(raw) && Math.abs(raw) < 1e9) return raw;
  if (typeof raw !== 'string' || !/^-?\d{1,9}$/.test(raw.trim()))
    throw new ScimError(400, 'invalidValue', `${name} must be a whole number`);
  return Number(raw.trim());
}

const EXTENSIONS = [SCIM_NEXUS];

/** attributes / excludedAttributes, from the query (comma-separated) or a .search body (lists). */
function projectionOf(source: (name: string) => unknown): Projection {
  const attributes = attributeNames(source('attributes'), 'attributes', EXTENSIONS);
  const excluded = attributeNames(source('excludedAttributes'), 'excludedAttributes', EXTENSIONS);
  return { ...(attributes ? { attributes } : {}), ...(excluded ? { excluded } : {}) };
}

function queryProjection(request: FastifyRequest): Projection {
  return projectionOf((name) => single(request.query, name));
}

/** A list request: from GET's query or POST .search's body (RFC 7644 §3.4.3). */
interface ListRequest {
  filter: string | undefined;
  startIndex: number;
  count: number;
  projection: Projection;
}

function trimmed(value: string | null): string {
  return (value ?? '').trim();
}

/**
 * /scim/v2/Users (RFC 7644 §3): each handler reads the request into a User as Nexus keeps it and
 * asks the page services for the change. Only accounts of the token's own organisation are
 * visible, even to central support, whose tokens otherwise reach every LA; an account the
 * identity system deleted is archived for the LA but gone for SCIM (RFC 7644 §3.6).
 */
export function scimUserRoutes(services: Services) {
  const base = `${services.config.baseUrl}/scim/v2`;

  function caller(request: FastifyRequest): { actor: Actor; organisationId: number } {
    const c = request.apiCaller;
    // registerBearerAuth refuses every request without a token, so this cannot happen in a route.
    if (!c) throw new Error('SCIM route reached without a token');
    return { actor: c.actor, organisationId: c.token.organisationId };
  }

  /** The account for an action, authorised by the access table; another LA's, or a deleted one, is not found. */
  async function load(request: IdRequest, action: Action): Promise<Account> {
    const { actor, organisationId } = caller(request);
    const { account } = await services.users.view(actor, request.params.id, action);
    if (account.organisation_id !== organisationId || account.deprovisioned_at !== null) throw new NotFoundError();
    return account;
  }

  /** The account as SCIM shows it, with its ETag, trimmed to the attributes asked for. */
  /**
   * `projection` is read from the query before any change is made (a bad `attributes` is a 400
   * that must leave nothing written), then applied to the answer.
   */
  async function sendUser(
    request: FastifyRequest,
    reply: FastifyReply,
    id: string,
    status = 200,
    projection: Projection = queryProjection(request),
  ) {
    const { actor } = caller(request);
    const { account } = await services.users.view(actor, id);
    const body = toScimUser(account, base);
    if (status === 201) reply.header('location', body.meta.location);
    return reply.code(status).type(SCIM_CONTENT_TYPE).header('etag', body.meta.version).send(project(body, projection));
  }

  /** Refuses a change of the Type of User, which is set on creation only (immutable in /Schemas). */
  function keepTypeOfUser(next: ScimUserState, now: ScimUserState) {
    if (next.typeOfUser !== now.typeOfUser)
      throw new ScimError(
        400,
        'mutability',
        'typeOfUser is set when the account is created; change it on the user page',
      );
  }

  /** The difference between an account and the User it should become, as the services take it. */
  function changeFrom(account: Account, next: ScimUserState) {
    const now = stateOf(account);
    keepTypeOfUser(next, now);
    const detailsChanged =
      trimmed(next.givenName) !== now.givenName ||
      trimmed(next.familyName) !== now.familyName ||
      trimmed(next.email) !== now.email ||
      trimmed(next.title) !== trimmed(now.title) ||
      trimmed(next.phone) !== trimmed(now.phone) ||
      (trimmed(next.externalId) || null) !== now.externalId;
    return {
      active: next.active,
      // A rename (Entra ID sends one when a UPN changes), also of the case alone: kept as given.
      ...(next.userName.trim() !== account.username ? { username: next.userName } : {}),
      details: detailsChanged ? detailsOf(next) : undefined,
    };
  }

  /** Applies the difference between an account and the User it should become. */
  async function apply(request: IdRequest, account: Account, next: ScimUserState): Promise<void> {
    const { actor } = caller(request);
    await services.provisioning.apply(
      actor,
      account.id,
      changeFrom(account, next),
      requestContext(request),
      // The difference was worked out against the account as read: if it has changed since, or is
      // not the version an If-Match names (RFC 7644 §3.14), nothing is written (412).
      expectedVersion(request.headers['if-match']) ?? account.version,
    );
  }

  async function list(request: FastifyRequest, reply: FastifyReply, wanted: ListRequest) {
    const { actor, organisationId } = caller(request);
    const filter =
      wanted.filter === undefined || wanted.filter.trim() === '' ? undefined : parseScimFilter(wanted.filter);
    const startIndex = Math.max(1, wanted.startIndex);
    const count = Math.min(MAX_PAGE, Math.max(0, wanted.count));
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
      Resources: rows.map((r) => project(toScimUser(r, base), wanted.projection)),
    });
  }

  return async (app: FastifyInstance) => {
    app.get('/Users', async (request, reply) =>
      list(request, reply, {
        filter: single(request.query, 'filter'),
        startIndex: integer(single(request.query, 'startIndex'), 'startIndex', 1),
        count: integer(single(request.query, 'count'), 'count', 100),
        projection: queryProjection(request),
      }),
    );

    // RFC 7644 §3.4.3: a query in the body, for filters too long or too private for a URL.
    app.post('/Users/.search', async (request, reply) => {
      const body = scimBody(request.body, SCIM_SEARCH);
      const filter = member(body, 'filter');
      if (filter !== undefined && filter !== null && typeof filter !== 'string')
        throw new ScimError(400, 'invalidFilter', 'filter must be a string');
      return list(request, reply, {
        filter: filter ?? undefined,
        startIndex: integer(member(body, 'startIndex'), 'startIndex', 1),
        count: integer(member(body, 'count'), 'count', 100),
        projection: projectionOf((name) => member(body, name)),
      });
    });

    app.post('/Users', async (request, reply) => {
      const projection = queryProjection(request);
      const { actor, organisationId } = caller(request);
      const user = parseUserBody(request.body);
      const ctx = requestContext(request);
      // A re-hire: the identity system deleted this userName (or this externalId, renamed since)
      // before; that archived account comes back instead of a 409 nobody can resolve through SCIM.
      const returning = await services.provisioning.deprovisionedAccountId(
        actor,
        organisationId,
        user.userName,
        user.externalId,
      );
      if (returning !== undefined) {
        const { account } = await services.users.view(actor, returning);
        // What the body leaves out stays as the account had it, except active: a re-hire is active unless it says not.
        const rehired = parseUserBody(request.body, { ...stateOf(account), active: true });
        await services.provisioning.reprovision(actor, returning, changeFrom(account, rehired), ctx);
        return sendUser(request, reply, returning, 201, projection);
      }
      const account = await services.accounts.createAccount(
        actor,
        {
          organisationId,
          username: user.userName,
          keepUsernameCase: true,
          ...detailsOf(user),
          userType: user.typeOfUser,
        },
        ctx,
      );
      if (!user.active) await services.userStatus.archive(actor, account.id, ctx, 'provisioning');
      return sendUser(request, reply, account.id, 201, projection);
    });

    app.get<{ Params: { id: string } }>('/Users/:id', async (request, reply) => {
      const account = await load(request, 'users.view');
      return sendUser(request, reply, account.id);
    });

    app.put<{ Params: { id: string } }>('/Users/:id', async (request, reply) => {
      const projection = queryProjection(request);
      const account = await load(request, 'users.edit');
      await apply(request, account, parseUserBody(request.body, stateOf(account)));
      return sendUser(request, reply, account.id, 200, projection);
    });

    app.patch<{ Params: { id: string } }>('/Users/:id', async (request, reply) => {
      const projection = queryProjection(request);
      const account = await load(request, 'users.edit');
      await apply(request, account, applyPatch(stateOf(account), request.body));
      return sendUser(request, reply, account.id, 200, projection);
    });

    app.delete<{ Params: { id: string } }>('/Users/:id', async (request, reply) => {
      const { actor } = caller(request);
      const ctx = requestContext(request);
      if (services.config.api.scimDelete === 'delete') {
        const account = await load(request, 'users.delete');
        await services.userStatus.delete(actor, account.id, ctx);
      } else {
        // Archived for the LA (restorable, R33 retention), gone for SCIM: a second DELETE is 404.
        const account = await load(request, 'users.archive');
        await services.provisioning.deprovision(actor, account.id, ctx);
      }
      return reply.code(204).send();
    });
  };
}
