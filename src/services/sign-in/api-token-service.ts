import { randomBytes, randomUUID } from 'node:crypto';
import {
  findApiToken,
  findApiTokenByHash,
  insertApiToken,
  listApiTokens,
  revokeApiToken,
  touchApiToken,
} from '../../data/queries/api-token-queries.ts';
import { authorise, type Actor } from '../../domain/access.ts';
import { looksLikeToken, tokenDisplayPrefix, tokenState, validateTokenRequest } from '../../domain/api-tokens.ts';
import { NotFoundError, RuleError, ValidationError } from '../../domain/errors.ts';
import { audit, who } from '../audit.ts';
import type { ServiceDeps } from '../deps.ts';
import { organisationInScope } from '../organisation-scope.ts';
import { loadPrincipal, type Principal } from './principal.ts';
import type { RequestContext } from '../request-context.ts';
import { hashToken } from './secrets.ts';

/** A request made with an API token: the creator as they are now, and which token it was. */
export interface ApiCaller extends Principal {
  readonly token: {
    readonly id: string;
    readonly name: string;
    readonly prefix: string;
    readonly organisationId: number;
  };
}

/** Last-used times are written at most this often. */
const TOUCH_INTERVAL_MS = 60_000;

/**
 * API tokens (R56, R57). A token belongs to an LA and to the administrator who made it, and acts
 * with that person's privileges at the moment of each use: it weakens when they lose a
 * privilege and stops when they are archived. Only its SHA-256 is stored.
 */
export function createApiTokenService({ db, clock }: ServiceDeps) {
  return {
    async list(actor: Actor, la?: unknown) {
      const organisation = await organisationInScope(db, actor, la, 'api-tokens.manage');
      const now = clock.now();
      const tokens = await listApiTokens(db, organisation.id);
      return { organisation, tokens: tokens.map((t) => ({ ...t, state: tokenState(t, now) })) };
    },

    /** Returns the token in plain text: the only time anyone sees it. */
    async create(actor: Actor, input: { name?: unknown; lifetimeDays?: unknown }, ctx: RequestContext) {
      if (actor.kind !== 'account') throw new NotFoundError();
      authorise(actor, 'api-tokens.manage', { organisationId: actor.organisationId });
      const { value, errors } = validateTokenRequest(input);
      if (!value) throw new ValidationError(errors);
      const now = clock.now();
      const token = `nxa_${randomBytes(32).toString('base64url')}`;
      const id = randomUUID();
      const expiresAt = new Date(now.getTime() + value.lifetimeDays * 86_400_000);
      await db.transaction().execute(async (trx) => {
        await insertApiToken(trx, {
          id,
          organisationId: actor.organisationId,
          createdBy: actor.accountId,
          name: value.name,
          prefix: tokenDisplayPrefix(token),
          tokenHash: hashToken(token),
          createdAt: now,
          expiresAt,
        });
        await audit(trx, who(actor), ctx, now, {
          action: 'api-token.created',
          organisationId: actor.organisationId,
          subjectAccountId: actor.accountId,
          details: { token: value.name, prefix: tokenDisplayPrefix(token), expires: expiresAt.toISOString() },
        });
      });
      return { id, token, name: value.name, expiresAt };
    },

    async revoke(actor: Actor, id: string, ctx: RequestContext) {
      if (actor.kind !== 'account') throw new NotFoundError();
      const row = /^[0-9a-f-]{36}$/i.test(id) ? await findApiToken(db, id) : undefined;
      if (!row) throw new NotFoundError();
      authorise(actor, 'api-tokens.manage', { organisationId: row.organisation_id });
      const now = clock.now();
      await db.transaction().execute(async (trx) => {
        if (!(await revokeApiToken(trx, id, actor.accountId, now)))
          throw new RuleError('This token has already been revoked');
        await audit(trx, who(actor), ctx, now, {
          action: 'api-token.revoked',
          organisationId: row.organisation_id,
          subjectAccountId: row.created_by,
          details: { token: row.name, prefix: row.prefix },
        });
      });
      return row;
    },

    /**
     * The caller behind an Authorization: Bearer token, or undefined for any token that is
     * malformed, unknown, revoked, expired, or whose creator is no longer active.
     */
    async authenticate(token: string): Promise<ApiCaller | undefined> {
      if (!looksLikeToken(token)) return undefined;
      const row = await findApiTokenByHash(db, hashToken(token));
      const now = clock.now();
      if (!row || tokenState(row, now) !== 'active') return undefined;
      const principal = await loadPrincipal(db, row.created_by);
      if (!principal || principal.account.organisation_id !== row.organisation_id) return undefined;
      if (!row.last_used_at || now.getTime() - row.last_used_at.getTime() >= TOUCH_INTERVAL_MS)
        await touchApiToken(db, row.id, now);
      return {
        ...principal,
        token: { id: row.id, name: row.name, prefix: row.prefix, organisationId: row.organisation_id },
      };
    },

    /** Every use of a token is in its LA's audit log (R50): what was called and the outcome. */
    async recordUse(caller: ApiCaller, use: { method: string; route: string; status: number }, ctx: RequestContext) {
      await audit(db, who(caller.actor), ctx, clock.now(), {
        action: 'api-token.used',
        organisationId: caller.token.organisationId,
        subjectAccountId: null,
        details: {
          token: caller.token.name,
          prefix: caller.token.prefix,
          method: use.method,
          route: use.route,
          status: use.status,
        },
      });
    },
  };
}
