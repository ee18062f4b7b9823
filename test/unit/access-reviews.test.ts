import { describe, expect, it } from 'vitest';
import {
  answerText,
  checkDecision,
  checkReviewForm,
  describePrivileges,
  isOverdue,
  matchesFilter,
  decisionRecord,
  decisionSentence,
  monthsInactive,
  NOT_ASKED,
  pageOf,
  parseFilter,
  progress,
  recommendations,
  type ItemSnapshot,
  type ItemState,
} from '../../src/domain/access-reviews.ts';

const NOW = new Date('2026-11-02T10:00:00Z');

function snapshot(overrides: Partial<ItemSnapshot> = {}): ItemSnapshot {
  return {
    username: 'jo',
    name: 'Jo Bloggs',
    email: 'jo@example.gov.uk',
    userType: 'la_officer',
    privileges: ['view_users', 'summary_reports', 'pupil_level'],
    schools: [],
    lastSignInAt: '2026-10-01T00:00:00Z',
    createdAt: '2024-01-01T00:00:00Z',
    ...overrides,
  };
}

const YES = { stillEmployed: 'yes', postNeedsAccess: 'yes', pupilLevelRight: 'yes', cinClaRight: 'yes' };

describe('access review rules', () => {
  it('counts inactivity from the last sign-in, or from creation when never signed in', () => {
    expect(monthsInactive(snapshot({ lastSignInAt: '2025-09-02T10:00:00Z' }), NOW)).toBe(14);
    expect(monthsInactive(snapshot({ lastSignInAt: null, createdAt: '2026-05-02T10:00:00Z' }), NOW)).toBe(6);
    expect(monthsInactive(snapshot({ lastSignInAt: '2027-01-01T00:00:00Z' }), NOW)).toBe(0);
  });

  it('recommends, from the account as it was at opening', () => {
    expect(recommendations(snapshot(), NOW)).toEqual([]);
    expect(recommendations(snapshot({ lastSignInAt: '2025-09-02T10:00:00Z' }), NOW)).toEqual([
      'Not signed in for 14 months: consider archiving or deleting',
    ]);
    expect(recommendations(snapshot({ lastSignInAt: null, createdAt: '2025-01-01T00:00:00Z' }), NOW)[0]).toMatch(
      /^Never signed in, created 22 months ago/,
    );
    expect(
      recommendations(snapshot({ userType: 'read_only', privileges: ['summary_reports', 'cin_cla'] }), NOW),
    ).toEqual(['Holds CiN/CLA access but Type of User is Read only: check it was agreed with the Virtual Head']);
    expect(
      recommendations(
        snapshot({ userType: 'virtual_school', privileges: ['summary_reports', 'pupil_level', 'cin_cla'] }),
        NOW,
      ),
    ).toEqual([]);
    expect(
      recommendations(snapshot({ userType: 'read_only', privileges: ['summary_reports', 'pupil_level'] }), NOW)[0],
    ).toMatch(/^Holds pupil-level access but Type of User is Read only/);
    expect(
      recommendations(
        snapshot({ userType: 'la_admin', privileges: ['manage_users'], lastSignInAt: '2026-03-01T00:00:00Z' }),
        NOW,
      ),
    ).toEqual(['Can manage users but not signed in for 8 months: a leaver with this privilege is a risk']);
  });

  it('checks a decision against the four answers', () => {
    expect(checkDecision({ answers: YES, decision: 'keep', note: '' })).toEqual({
      value: {
        answers: { stillEmployed: true, postNeedsAccess: true, pupilLevelRight: true, cinClaRight: true },
        decision: 'keep',
        note: null,
      },
      errors: {},
    });
    expect(Object.keys(checkDecision({ answers: {}, decision: '', note: '' }).errors).sort()).toEqual([
      'cinClaRight',
      'decision',
      'postNeedsAccess',
      'pupilLevelRight',
      'stillEmployed',
    ]);
    expect(
      checkDecision({ answers: { ...YES, stillEmployed: 'maybe' }, decision: 'keep', note: '' }).errors.stillEmployed,
    ).toMatch(/^Select yes or no/);
    expect(
      checkDecision({ answers: { ...YES, stillEmployed: 'no' }, decision: 'keep', note: '' }).errors.decision,
    ).toMatch(/archive or delete/);
    expect(
      checkDecision({ answers: { ...YES, postNeedsAccess: 'no' }, decision: 'change', note: 'x' }).errors.decision,
    ).toMatch(/archive or delete/);
    expect(
      checkDecision({ answers: { ...YES, cinClaRight: 'no' }, decision: 'keep', note: '' }).errors.decision,
    ).toMatch(/change their privileges/);
    expect(
      checkDecision({ answers: { ...YES, cinClaRight: 'no' }, decision: 'change', note: 'Remove CiN/CLA' }).value
        ?.decision,
    ).toBe('change');
    expect(
      checkDecision({ answers: { ...YES, stillEmployed: 'no' }, decision: 'archive', note: '' }).errors.note,
    ).toMatch(/Enter a note/);
    expect(checkDecision({ answers: YES, decision: 'keep', note: 'n'.repeat(1001) }).errors.note).toMatch(
      /1000 characters/,
    );
    expect(checkDecision({ answers: YES, decision: 'approve', note: '' }).errors.decision).toBeDefined();
  });

  it('a bulk decision records no answers, and its record says it was decided in bulk and by whom', () => {
    expect(NOT_ASKED).toEqual({ stillEmployed: null, postNeedsAccess: null, pupilLevelRight: null, cinClaRight: null });
    expect(decisionSentence({ decision: 'keep', inBulk: true, by: 'Ada Admin (camden.admin)' })).toBe(
      'Kept in bulk by Ada Admin (camden.admin)',
    );
    expect(decisionSentence({ decision: 'keep', inBulk: false, by: 'Ada Admin (camden.admin)' })).toBe(
      'Kept by Ada Admin (camden.admin)',
    );
    expect(decisionRecord({ decision: 'archive', inBulk: true, closedOutside: false })).toBe('Archived in bulk');
    expect(decisionRecord({ decision: 'change', inBulk: false, closedOutside: false })).toBe('Privileges changed');
    expect(decisionRecord({ decision: null, inBulk: false, closedOutside: true })).toBe('Closed outside the review');
    expect(decisionRecord({ decision: null, inBulk: false, closedOutside: false })).toBe('Not decided');
    expect(answerText(null, { decision: 'keep', inBulk: true })).toBe('Not asked (decided in bulk)');
    expect(answerText(true, { decision: 'keep', inBulk: false })).toBe('Yes');
    expect(answerText(false, { decision: 'change', inBulk: false })).toBe('No');
    expect(answerText(null, { decision: null, inBulk: false })).toBe('');
  });

  it('pages the items: 25 a page; an unreadable page is the first, one past the end the last', () => {
    expect(pageOf(undefined, 54)).toEqual({ page: 1, pageCount: 3, offset: 0 });
    expect(pageOf('2', 54)).toEqual({ page: 2, pageCount: 3, offset: 25 });
    expect(pageOf('3', 54)).toEqual({ page: 3, pageCount: 3, offset: 50 });
    expect(pageOf('9', 54)).toEqual({ page: 3, pageCount: 3, offset: 50 });
    for (const bad of ['0', '-1', 'two', '1e3', '', '99999999'])
      expect(pageOf(bad, 54), bad).toEqual({ page: 1, pageCount: 3, offset: 0 });
    expect(pageOf('2', 0)).toEqual({ page: 1, pageCount: 1, offset: 0 });
    expect(pageOf('1', 25)).toEqual({ page: 1, pageCount: 1, offset: 0 });
    expect(pageOf('2', 26)).toEqual({ page: 2, pageCount: 2, offset: 25 });
  });

  it('counts progress by decision; accounts closed outside the review do not block finishing', () => {
    const item = (decision: ItemState['decision'], closedOutside = false): ItemState => ({
      decision,
      closedOutside,
      snapshot: snapshot(),
    });
    expect(progress([item('keep'), item('keep'), item('archive'), item(null, true)])).toEqual({
      total: 4,
      decided: 3,
      undecided: 0,
      closedOutside: 1,
      byDecision: { keep: 2, change: 0, archive: 1, delete: 0 },
      complete: true,
    });
    expect(progress([item('change'), item(null)])).toMatchObject({ decided: 1, undecided: 1, complete: false });
    expect(progress([])).toMatchObject({ total: 0, complete: true });
  });

  it('parses and applies filters', () => {
    expect(parseFilter({ show: 'undecided', inactiveMonths: '12', privilege: 'cin_cla' })).toEqual({
      filter: { undecided: true, inactiveMonths: 12, privilege: 'cin_cla' },
      errors: {},
    });
    expect(parseFilter({ inactiveMonths: '0' }).errors.inactiveMonths).toBeDefined();
    expect(parseFilter({ inactiveMonths: '<b>' }).errors.inactiveMonths).toBeDefined();
    expect(parseFilter({ privilege: 'support' }).errors.privilege).toBeDefined();
    const stale: ItemState = {
      decision: null,
      closedOutside: false,
      snapshot: snapshot({ lastSignInAt: '2025-01-01T00:00:00Z', privileges: ['cin_cla'] }),
    };
    const fresh: ItemState = { decision: 'keep', closedOutside: false, snapshot: snapshot() };
    const f = (q: Parameters<typeof parseFilter>[0]) => parseFilter(q).filter;
    expect([stale, fresh].filter((i) => matchesFilter(i, f({ show: 'undecided' }), NOW))).toEqual([stale]);
    expect([stale, fresh].filter((i) => matchesFilter(i, f({ inactiveMonths: '12' }), NOW))).toEqual([stale]);
    expect([stale, fresh].filter((i) => matchesFilter(i, f({ privilege: 'pupil_level' }), NOW))).toEqual([fresh]);
    expect([stale, fresh].filter((i) => matchesFilter(i, f({ privilege: 'cin_cla' }), NOW))).toEqual([stale]);
    expect([stale, fresh].filter((i) => matchesFilter(i, f({}), NOW))).toEqual([stale, fresh]);
  });

  it('checks the review form and knows when an open review is overdue', () => {
    expect(checkReviewForm({ name: ' Autumn 2026 ', dueOn: '2026-12-31' }, NOW)).toEqual({
      value: { name: 'Autumn 2026', dueOn: '2026-12-31' },
      errors: {},
    });
    expect(checkReviewForm({ name: '', dueOn: '2026-02-29' }, NOW).errors).toMatchObject({
      name: expect.any(String),
      dueOn: expect.any(String),
    });
    expect(checkReviewForm({ name: 'x', dueOn: '2026-11-01' }, NOW).errors.dueOn).toMatch(/today or in the future/);
    expect(checkReviewForm({ name: 'x', dueOn: '2026-11-02' }, NOW).value).toBeDefined();
    expect(isOverdue({ status: 'open', due_on: '2026-11-01' }, NOW)).toBe(true);
    expect(isOverdue({ status: 'open', due_on: '2026-11-02' }, NOW)).toBe(false);
    expect(isOverdue({ status: 'finished', due_on: '2026-01-01' }, NOW)).toBe(false);
  });

  it('names privileges and marks the sensitive ones', () => {
    expect(describePrivileges(['cin_cla', 'summary_reports', 'unknown'])).toEqual([
      { label: 'Access to Children in Need (CiN) and Children Looked After (CLA) information', sensitive: true },
      { label: 'Access to summary (school-level) reports', sensitive: false },
      { label: 'unknown', sensitive: false },
    ]);
  });
});
