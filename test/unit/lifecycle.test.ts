import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { addDays, addMonthsUtc } from '../../src/domain/calendar.ts';
import {
  DEFAULT_POLICY,
  dueAction,
  inactiveSince,
  type AccountHistory,
  type LifecycleAction,
} from '../../src/domain/lifecycle.ts';

const P = DEFAULT_POLICY;
const d = (iso: string) => new Date(iso.length === 10 ? `${iso}T00:00:00Z` : iso);

function history(overrides: Partial<AccountHistory> = {}): AccountHistory {
  return {
    status: 'active',
    createdAt: d('2020-01-01'),
    lastSignInAt: null,
    restoredAt: null,
    accessEndDate: null,
    deletionDueAt: null,
    notices: [],
    ...overrides,
  };
}

/** Runs the policy at the given times, applying what it says, as the job would. */
function simulate(start: AccountHistory, runs: Date[]) {
  let h = start;
  const events: { at: Date; action: LifecycleAction }[] = [];
  for (const at of [...runs].sort((a, b) => a.getTime() - b.getTime())) {
    const action = dueAction(h, P, at);
    if (action.kind === 'none') continue;
    events.push({ at, action });
    if (action.kind === 'warn') h = { ...h, notices: [...h.notices, { stage: action.stage, sentAt: at }] };
    if (action.kind === 'archive')
      h = {
        ...h,
        status: 'archived',
        notices: [...h.notices, { stage: 'archived', sentAt: at }],
        deletionDueAt: addMonthsUtc(at, 18),
      };
    if (action.kind === 'delete') break;
  }
  return { events, final: h };
}

function dailyRuns(from: Date, days: number, hour = 2): Date[] {
  return Array.from(
    { length: days },
    (_, i) => new Date(Date.UTC(from.getUTCFullYear(), from.getUTCMonth(), from.getUTCDate() + i, hour)),
  );
}

