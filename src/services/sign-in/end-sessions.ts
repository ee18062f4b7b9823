import type { Executor } from '../../data/database.ts';
import {
  applicationsWithLogoutUri,
  deleteProviderSessionsOf,
  deleteProviderStateOf,
  insertLogouts,
} from '../../data/queries/oidc-logout-queries.ts';
import { deleteSessionsOfAccount } from '../../data/queries/session-queries.ts';

/** What oidc-provider keeps per application in a session: the `sid` it gave that application. */
function authorizationsOf(payload: unknown): [string, { sid?: unknown }][] {
  const authorizations = (payload as { authorizations?: unknown } | null)?.authorizations;
  return authorizations && typeof authorizations === 'object'
    ? Object.entries(authorizations as Record<string, { sid?: unknown }>)
    : [];
}

/**
 * Ends the account's sessions at the OpenID Connect provider in the caller's transaction (R63):
 * its sessions, grants, codes and tokens go (a refresh is refused at once, and a deleted account
 * leaves nothing there, R31), and every application that had one of those sessions and takes
 * back-channel logouts gets one, through the logout outbox: written with the change, sent by the
 * delivery loop (src/services/oidc/logout-delivery.ts), once per session and application. Returns how
 * many logouts were queued.
 */
export async function endProviderSessions(trx: Executor, accountId: string, now: Date): Promise<number> {
  // The logouts are those of the sessions this statement deleted, whatever else commits meanwhile.
  const sessions = await deleteProviderSessionsOf(trx, accountId);
  const wanted = sessions.flatMap((session) =>
    authorizationsOf(session.payload).map(([clientId, { sid }]) => ({
      sessionId: session.id,
      clientId,
      accountId,
      sid: typeof sid === 'string' ? sid : null,
    })),
  );
  const listening = await applicationsWithLogoutUri(trx, [...new Set(wanted.map((w) => w.clientId))]);
  await deleteProviderStateOf(trx, accountId);
  return insertLogouts(
    trx,
    wanted.filter((w) => listening.has(w.clientId)),
    now,
  );
}

/**
 * Ends every session of the account, in Nexus (all but `except`, the session making the change)
 * and in every application that signs people in through Nexus: what archiving, deleting, a
 * two-factor reset and a password change or reset do. Returns how many Nexus sessions ended.
 */
export async function endSessionsOfAccount(
  trx: Executor,
  accountId: string,
  now: Date,
  except?: string,
): Promise<number> {
  const ended = await deleteSessionsOfAccount(trx, accountId, except);
  await endProviderSessions(trx, accountId, now);
  return ended;
}
