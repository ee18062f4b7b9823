import { Cron } from 'croner';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { addDays, addMonthsUtc, dateIn, startOfDayIn } from '../../src/domain/calendar.ts';
import {
  afterEvent,
  DEFAULT_POLICY,
  DEFAULT_RETENTION,
  dueAction,
  nextDueAt,
  outlook,
  upcomingEvents,
  warningName,
  type AccountHistory,
  type LifecyclePolicy,
  type RetentionPolicy,
} from '../../src/domain/lifecycle.ts';
import { CronRunSchedule } from '../../src/domain/cron-runs.ts';

/**
 * The one schedule (issue 10): `nextDueAt` (what the accounts table stores), `dueAction` (what
 * the job does) and `upcomingEvents`/`outlook` (what every page and email says) agree.
 */

const d = (iso: string) => new Date(iso);
/** One schedule for the file: its cache of runs is what keeps these properties fast. */
const RUNS = new CronRunSchedule(new Cron('0 2 * * *', { timezone: 'Europe/London', paused: true }));
const nightly = () => RUNS;
const SHORT: LifecyclePolicy = {
  warningMonths: [6, 7, 8],
  archiveMonths: 9,
  minimumNoticeDays: 14,
  timezone: 'Europe/London',
};
const LONG_NOTICE: LifecyclePolicy = {
  warningMonths: [15, 16, 17],
  archiveMonths: 18,
  minimumNoticeDays: 45,
  timezone: 'Europe/London',
};
const POLICIES = [DEFAULT_POLICY, SHORT, LONG_NOTICE];
const SHORT_RETENTION: RetentionPolicy = { manualRetentionDays: 7, automaticRetentionMonths: 2 };

function history(overrides: Partial<AccountHistory> = {}): AccountHistory {
  return {
    status: 'active',
    createdAt: d('2020-01-01T00:00:00Z'),
    lastSignInAt: null,
    restoredAt: null,
    accessEndDate: null,
    deletionDueAt: null,
    notices: [],
    ...overrides,
  };
}

/** The job, run at each of `runs` in order, applying what it says (as the database would record it). */
function simulateJob(
  start: AccountHistory,
  policy: LifecyclePolicy,
  retention: RetentionPolicy,
  runs: readonly Date[],
) {
  let h = start;
  const acted: { at: Date; kind: string; stage?: string }[] = [];
  for (const at of runs) {
    const action = dueAction(h, policy, at);
    if (action.kind === 'none') continue;
    acted.push({ at, kind: action.kind, ...(action.kind === 'warn' ? { stage: action.stage } : {}) });
    if (action.kind === 'delete') break;
    h = afterEvent(h, action, at, retention);
  }
  return { acted, final: h };
}

function nightlyRuns(from: Date, days: number): Date[] {
  const out: Date[] = [];
  let at = RUNS.nextRunAtOrAfter(from);
  for (let i = 0; i < days; i++) {
    out.push(at);
    at = RUNS.nextRunAtOrAfter(new Date(at.getTime() + 1));
  }
  return out;
}

const arbHistory = fc.record({
  inactiveSince: fc.date({ min: d('2021-01-01T00:00:00Z'), max: d('2024-12-31T23:59:59Z'), noInvalidDate: true }),
  kind: fc.constantFrom('sign-in', 'creation', 'restore'),
  accessEnd: fc.option(fc.integer({ min: 0, max: 1200 }), { nil: null }),
  policy: fc.constantFrom(...POLICIES),
});

function historyFrom(a: { inactiveSince: Date; kind: string; accessEnd: number | null }): AccountHistory {
  const since = new Date(Math.floor(a.inactiveSince.getTime() / 1000) * 1000);
  const created = a.kind === 'creation' ? since : addDays(since, -400);
  return history({
    createdAt: created,
    lastSignInAt: a.kind === 'sign-in' ? since : a.kind === 'restore' ? addDays(since, -900) : null,
    restoredAt: a.kind === 'restore' ? since : null,
    accessEndDate: a.accessEnd === null ? null : addDays(since, a.accessEnd).toISOString().slice(0, 10),
  });
}

