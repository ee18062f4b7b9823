import { randomBytes } from 'node:crypto';
import type { Person } from './person.ts';
import type { LogoutTarget } from './backchannel-logout.ts';

/**
 * The app's sessions, kept on the server: the browser holds only a signed cookie with a random
 * session id; tokens never reach it. In memory, so a restart signs everyone out; an application
 * with several processes keeps them in a shared store instead.
 *
 * Anyone can start a sign-in, so a sign-in under way lives 10 minutes and at most `maxPending` of
 * them are kept (the oldest dropped first): a flood of GET /sign-in cannot fill the memory. A
 * completed sign-in gets a new id (the pre-sign-in one, which the browser held before anyone was
 * signed in, could have been planted: session fixation) and ends after 30 idle minutes or 12 hours.
 * Every method takes the app's clock (ms since the epoch).
 */

export const PENDING_LIFETIME_MS = 10 * 60_000;
export const IDLE_LIFETIME_MS = 30 * 60_000;
export const ABSOLUTE_LIFETIME_MS = 12 * 60 * 60_000;
const DEFAULT_MAX_PENDING = 10_000;
/** Expired sessions are swept on a write at most this often, so a sweep's cost is spread out. */
const SWEEP_EVERY_MS = 60_000;

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

interface PendingSession {
  readonly pending: PendingSignIn;
  readonly createdAt: number;
}

export interface Session {
  readonly id: string;
  signedIn: SignedIn;
  readonly startedAt: number;
  lastSeenAt: number;
  /** The refresh in flight: requests that arrive meanwhile wait for it instead of reusing the old token. */
  refreshing?: Promise<SignedIn | undefined>;
}

const newId = () => randomBytes(32).toString('base64url');

export class SessionStore {
  /** In creation order, so the first is the oldest. */
  readonly #pending = new Map<string, PendingSession>();
  readonly #signedIn = new Map<string, Session>();
  readonly #maxPending: number;
  #sweptAt = -Infinity;

  constructor(options: { maxPending?: number } = {}) {
    this.#maxPending = options.maxPending ?? DEFAULT_MAX_PENDING;
  }

  /** Starts a sign-in; returns the id its cookie carries to the callback. */
  startSignIn(pending: PendingSignIn, now: number): string {
    this.#sweep(now);
    while (this.#pending.size >= this.#maxPending) this.#pending.delete(this.#pending.keys().next().value!);
    const id = newId();
    this.#pending.set(id, { pending, createdAt: now });
    return id;
  }

  /** The sign-in under way of `id`, taken out so that its callback runs once; undefined when expired or unknown. */
  takePending(id: string, now: number): PendingSignIn | undefined {
    const found = this.#pending.get(id);
    this.#pending.delete(id);
    return found && now < found.createdAt + PENDING_LIFETIME_MS ? found.pending : undefined;
  }

  /** Whether `id` is a sign-in under way (a browser that has not come back yet). */
  isPending(id: string, now: number): boolean {
    const found = this.#pending.get(id);
    return found !== undefined && now < found.createdAt + PENDING_LIFETIME_MS;
  }

  /** A completed sign-in: a session under a new id. */
  signIn(signedIn: SignedIn, now: number): Session {
    this.#sweep(now);
    const session: Session = { id: newId(), signedIn, startedAt: now, lastSeenAt: now };
    this.#signedIn.set(session.id, session);
    return session;
  }

  /** The signed-in session of `id`, its idle time restarted; undefined (and forgotten) once expired. */
  get(id: string, now: number): Session | undefined {
    const session = this.#signedIn.get(id);
    if (!session) return undefined;
    if (expired(session, now)) {
      this.#signedIn.delete(id);
      return undefined;
    }
    session.lastSeenAt = now;
    return session;
  }

  end(id: string): void {
    this.#pending.delete(id);
    this.#signedIn.delete(id);
  }

  /** Ends the sessions a back-channel logout names; returns how many. */
  endFor(target: LogoutTarget): number {
    let ended = 0;
    for (const [id, { signedIn: who }] of this.#signedIn) {
      if (target.sub !== undefined && who.person.sub !== target.sub) continue;
      if (target.sid !== undefined && who.sid !== target.sid) continue;
      this.#signedIn.delete(id);
      ended++;
    }
    return ended;
  }

  /** The signed-in sessions, oldest first (for tests and diagnostics). */
  signedIn(): SignedIn[] {
    return [...this.#signedIn.values()].map((s) => s.signedIn);
  }

  /** How many sessions are held (for tests and diagnostics). */
  size(): { pending: number; signedIn: number } {
    return { pending: this.#pending.size, signedIn: this.#signedIn.size };
  }

  #sweep(now: number): void {
    if (now - this.#sweptAt < SWEEP_EVERY_MS) return;
    this.#sweptAt = now;
    for (const [id, p] of this.#pending) if (now >= p.createdAt + PENDING_LIFETIME_MS) this.#pending.delete(id);
    for (const [id, s] of this.#signedIn) if (expired(s, now)) this.#signedIn.delete(id);
  }
}

function expired(session: Session, now: number): boolean {
  return now >= session.lastSeenAt + IDLE_LIFETIME_MS || now >= session.startedAt + ABSOLUTE_LIFETIME_MS;
}
