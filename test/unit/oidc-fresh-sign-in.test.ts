import { describe, expect, it } from 'vitest';
import { freshSignInNeeded, signInDemandOf } from '../../src/domain/oidc-fresh-sign-in.ts';

const now = new Date('2026-12-03T12:00:00Z');
const minutesAgo = (m: number) => new Date(now.getTime() - m * 60_000);

describe('freshSignInNeeded', () => {
  it('asks nothing of a request without prompt=login or max_age', () => {
    expect(freshSignInNeeded(signInDemandOf({ prompt: 'none' }), minutesAgo(600), now)).toBe(false);
  });

  it('asks again for prompt=login and for max_age=0, however recent the sign-in', () => {
    expect(freshSignInNeeded(signInDemandOf({ prompt: 'login' }), now, now)).toBe(true);
    expect(freshSignInNeeded(signInDemandOf({ max_age: 0 }), now, now)).toBe(true);
  });

  it('compares max_age with the time since the sign-in, to the second', () => {
    const demand = signInDemandOf({ max_age: '300' });
    expect(freshSignInNeeded(demand, minutesAgo(5), now)).toBe(false);
    expect(freshSignInNeeded(demand, new Date(minutesAgo(5).getTime() - 1000), now)).toBe(true);
  });

  it('once the person has been sent away, only a later sign-in answers, whatever else was asked', () => {
    const refused = minutesAgo(20);
    const demand = signInDemandOf({ prompt: 'login', max_age: '0' }, refused);
    expect(freshSignInNeeded(demand, refused, now)).toBe(true);
    expect(freshSignInNeeded(demand, minutesAgo(1), now)).toBe(false);
  });

  it('ignores a max_age that is not a whole number of seconds (the provider refuses it first)', () => {
    expect(signInDemandOf({ max_age: 'soon' })).toEqual({ promptLogin: false });
    expect(signInDemandOf({ max_age: -1 })).toEqual({ promptLogin: false });
  });
});
