import { describe, expect, it } from 'vitest';
import { addMonthsUtc } from '../../src/domain/calendar.ts';
import {
  HEALTH_BUCKETS,
  bandBoundaries,
  bucketCounts,
  healthBucket,
  lifecycleWeeks,
  totalAccounts,
  type AccountHealth,
} from '../../src/domain/account-health.ts';
import { barChartSvg, barGeometry, healthCharts, type BarChart } from '../../src/domain/account-health-chart.ts';
import { digestHealth } from '../../src/mail/templates/digest-health.ts';

const NOW = new Date('2026-11-04T10:00:00Z'); // a Wednesday
const active = (inactiveSince: Date, warned = false) => ({ status: 'active' as const, warned, inactiveSince });

describe('account-health buckets', () => {
  it('puts archived first, then warned, then the band of months since inactive-since', () => {
    expect(healthBucket({ status: 'archived', warned: false, inactiveSince: NOW }, NOW)).toBe('archived');
    expect(healthBucket(active(addMonthsUtc(NOW, -16), true), NOW)).toBe('warned');
    // A warning outranks the band, whatever the months (a short policy warns early).
    expect(healthBucket(active(addMonthsUtc(NOW, -1), true), NOW)).toBe('warned');
    expect(healthBucket(active(addMonthsUtc(NOW, -1)), NOW)).toBe('under-3');
    expect(healthBucket(active(addMonthsUtc(NOW, -4)), NOW)).toBe('3-to-6');
    expect(healthBucket(active(addMonthsUtc(NOW, -7)), NOW)).toBe('6-to-12');
    expect(healthBucket(active(addMonthsUtc(NOW, -13)), NOW)).toBe('12-or-more');
    // Past the first warning's month but not warned yet (the job warns it tonight): still counted.
    expect(healthBucket(active(addMonthsUtc(NOW, -30)), NOW)).toBe('12-or-more');
    // A clock a little ahead of the database's: not lost.
    expect(healthBucket(active(new Date(NOW.getTime() + 60_000)), NOW)).toBe('under-3');
  });

  it("starts each band where Admin > Users' 'at least N months' filter starts (inactive since on or before now minus N months)", () => {
    for (const months of [3, 6, 12]) {
      const edge = addMonthsUtc(NOW, -months);
      const before = healthBucket(active(new Date(edge.getTime() + 1)), NOW);
      const at = healthBucket(active(edge), NOW);
      expect(before, `${months} months less 1 ms`).not.toBe(at);
      expect(HEALTH_BUCKETS.findIndex((b) => b.key === at)).toBe(HEALTH_BUCKETS.findIndex((b) => b.key === before) + 1);
    }
    expect(bandBoundaries(NOW).map((d) => d.toISOString())).toEqual([
      '2026-08-04T10:00:00.000Z',
      '2026-05-04T10:00:00.000Z',
      '2025-11-04T10:00:00.000Z',
    ]);
    // Calendar months (R42): from 31 May, 3 months back is the last day of February.
    expect(bandBoundaries(new Date('2025-05-31T00:00:00Z'))[0]!.toISOString()).toBe('2025-02-28T00:00:00.000Z');
  });

  it('lists the six buckets in order, a missing one as 0', () => {
    const counts = bucketCounts({ warned: 2, 'under-3': 5 });
    expect(counts.map((b) => [b.key, b.count])).toEqual([
      ['under-3', 5],
      ['3-to-6', 0],
      ['6-to-12', 0],
      ['12-or-more', 0],
      ['warned', 2],
      ['archived', 0],
    ]);
    expect(totalAccounts({ buckets: counts })).toBe(7);
  });
});

