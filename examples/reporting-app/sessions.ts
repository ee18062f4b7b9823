import { randomBytes } from 'node:crypto';
import type { Person } from './person.ts';
import type { LogoutTarget } from './backchannel-logout.ts';

/**
 * The app's sessions, kept on the server: the browser holds only a signed cookie with a random
 * session id; tokens never reach it. In memory, so a restart signs everyone out; an application
 * with several processes keeps them in a shared store (and expires them) instead.
 */

/** A sign-in under way: what the callback must check (RFC 7636 verifier, state, nonce). */
export interface PendingSignIn {
  readonly state: string;
  readonly nonce: string;
  readonly codeVerifier: string;
}

export interface SignedIn {
  readonly person: Person;
  /** The provider's session id (the ID token's sid): a back-channel logout may name it. */
  readonly sid: string | undefined;
  readonly accessToken: string;
  readonly refreshToken: string | undefined;
  /** When the access token expires (ms since the epoch, on the app's clock). */
  readonly expiresAt: number;
}

export interface Session {
  readonly id: string;
  pending?: PendingSignIn;
  signedIn?: SignedIn;
  /** The refresh in flight: requests that arrive meanwhile wait for it instead of reusing the old token. */
  refreshing?: Promise<SignedIn | undefined>;
}

export class SessionStore {
  readonly #sessions = new Map<string, Session>();

  create(): Session {
    const session: Session = { id: randomBytes(32).toString('base64url') };
    this.#sessions.set(session.id, session);
    return session;
  }

  get(id: string): Session | undefined {
    return this.#sessions.get(id);
  }

  end(id: string): void {
    this.#sessions.delete(id);
  }

  /** Ends the sessions a back-channel logout names; returns how many. */
  endFor(target: LogoutTarget): number {
    let ended = 0;
    for (const [id, session] of this.#sessions) {
      const who = session.signedIn;
      if (!who) continue;
      if (target.sub !== undefined && who.person.sub !== target.sub) continue;
      if (target.sid !== undefined && who.sid !== target.sid) continue;
      this.#sessions.delete(id);
      ended++;
    }
    return ended;
  }

  /** The signed-in sessions (for tests and diagnostics). */
  signedIn(): SignedIn[] {
    return [...this.#sessions.values()].flatMap((s) => (s.signedIn ? [s.signedIn] : []));
  }
}