describe('the lifecycle schedule', () => {
  it('names warnings by their order, whatever the months', () => {
    expect(['warning_1', 'warning_2', 'warning_3'].map((s) => warningName(s as 'warning_1'))).toEqual([
      'first warning',
      'second warning',
      'final warning',
    ]);
  });

  it('warns at the configured months, not at 15, 16 and 17 (LIFECYCLE_WARNING_MONTHS=6,7,8, archive at 9)', () => {
    const h = history({ lastSignInAt: d('2025-01-10T09:00:00Z') });
    const { acted } = simulateJob(h, SHORT, DEFAULT_RETENTION, nightlyRuns(d('2025-06-01T00:00:00Z'), 150));
    expect(acted.map((a) => [a.at.toISOString().slice(0, 10), a.kind, a.stage ?? ''])).toEqual([
      ['2025-07-11', 'warn', 'warning_1'],
      ['2025-08-11', 'warn', 'warning_2'],
      ['2025-09-11', 'warn', 'warning_3'],
      ['2025-10-11', 'archive', ''],
    ]);
  });

  it('an access end date takes effect when its day begins where the job runs, in summer and in winter', () => {
    expect(startOfDayIn('2026-07-01', 'Europe/London').toISOString()).toBe('2026-06-30T23:00:00.000Z');
    expect(startOfDayIn('2026-12-01', 'Europe/London').toISOString()).toBe('2026-12-01T00:00:00.000Z');
    expect(startOfDayIn('2026-03-29', 'Europe/London').toISOString()).toBe('2026-03-29T00:00:00.000Z');
    expect(startOfDayIn('2026-03-30', 'Europe/London').toISOString()).toBe('2026-03-29T23:00:00.000Z');
    expect(dateIn(d('2026-06-30T23:30:00Z'), 'Europe/London')).toBe('2026-07-01');
    const h = history({ lastSignInAt: d('2026-05-01T00:00:00Z'), accessEndDate: '2026-07-01' });
    expect(dueAction(h, DEFAULT_POLICY, d('2026-06-30T22:59:59Z')).kind).toBe('none');
    expect(dueAction(h, DEFAULT_POLICY, d('2026-06-30T23:00:00Z'))).toMatchObject({
      kind: 'archive',
      reason: 'access-ended',
    });
    // The 02:00 run of 1 July (01:00 UTC) archives it: the date people were shown.
    expect(
      upcomingEvents(
        h,
        DEFAULT_POLICY,
        DEFAULT_RETENTION,
        nightly(),
        d('2026-06-01T00:00:00Z'),
        d('2026-08-01T00:00:00Z'),
        1,
      )[0]!.at.toISOString(),
    ).toBe('2026-07-01T01:00:00.000Z');
  });

  it(
    'property: nothing is due a moment before the stored next-event time, and something is due at it',
    { timeout: 120_000 },
    () => {
      fc.assert(
        fc.property(arbHistory, fc.array(fc.integer({ min: 0, max: 1400 }), { maxLength: 12 }), (a, checks) => {
          // Realistic histories: those the job leaves behind, checked at random moments of their life.
          let h = historyFrom(a);
          const start = h.lastSignInAt ?? h.createdAt;
          for (const at of nightlyRuns(addDays(start, 1), 1500).filter((_, i) => checks.includes(i) || i % 97 === 0)) {
            const due = nextDueAt(h, a.policy);
            expect(due).not.toBeNull();
            expect(dueAction(h, a.policy, new Date(due!.getTime() - 1)).kind).toBe('none');
            expect(dueAction(h, a.policy, due!).kind).not.toBe('none');
            const action = dueAction(h, a.policy, at);
            if (action.kind === 'delete') break;
            if (action.kind !== 'none') h = afterEvent(h, action, at, SHORT_RETENTION);
          }
        }),
        { numRuns: 200 },
      );
    },
  );

  it(
    'property: the events the schedule announces are exactly what the nightly job does, on the same runs',
    { timeout: 120_000 },
    () => {
      fc.assert(
        fc.property(arbHistory, fc.integer({ min: 0, max: 600 }), (a, offset) => {
          const h = historyFrom(a);
          const from = addDays(h.lastSignInAt && h.lastSignInAt > h.createdAt ? h.lastSignInAt : h.createdAt, offset);
          const days = 1400;
          const runs = nightlyRuns(from, days);
          const until = runs[runs.length - 1]!;
          const announced = upcomingEvents(h, a.policy, SHORT_RETENTION, nightly(), from, until, 10).map((e) => [
            e.at.toISOString(),
            e.event.kind,
            e.event.kind === 'warn' ? e.event.stage : '',
          ]);
          const done = simulateJob(h, a.policy, SHORT_RETENTION, runs).acted.map((e) => [
            e.at.toISOString(),
            e.kind,
            e.stage ?? '',
          ]);
          expect(announced).toEqual(done);
        }),
        { numRuns: 200 },
      );
    },
  );

  it(
    "property: the outlook of a warned account names the run that archives it, and that run is the job's",
    { timeout: 120_000 },
    () => {
      fc.assert(
        fc.property(arbHistory, (a) => {
          const h0 = historyFrom({ ...a, accessEnd: null });
          const runs = nightlyRuns(h0.lastSignInAt ?? h0.createdAt, 1200);
          let h = h0;
          for (const at of runs) {
            const action = dueAction(h, a.policy, at);
            if (action.kind === 'none') continue;
            if (action.kind !== 'warn') break;
            h = afterEvent(h, action, at, SHORT_RETENTION);
            const o = outlook(h, a.policy, SHORT_RETENTION, nightly(), at);
            expect(o.state).toBe('warned');
            const archived = simulateJob(
              h,
              a.policy,
              SHORT_RETENTION,
              runs.filter((r) => r > at),
            ).acted.find((e) => e.kind === 'archive');
            expect(o.archiveAt?.toISOString()).toBe(archived?.at.toISOString());
          }
        }),
        { numRuns: 100 },
      );
    },
  );

  it('R37 with a 45-day notice period: the archive waits 45 days after the final warning', () => {
    const h = history({ lastSignInAt: d('2024-01-10T12:00:00Z') });
    const { acted } = simulateJob(h, LONG_NOTICE, DEFAULT_RETENTION, nightlyRuns(d('2025-04-01T00:00:00Z'), 200));
    const final = acted.find((e) => e.stage === 'warning_3')!;
    const archive = acted.find((e) => e.kind === 'archive')!;
    expect(archive.at.getTime() - final.at.getTime()).toBeGreaterThanOrEqual(45 * 86_400_000);
    expect(archive.at.getTime() - final.at.getTime()).toBeLessThan(46 * 86_400_000);
  });
});

