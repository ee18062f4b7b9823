import { describe, expect, it } from 'vitest';
import { formatDate, formatDateTime } from '../../src/services/deps.ts';

/** The dates and times people read, as GOV.UK writes them ("4 December 2026 at 12:15am"). */
describe('formatDateTime', () => {
  it.each([
    ['2026-12-02T00:15:00Z', '2 December 2026 at 12:15am'],
    ['2026-12-02T00:00:00Z', '2 December 2026 at 12:00am'],
    ['2026-12-02T11:59:00Z', '2 December 2026 at 11:59am'],
    ['2026-12-02T12:05:00Z', '2 December 2026 at 12:05pm'],
    ['2026-12-02T13:05:00Z', '2 December 2026 at 1:05pm'],
    // British Summer Time: 23:30 UTC on 30 June is 12:30am on 1 July in London.
    ['2026-06-30T23:30:00Z', '1 July 2026 at 12:30am'],
  ])('%s reads %s in London', (iso, text) => {
    expect(formatDateTime(new Date(iso), 'Europe/London')).toBe(text);
  });

  it('gives the date alone as the same day', () => {
    expect(formatDate(new Date('2026-06-30T23:30:00Z'), 'Europe/London')).toBe('1 July 2026');
  });
});
