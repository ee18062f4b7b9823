import { totalAccounts, weekTotal, type AccountHealth, type HealthBucketKey } from './account-health.ts';

/**
 * The account-health charts as data (bars, each a stack of coloured segments) and as an SVG
 * string, drawn on the server: no script, the same picture for every browser. The numbers are
 * always in a table beside the chart too (the table is the accessible source).
 */

/** GOV.UK Frontend palette colours, each with at least 3:1 contrast against white (WCAG 1.4.11). */
export const CHART_COLOURS = {
  green: '#0f7a52',
  teal: '#158187',
  blue: '#1d70b8',
  darkBlue: '#0f385c',
  orange: '#b7592a', // orange shade-25: the primary orange is too light against white
  red: '#ca3535',
  darkGrey: '#484949',
  text: '#0b0c0c',
  line: '#cecece',
} as const;

export interface ChartSegment {
  readonly value: number;
  readonly colour: string;
}

export interface ChartBar {
  /** One or two short lines under the bar, centred on it. */
  readonly label: readonly string[];
  /** A group the bar starts (a week's month), written under its labels from the bar's left edge. */
  readonly group?: string;
  readonly segments: readonly ChartSegment[];
}

export interface BarChart {
  /** Unique on the page: the prefix of the title's and description's ids. */
  readonly id: string;
  readonly title: string;
  readonly description: string;
  readonly bars: readonly ChartBar[];
  /** Shown above the bars when the segments mean different things (stacked series). */
  readonly legend?: readonly { readonly name: string; readonly colour: string }[];
}

/** Each bucket's colour, from healthy green to archived grey (the digest's bars use them too). */
export const BUCKET_COLOURS: Record<HealthBucketKey, string> = {
  'under-3': CHART_COLOURS.green,
  '3-to-6': CHART_COLOURS.teal,
  '6-to-12': CHART_COLOURS.blue,
  '12-or-more': CHART_COLOURS.darkBlue,
  warned: CHART_COLOURS.orange,
  archived: CHART_COLOURS.darkGrey,
};

/** The three kinds of lifecycle event, in the order they stack (bottom first) and are listed. */
export const LIFECYCLE_SERIES = [
  { key: 'warnings', name: 'Warnings', colour: CHART_COLOURS.orange },
  { key: 'archives', name: 'Archives', colour: CHART_COLOURS.darkGrey },
  { key: 'deletions', name: 'Deletions', colour: CHART_COLOURS.red },
] as const;

const SHORT_DATES = new Map<string, Intl.DateTimeFormat>();

/** "7 Dec": a week's label under its bar. */
export function shortDate(date: Date, timeZone: string): string {
  let format = SHORT_DATES.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'short', timeZone });
    SHORT_DATES.set(timeZone, format);
  }
  return format.format(date);
}

/** The two charts of an LA's account health. */
export function healthCharts(health: AccountHealth, organisationName: string, timeZone: string) {
  const total = totalAccounts(health);
  const events = health.weeks.reduce((sum, w) => sum + weekTotal(w), 0);
  const accounts: BarChart = {
    id: 'health-accounts',
    title: `Accounts at ${organisationName} by months since last sign-in`,
    description:
      `Bar chart of ${total} ${total === 1 ? 'account' : 'accounts'}: ` +
      health.buckets.map((b) => `${b.label}, ${b.count}`).join('; ') +
      '. The same numbers are in the table.',
    bars: health.buckets.map((b) => ({
      label: b.short,
      segments: [{ value: b.count, colour: BUCKET_COLOURS[b.key] }],
    })),
  };
  const lifecycle: BarChart = {
    id: 'health-lifecycle',
    title: `Warnings, archives and deletions in the next ${health.days} days, by week`,
    description:
      `Stacked bar chart of ${events} lifecycle ${events === 1 ? 'event' : 'events'} over ${health.weeks.length} weeks` +
      ' if nobody signs in. The same numbers are in the table.',
    legend: LIFECYCLE_SERIES.map((s) => ({ name: s.name, colour: s.colour })),
    // Each week by its Monday's day of the month, the month named under the first week in it.
    bars: health.weeks.map((w, i) => {
      const [day, month] = shortDate(w.start, timeZone).split(' ') as [string, string];
      const newMonth = i === 0 || shortDate(health.weeks[i - 1]!.start, timeZone).split(' ')[1] !== month;
      return {
        label: [day],
        ...(newMonth ? { group: month } : {}),
        segments: LIFECYCLE_SERIES.map((s) => ({ value: w[s.key], colour: s.colour })),
      };
    }),
  };
  return { accounts, lifecycle };
}

/** The drawing's units: about one CSS pixel each on a 375 px phone, scaled up on wider screens. */
const WIDTH = 360;
const PLOT_TOP = 24;
const PLOT_HEIGHT = 160;
const LEGEND_HEIGHT = 24;
const LABEL_LINE = 16;
const SIDE = 4;
const FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif';
/** Roughly the width of one character of the labels at 13 units (for spacing the labels out). */
const CHAR_WIDTH = 6.6;

export interface BarGeometry {
  readonly x: number;
  readonly width: number;
  readonly centre: number;
  readonly total: number;
  /** The top of the stack (the number is written above it). */
  readonly top: number;
  readonly segments: readonly (ChartSegment & { readonly y: number; readonly height: number })[];
}