describe('CronRunSchedule', () => {
  it('property: answers as croner does, whatever order the questions come in', { timeout: 60_000 }, () => {
    const cron = new Cron('30 1 * * 1-5', { timezone: 'Europe/London', paused: true });
    const schedule = new CronRunSchedule(new Cron('30 1 * * 1-5', { timezone: 'Europe/London', paused: true }));
    fc.assert(
      fc.property(
        fc.array(fc.date({ min: d('2020-01-01T00:00:00Z'), max: d('2035-12-31T00:00:00Z'), noInvalidDate: true }), {
          minLength: 1,
          maxLength: 40,
        }),
        (instants) => {
          for (const t of instants) {
            expect(schedule.nextRunAtOrAfter(t).toISOString()).toBe(
              cron.nextRun(new Date(t.getTime() - 1))!.toISOString(),
            );
          }
        },
      ),
      { numRuns: 100 },
    );
  });

  it('a run instant is its own next run; a moment later, the next one', () => {
    const schedule = nightly();
    expect(schedule.nextRunAtOrAfter(d('2026-12-01T02:00:00.000Z')).toISOString()).toBe('2026-12-01T02:00:00.000Z');
    expect(schedule.nextRunAtOrAfter(d('2026-12-01T02:00:00.001Z')).toISOString()).toBe('2026-12-02T02:00:00.000Z');
    expect(schedule.nextRunAtOrAfter(d('2026-06-01T00:30:00.000Z')).toISOString()).toBe('2026-06-01T01:00:00.000Z');
    expect(addMonthsUtc(d('2026-12-01T02:00:00Z'), 0).toISOString()).toBe('2026-12-01T02:00:00.000Z');
  });
});
