import { describe, expect, it } from 'vitest';
import {
  ABSOLUTE_LIFETIME_MS,
  IDLE_LIFETIME_MS,
  PENDING_LIFETIME_MS,
  SessionStore,
  type SignedIn,
} from '../../examples/reporting-app/sessions.ts';

/**
 * The example application's sessions (examples/reporting-app/sessions.ts): a sign-in under way is
 * short-lived and capped, a completed one gets a new id, and a signed-in session ends when idle or
 * old. The clock is the test's.
 */

const T0 = Date.parse('2026-12-03T12:00:00Z');
const MINUTE = 60_000;
const pending = (n = 1) => ({ state: `state-${n}`, nonce: `nonce-${n}`, codeVerifier: `verifier-${n}` });
const signedIn = (sub = 'account-1'): SignedIn => ({
  person: { sub } as SignedIn['person'],
  sid: 'sid-1',
  accessToken: 'access',
  refreshToken: 'refresh',
  expiresAt: T0 + 5 * MINUTE,
});

describe('a sign-in under way', () => {
  it('is handed to its callback once, and a completed sign-in is a session under a new id', () => {
    const store = new SessionStore();
    const id = store.startSignIn(pending(), T0);
    expect(store.isPending(id, T0)).toBe(true);
    expect(store.get(id, T0)).toBeUndefined();

    expect(store.takePending(id, T0 + MINUTE)).toEqual(pending());
    expect(store.takePending(id, T0 + MINUTE)).toBeUndefined();
    const session = store.signIn(signedIn(), T0 + MINUTE);
    expect(session.id).not.toBe(id);
    expect(session.id).toMatch(/^[\w-]{43}$/);
    expect(store.get(session.id, T0 + MINUTE)?.signedIn.person.sub).toBe('account-1');
    // The pre-sign-in id names nothing any more.
    expect(store.get(id, T0 + MINUTE)).toBeUndefined();
    expect(store.isPending(id, T0 + MINUTE)).toBe(false);
    expect(store.size()).toEqual({ pending: 0, signedIn: 1 });
  });

  it('expires after 10 minutes, and is swept away by a later sign-in', () => {
    const store = new SessionStore();
    const late = store.startSignIn(pending(1), T0);
    const swept = store.startSignIn(pending(2), T0);
    expect(PENDING_LIFETIME_MS).toBe(10 * MINUTE);
    expect(store.isPending(late, T0 + PENDING_LIFETIME_MS - 1)).toBe(true);
    expect(store.takePending(late, T0 + PENDING_LIFETIME_MS)).toBeUndefined();
    expect(store.size().pending).toBe(1);
    store.startSignIn(pending(3), T0 + PENDING_LIFETIME_MS);
    expect(store.isPending(swept, T0 + PENDING_LIFETIME_MS)).toBe(false);
    expect(store.size().pending).toBe(1);
  });

  it('is one of at most maxPending: a flood of sign-ins drops the oldest, never a signed-in session', () => {
    const store = new SessionStore({ maxPending: 3 });
    const session = store.signIn(signedIn(), T0);
    const ids = Array.from({ length: 1000 }, (_, i) => store.startSignIn(pending(i), T0 + i));
    expect(store.size()).toEqual({ pending: 3, signedIn: 1 });
    expect(ids.filter((id) => store.isPending(id, T0 + 1000))).toEqual(ids.slice(-3));
    expect(store.get(session.id, T0 + 1000)).toBeDefined();
  });
});

describe('a signed-in session', () => {
  it('ends after 30 idle minutes; each request restarts the idle time', () => {
    const store = new SessionStore();
    const { id } = store.signIn(signedIn(), T0);
    expect(IDLE_LIFETIME_MS).toBe(30 * MINUTE);
    expect(store.get(id, T0 + IDLE_LIFETIME_MS - 1)).toBeDefined();
    expect(store.get(id, T0 + 2 * IDLE_LIFETIME_MS - 2)).toBeDefined();
    expect(store.get(id, T0 + 3 * IDLE_LIFETIME_MS - 2)).toBeUndefined();
    expect(store.size().signedIn).toBe(0);
  });

  it('ends 12 hours after the sign-in however busy it is', () => {
    const store = new SessionStore();
    const { id } = store.signIn(signedIn(), T0);
    for (let t = T0; t < T0 + ABSOLUTE_LIFETIME_MS; t += 10 * MINUTE) expect(store.get(id, t)).toBeDefined();
    expect(store.get(id, T0 + ABSOLUTE_LIFETIME_MS)).toBeUndefined();
  });

  it('is swept once expired, without anyone asking for it', () => {
    const store = new SessionStore();
    store.signIn(signedIn('idle'), T0);
    const busy = store.signIn(signedIn('busy'), T0 + IDLE_LIFETIME_MS - MINUTE);
    store.startSignIn(pending(), T0 + IDLE_LIFETIME_MS);
    expect(store.signedIn().map((s) => s.person.sub)).toEqual(['busy']);
    expect(store.get(busy.id, T0 + IDLE_LIFETIME_MS)).toBeDefined();
  });

  it('ends by back-channel logout of its person or provider session', () => {
    const store = new SessionStore();
    store.signIn(signedIn('a'), T0);
    store.signIn(signedIn('b'), T0);
    expect(store.endFor({ sub: 'a', sid: undefined })).toBe(1);
    expect(store.endFor({ sub: undefined, sid: 'other' })).toBe(0);
    expect(store.signedIn().map((s) => s.person.sub)).toEqual(['b']);
  });
});
