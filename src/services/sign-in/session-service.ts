import {
  deleteExpiredSessions,
  deleteSession,
  findSessionWithAccount,
  touchSession,
} from '../../data/queries/session-queries.ts';
import type { ServiceDeps } from '../deps.ts';
import { principalOf, type Principal } from './principal.ts';
import { hashToken } from './secrets.ts';
import { recheckLaSession } from './la-sign-in.ts';
import { SYSTEM_CONTEXT } from '../request-context.ts';

export interface SignedIn extends Principal {
  readonly sessionIdHash: string;
  /** When the session ends if nothing more is done: the idle limit from its last recorded use, or its absolute end if sooner. */
  readonly expiresAt: Date;
  /** The session's absolute end, however busy it is. */
  readonly absoluteExpiresAt: Date;
  /** When the person last proved who they are (the session is opened by the last credential check). */
  readonly signedInAt: Date;
}

/** Last-seen times are written at most this often, so browsing is not a write per request. */
const TOUCH_INTERVAL_MS = 60_000;

/**
 * Server-side sessions (R54). The account, its status and its privileges are read afresh on
 * every request, so a removed privilege or an archive stops the very next request (R18).
 */
export function createSessionService(deps: ServiceDeps) {
  const { db, clock, config } = deps;
  const sessionEnd = (lastSeen: Date, absoluteEnd: Date) =>
    new Date(Math.min(lastSeen.getTime() + config.sessionIdleMinutes * 60_000, absoluteEnd.getTime()));

  return {
    async resolve(token: string | undefined): Promise<SignedIn | undefined> {
      if (!token || token.length > 200) return undefined;
      const idHash = hashToken(token);
      // The session and the person it signs in, as they are now, in one round trip (every page).
      const found = await findSessionWithAccount(db, idHash);
      if (!found || found.session.stage !== 'signed_in') return undefined;
      const { session } = found;
      const now = clock.now();
      const idleLimit = now.getTime() - config.sessionIdleMinutes * 60_000;
      if (session.expires_at <= now || session.last_seen_at.getTime() <= idleLimit) {
        await deleteSession(db, idHash);
        return undefined;
      }
      const principal = principalOf(found);
      if (!principal) {
        await deleteSession(db, idHash);
        return undefined;
      }
      // Opened through the LA's provider: at least daily, the provider must still vouch for the person (R64).
      if (session.la_confirmed_at && !(await recheckLaSession(deps, session, found.account, SYSTEM_CONTEXT)))
        return undefined;
      let lastSeen = session.last_seen_at;
      if (now.getTime() - lastSeen.getTime() >= TOUCH_INTERVAL_MS) {
        await touchSession(db, idHash, now);
        lastSeen = now;
      }
      return {
        ...principal,
        sessionIdHash: idHash,
        expiresAt: sessionEnd(lastSeen, session.expires_at),
        absoluteExpiresAt: session.expires_at,
        signedInAt: session.created_at,
      };
    },

    /**
     * "Stay signed in" (the timeout warning): records a use now, whatever the touch interval, and
     * says when the session now ends.
     */
    async keepAlive(signedIn: SignedIn): Promise<Date> {
      const now = clock.now();
      await touchSession(db, signedIn.sessionIdHash, now);
      return sessionEnd(now, signedIn.absoluteExpiresAt);
    },

    /** Housekeeping: removes sessions past their idle or absolute limit. */
    async purgeExpired(): Promise<number> {
      const now = clock.now();
      return deleteExpiredSessions(db, now, new Date(now.getTime() - config.sessionIdleMinutes * 60_000));
    },
  };
}