/**
 * Where each bar and segment goes: heights proportional to the values, the tallest stack filling
 * the plot (there is no axis to read: each bar has its number). All zero: no bars, never NaN.
 */
export function barGeometry(chart: BarChart): {
  plotTop: number;
  baseline: number;
  scaleMax: number;
  bars: BarGeometry[];
} {
  const plotTop = PLOT_TOP + (chart.legend ? LEGEND_HEIGHT : 0);
  const baseline = plotTop + PLOT_HEIGHT;
  const totals = chart.bars.map((b) => b.segments.reduce((sum, s) => sum + Math.max(0, s.value), 0));
  const scaleMax = Math.max(1, ...totals);
  const slot = (WIDTH - 2 * SIDE) / Math.max(1, chart.bars.length);
  const width = Math.min(44, slot * 0.68);
  const bars = chart.bars.map((bar, i) => {
    const centre = SIDE + slot * (i + 0.5);
    let y = baseline;
    const segments = bar.segments.map((s) => {
      const height = (Math.max(0, s.value) / scaleMax) * PLOT_HEIGHT;
      y -= height;
      return { ...s, y, height };
    });
    return { x: centre - width / 2, width, centre, total: totals[i]!, top: y, segments };
  });
  return { plotTop, baseline, scaleMax, bars };
}

function escapeXml(value: string): string {
  return value.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );
}

const round = (n: number) => String(Math.round(n * 10) / 10);

/**
 * The chart as an inline SVG: `role="img"` named and described by its own title and desc, as wide
 * as its container (viewBox, width 100%). Every bar has its number above it; labels that would
 * collide at this width are shown for every second (or third…) bar only — the table has them all.
 */
export function barChartSvg(chart: BarChart): string {
  const { baseline, bars } = barGeometry(chart);
  const labelLines = Math.max(1, ...chart.bars.map((b) => b.label.length + (b.group ? 1 : 0)));
  const height = baseline + 8 + labelLines * LABEL_LINE;
  const slot = (WIDTH - 2 * SIDE) / Math.max(1, chart.bars.length);
  const longest = Math.max(0, ...chart.bars.flatMap((b) => b.label.map((l) => l.length)));
  const every = Math.max(1, Math.ceil((longest * CHAR_WIDTH + 2) / slot));
  const titleId = `${chart.id}-title`;
  const descId = `${chart.id}-desc`;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" class="app-health-chart" role="img" aria-labelledby="${titleId} ${descId}"` +
      ` viewBox="0 0 ${WIDTH} ${round(height)}" width="100%" preserveAspectRatio="xMidYMin meet"` +
      ` font-family='${FONT}' font-size="13" fill="${CHART_COLOURS.text}">`,
    `<title id="${titleId}">${escapeXml(chart.title)}</title>`,
    `<desc id="${descId}">${escapeXml(chart.description)}</desc>`,
  ];
  if (chart.legend) {
    let x = SIDE;
    for (const item of chart.legend) {
      parts.push(
        `<rect x="${round(x)}" y="4" width="12" height="12" fill="${item.colour}"/>`,
        `<text x="${round(x + 16)}" y="14">${escapeXml(item.name)}</text>`,
      );
      x += 16 + item.name.length * 7.5 + 16;
    }
  }
  for (const bar of bars) {
    for (const s of bar.segments) {
      if (s.height <= 0) continue;
      parts.push(
        `<rect x="${round(bar.x)}" y="${round(s.y)}" width="${round(bar.width)}" height="${round(s.height)}" fill="${s.colour}"/>`,
      );
    }
    // A white rule between stacked segments, so that neighbouring colours never merge.
    for (const s of bar.segments.slice(0, -1)) {
      if (s.height <= 0 || s.y <= bar.top) continue;
      parts.push(
        `<line x1="${round(bar.x)}" x2="${round(bar.x + bar.width)}" y1="${round(s.y)}" y2="${round(s.y)}" stroke="#ffffff" stroke-width="1"/>`,
      );
    }
    parts.push(
      `<text x="${round(bar.centre)}" y="${round(Math.min(bar.top, baseline) - 5)}" text-anchor="middle" font-size="14" font-weight="bold">${bar.total.toLocaleString('en-GB')}</text>`,
    );
  }
  parts.push(
    `<line x1="${SIDE}" x2="${WIDTH - SIDE}" y1="${round(baseline)}" y2="${round(baseline)}" stroke="${CHART_COLOURS.text}" stroke-width="1"/>`,
  );
  const lineY = (j: number) => round(baseline + 1 + LABEL_LINE * (j + 1));
  chart.bars.forEach((bar, i) => {
    if (i % every === 0)
      bar.label.forEach((line, j) => {
        parts.push(
          `<text x="${round(bars[i]!.centre)}" y="${lineY(j)}" text-anchor="middle">${escapeXml(line)}</text>`,
        );
      });
    if (bar.group) {
      // Kept inside the drawing: a group starting at the last bar ends at the right edge instead.
      const fits = bars[i]!.x + bar.group.length * CHAR_WIDTH * 1.2 <= WIDTH - SIDE;
      parts.push(
        `<text x="${round(fits ? bars[i]!.x : WIDTH - SIDE)}" y="${lineY(bar.label.length)}" font-weight="bold"${fits ? '' : ' text-anchor="end"'}>${escapeXml(bar.group)}</text>`,
      );
    }
  });
  parts.push('</svg>');
  return parts.join('');
}