describe('lifecycle policy (R34–R42)', () => {
  it('inactive since is the latest of last sign-in, creation and restore (R34)', () => {
    expect(
      inactiveSince({ createdAt: d('2024-01-01'), lastSignInAt: d('2024-06-01'), restoredAt: d('2024-03-01') }),
    ).toEqual(d('2024-06-01'));
    expect(inactiveSince({ createdAt: d('2024-01-01'), lastSignInAt: null, restoredAt: null })).toEqual(
      d('2024-01-01'),
    );
    expect(
      inactiveSince({ createdAt: d('2024-01-01'), lastSignInAt: d('2024-02-01'), restoredAt: d('2025-01-01') }),
    ).toEqual(d('2025-01-01'));
  });

  it.each([
    [
      '2024-05-31T09:00:00Z',
      '2025-08-31T09:00:00Z',
      '2025-09-30T09:00:00Z',
      '2025-10-31T09:00:00Z',
      '2025-11-30T09:00:00Z',
    ],
    [
      '2022-11-30T09:00:00Z',
      '2024-02-29T09:00:00Z',
      '2024-03-30T09:00:00Z',
      '2024-04-30T09:00:00Z',
      '2024-05-30T09:00:00Z',
    ],
    [
      '2023-11-30T09:00:00Z',
      '2025-02-28T09:00:00Z',
      '2025-03-30T09:00:00Z',
      '2025-04-30T09:00:00Z',
      '2025-05-30T09:00:00Z',
    ],
    [
      '2024-02-29T09:00:00Z',
      '2025-05-29T09:00:00Z',
      '2025-06-29T09:00:00Z',
      '2025-07-29T09:00:00Z',
      '2025-08-29T09:00:00Z',
    ],
  ])('from %s: warnings on the exact days %s, %s, %s and archive on %s', (signIn, w15, w16, w17, archive) => {
    const h = history({ lastSignInAt: d(signIn) });
    const just = (iso: string) => new Date(d(iso).getTime() - 1);
    expect(dueAction(h, P, just(w15)).kind).toBe('none');
    expect(dueAction(h, P, d(w15))).toMatchObject({ kind: 'warn', stage: 'warning_1', first: true });
    const after15 = { ...h, notices: [{ stage: 'warning_1' as const, sentAt: d(w15) }] };
    expect(dueAction(after15, P, just(w16)).kind).toBe('none');
    expect(dueAction(after15, P, d(w16))).toMatchObject({ kind: 'warn', stage: 'warning_2', first: false });
    const after16 = { ...after15, notices: [...after15.notices, { stage: 'warning_2' as const, sentAt: d(w16) }] };
    expect(dueAction(after16, P, d(w17))).toMatchObject({ kind: 'warn', stage: 'warning_3' });
    const after17 = { ...after16, notices: [...after16.notices, { stage: 'warning_3' as const, sentAt: d(w17) }] };
    expect(dueAction(after17, P, just(archive)).kind).toBe('none');
    expect(dueAction(after17, P, d(archive))).toEqual({
      kind: 'archive',
      reason: 'inactivity',
      periodStart: d(signIn),
    });
  });

  it('counts a never-signed-in account from its creation', () => {
    const h = history({ createdAt: d('2024-01-15T12:00:00Z') });
    expect(dueAction(h, P, d('2025-04-15T11:59:59Z')).kind).toBe('none');
    expect(dueAction(h, P, d('2025-04-15T12:00:00Z'))).toMatchObject({ kind: 'warn', stage: 'warning_1' });
  });

  it('restarts the period at a restore (R32, R34): old notices do not count, the next warning is the 15-month one', () => {
    const h = history({ lastSignInAt: d('2022-01-01'), restoredAt: d('2025-01-01') });
    expect(dueAction(h, P, d('2026-03-31')).kind).toBe('none');
    expect(dueAction(h, P, d('2026-04-01'))).toMatchObject({
      kind: 'warn',
      stage: 'warning_1',
      periodStart: d('2025-01-01'),
    });
  });

  it('a sign-in between warnings ends the period; the next period starts again at 15 months (R36)', () => {
    const first = simulate(history({ lastSignInAt: d('2024-01-10') }), dailyRuns(d('2025-04-01'), 35));
    expect(first.events.map((e) => e.action.kind === 'warn' && e.action.stage)).toEqual(['warning_1']);
    // Signs in on 2025-05-01; notices of the old period no longer apply.
    const second = simulate(history({ lastSignInAt: d('2025-05-01') }), dailyRuns(d('2026-07-25'), 20));
    expect(second.events.map((e) => e.action.kind === 'warn' && e.action.stage)).toEqual(['warning_1']);
    expect(second.events[0]!.at).toEqual(new Date(Date.UTC(2026, 7, 1, 2)));
  });

  it('after an outage of two months only the latest due warning is sent: one email, not three (R36)', () => {
    const h = history({ lastSignInAt: d('2024-01-10') });
    // The job last ran before the 15-month point and comes back after the 17-month point.
    const runs = [...dailyRuns(d('2025-04-01'), 5), ...dailyRuns(d('2025-06-15'), 30)];
    const { events } = simulate(h, runs);
    expect(events.filter((e) => e.action.kind === 'warn').map((e) => (e.action as { stage: string }).stage)).toEqual([
      'warning_3',
    ]);
  });

  it('switched on late for an account already 20 months inactive: a final warning first, archive no sooner than the notice period (R37)', () => {
    const h = history({ lastSignInAt: d('2023-01-01') });
    const { events } = simulate(h, dailyRuns(d('2024-09-01'), 30));
    expect(events.map((e) => e.action.kind)).toEqual(['warn', 'archive']);
    expect(events[0]!.action).toMatchObject({ stage: 'warning_3', first: true });
    expect(events[1]!.at.getTime() - events[0]!.at.getTime()).toBe(14 * 86_400_000);
  });

  it('a warning sent late (fewer than 14 days before 18 months) postpones the archive to 14 days after it', () => {
    const h = history({ lastSignInAt: d('2024-01-10'), notices: [{ stage: 'warning_3', sentAt: d('2025-07-05') }] });
    expect(dueAction(h, P, d('2025-07-10')).kind).toBe('none');
    expect(dueAction(h, P, d('2025-07-19T00:00:00Z'))).toMatchObject({ kind: 'archive' });
  });

  it('archives on the access end date whatever the activity (R11, R40), and deletes when retention ends (R39)', () => {
    const h = history({ lastSignInAt: d('2026-11-01'), accessEndDate: '2026-11-28' });
    expect(dueAction(h, P, d('2026-11-27T23:59:59Z')).kind).toBe('none');
    expect(dueAction(h, P, d('2026-11-28T00:00:00Z'))).toMatchObject({ kind: 'archive', reason: 'access-ended' });
    const archived = history({ status: 'archived', deletionDueAt: d('2026-12-01') });
    expect(dueAction(archived, P, d('2026-11-30')).kind).toBe('none');
    expect(dueAction(archived, P, d('2026-12-01'))).toEqual({ kind: 'delete' });
  });

  it('property: over random histories and random run times, at most one email per stage per period, never an archive without a warning ≥ 14 days earlier, and nothing left unarchived', () => {
    const day = 86_400_000;
    const arb = fc.record({
      signIn: fc.date({ min: d('2020-01-01'), max: d('2024-12-31'), noInvalidDate: true }),
      // Run times: random offsets (in days, with random hours) from 12 to 26 months after the sign-in.
      runs: fc.array(fc.tuple(fc.integer({ min: 365, max: 800 }), fc.integer({ min: 0, max: 23 })), {
        minLength: 1,
        maxLength: 60,
      }),
    });
    fc.assert(
      fc.property(arb, ({ signIn, runs }) => {
        const runTimes = runs.map(([days, hour]) => new Date(signIn.getTime() + days * day + hour * 3_600_000));
        const { events, final } = simulate(
          history({ lastSignInAt: signIn, createdAt: new Date(signIn.getTime() - day) }),
          runTimes,
        );
        const stages = events.filter((e) => e.action.kind === 'warn').map((e) => (e.action as { stage: string }).stage);
        expect(new Set(stages).size).toBe(stages.length);
        const archive = events.find((e) => e.action.kind === 'archive');
        if (archive) {
          const warned = events.filter((e) => e.action.kind === 'warn');
          expect(warned.length).toBeGreaterThan(0);
          expect(archive.at.getTime() - warned.at(-1)!.at.getTime()).toBeGreaterThanOrEqual(14 * day);
          expect(archive.at >= addMonthsUtc(signIn, 18)).toBe(true);
        }
        // Liveness: a run at or after 18 months, then another run at least 14 days later ⇒ archived.
        const sorted = [...runTimes].sort((a, b) => a.getTime() - b.getTime());
        const firstLate = sorted.find((r) => r >= addMonthsUtc(signIn, 18));
        if (firstLate && sorted.some((r) => r >= addDays(firstLate, 14))) expect(final.status).toBe('archived');
      }),
      { numRuns: 500 },
    );
  });
});