describe('lifecycle weeks', () => {
  const at = (iso: string, kind: 'warn' | 'archive' | 'delete') => ({ date: new Date(iso), event: { kind } });

  it('counts the events of each week from this one to the one 90 days ahead, empty weeks included', () => {
    const weeks = lifecycleWeeks(
      [
        at('2026-11-05T02:00:00Z', 'warn'),
        at('2026-11-08T02:00:00Z', 'archive'), // Sunday: still the first week
        at('2026-11-09T02:00:00Z', 'warn'), // Monday: the second
        at('2026-11-09T02:00:00Z', 'delete'),
        at('2027-02-02T02:00:00Z', 'delete'), // day 90, in the week of 1 February
      ],
      NOW,
      90,
      'Europe/London',
    );
    expect(weeks).toHaveLength(14);
    expect(weeks[0]!.start.toISOString()).toBe('2026-11-02T12:00:00.000Z');
    expect(weeks.at(-1)!.start.toISOString()).toBe('2027-02-01T12:00:00.000Z');
    expect(weeks.map((w) => w.start.getUTCDay())).toEqual(Array(14).fill(1));
    expect(weeks[0]).toMatchObject({ warnings: 1, archives: 1, deletions: 0 });
    expect(weeks[1]).toMatchObject({ warnings: 1, archives: 0, deletions: 1 });
    expect(weeks.slice(2, 13).every((w) => w.warnings + w.archives + w.deletions === 0)).toBe(true);
    expect(weeks[13]).toMatchObject({ deletions: 1 });
  });

  it('takes the week where the job runs: 23:30 UTC on a summer Sunday is Monday in London', () => {
    const now = new Date('2026-06-24T10:00:00Z');
    const weeks = lifecycleWeeks([at('2026-06-28T23:30:00Z', 'warn')], now, 14, 'Europe/London');
    expect(weeks.map((w) => w.start.toISOString().slice(0, 10))).toEqual(['2026-06-22', '2026-06-29', '2026-07-06']);
    expect(weeks.map((w) => w.warnings)).toEqual([0, 1, 0]);
  });
});

/** The <rect> bars of an SVG (legend swatches, 12 by 12 at the top, left out). */
function bars(svg: string): { x: number; y: number; width: number; height: number; fill: string }[] {
  return [...svg.matchAll(/<rect x="([\d.]+)" y="([\d.]+)" width="([\d.]+)" height="([\d.]+)" fill="([^"]+)"\/>/g)]
    .map((m) => ({ x: +m[1]!, y: +m[2]!, width: +m[3]!, height: +m[4]!, fill: m[5]! }))
    .filter((r) => !(r.width === 12 && r.height === 12 && r.y === 4));
}

const health = (counts: number[], weeks: [number, number, number][] = []): AccountHealth => ({
  now: NOW,
  days: 90,
  buckets: HEALTH_BUCKETS.map((b, i) => ({ ...b, count: counts[i] ?? 0 })),
  weeks: weeks.map(([warnings, archives, deletions], i) => ({
    start: new Date(Date.UTC(2026, 10, 2 + 7 * i, 12)),
    warnings,
    archives,
    deletions,
  })),
});

describe('the chart as SVG', () => {
  it('draws bars whose heights are proportional to the numbers, with each number and label written', () => {
    const { accounts } = healthCharts(health([40, 20, 10, 5, 0, 80]), 'Camden', 'Europe/London');
    const svg = barChartSvg(accounts);
    const drawn = bars(svg);
    // The empty bucket draws no bar; the others in order, height / count the same for all.
    expect(drawn).toHaveLength(5);
    const perAccount = drawn.map((r, i) => r.height / [40, 20, 10, 5, 80][i]!);
    for (const ratio of perAccount) expect(ratio).toBeCloseTo(perAccount[0]!, 1);
    // Bars stand on one baseline.
    expect(new Set(drawn.map((r) => Math.round(r.y + r.height))).size).toBe(1);
    for (const n of ['40', '20', '10', '5', '0', '80']) expect(svg).toContain(`font-weight="bold">${n}</text>`);
    for (const label of ['0–3', '3–6', '6–12', '12+', 'Warned', 'Archived']) expect(svg).toContain(`>${label}</text>`);
    expect(svg).not.toMatch(/NaN|undefined|Infinity/);
  });

  it('stacks the weekly series, each segment proportional to its number', () => {
    const { lifecycle } = healthCharts(
      health(
        [1],
        [
          [6, 2, 0],
          [3, 0, 1],
          [0, 0, 0],
        ],
      ),
      'Camden',
      'Europe/London',
    );
    const geometry = barGeometry(lifecycle);
    const unit = geometry.bars[0]!.segments[0]!.height / 6;
    expect(geometry.bars.map((b) => b.segments.map((s) => s.height / unit))).toEqual([
      [6, expect.closeTo(2, 5), 0],
      [expect.closeTo(3, 5), 0, expect.closeTo(1, 5)],
      [0, 0, 0],
    ]);
    const svg = barChartSvg(lifecycle);
    for (const name of ['Warnings', 'Archives', 'Deletions']) expect(svg).toContain(`>${name}</text>`);
    // Weeks by day of the month, the month named once.
    expect(svg).toContain('>2</text>');
    expect(svg).toContain('>16</text>');
    expect(svg.match(/>Nov<\/text>/g)).toHaveLength(1);
  });

  it('draws nothing but the baseline and zeros for an LA with no accounts: no NaN', () => {
    const { accounts, lifecycle } = healthCharts(health([], [[0, 0, 0]]), 'Empty', 'Europe/London');
    for (const chart of [accounts, lifecycle]) {
      const svg = barChartSvg(chart);
      expect(bars(svg)).toEqual([]);
      expect(svg).not.toMatch(/NaN|undefined|Infinity/);
      expect(svg).toContain('font-weight="bold">0</text>');
    }
    expect(accounts.description).toContain('0 accounts');
  });

  it('is an image named by its own title and description, as wide as its container', () => {
    const chart: BarChart = {
      id: 'c1',
      title: 'Accounts at <Ham & Fulham>',
      description: 'Bar chart "quoted"',
      bars: [{ label: ['a'], segments: [{ value: 3, colour: '#1d70b8' }] }],
    };
    const svg = barChartSvg(chart);
    expect(svg).toMatch(/^<svg [^>]*role="img" aria-labelledby="c1-title c1-desc"/);
    expect(svg).toContain('<title id="c1-title">Accounts at &lt;Ham &amp; Fulham&gt;</title>');
    expect(svg).toContain('<desc id="c1-desc">Bar chart &quot;quoted&quot;</desc>');
    expect(svg).toMatch(/viewBox="0 0 360 [\d.]+" width="100%"/);
    expect(svg).not.toContain('height="100%"');
  });

  it('describes the accounts chart with its numbers, for those who cannot see it', () => {
    const { accounts } = healthCharts(health([4, 3, 2, 1, 1, 1]), 'Camden', 'Europe/London');
    expect(accounts.title).toBe('Accounts at Camden by months since last sign-in');
    expect(accounts.description).toBe(
      'Bar chart of 12 accounts: Less than 3 months, 4; 3 to 6 months, 3; 6 to 12 months, 2; ' +
        '12 months or more, not warned yet, 1; Warned (will be archived unless they sign in), 1; Archived, 1. ' +
        'The same numbers are in the table.',
    );
  });
});

describe("the digest's charts (no SVG: coloured table cells)", () => {
  it('draws each bar as cells as wide as their numbers, with the numbers as text in both bodies', () => {
    const { html, text } = digestHealth(health([40, 20, 0, 10, 0, 0], [[3, 1, 0]]), (d) =>
      d.toISOString().slice(0, 10),
    );
    const widths = [...html.matchAll(/<td width="(\d+)" height="14" bgcolor="(#[0-9a-f]{6})"/g)].map((m) => [
      Number(m[1]),
      m[2],
    ]);
    // 40, 20 and 10 accounts (the zeros draw nothing), then the week's 3 warnings and 1 archive.
    expect(widths.map((w) => w[0])).toEqual([200, 100, 50, 150, 50]);
    expect(widths.slice(3).map((w) => w[1])).toEqual(['#b7592a', '#484949']);
    expect(html).not.toMatch(/<svg|NaN/);
    expect(text).toContain('- Less than 3 months: 40\n');
    expect(text).toContain('- Week of 2026-11-02: 3 warnings, 1 archive, 0 deletions');
  });
});
