import { BUCKET_COLOURS, LIFECYCLE_SERIES } from '../../domain/account-health-chart.ts';
import { totalAccounts, weekTotal, type AccountHealth } from '../../domain/account-health.ts';
import { escapeHtml } from './render.ts';

/**
 * The account-health charts of Home, in the weekly digest. Many email clients show no inline SVG
 * (Gmail, Outlook on Windows), so the bars are drawn as they can be in any of them: a table row
 * per bar, the bar a cell of a given width and background colour (both as attributes and inline
 * style, for clients that keep only one). The same table carries the numbers, with a caption and
 * header cells, so the numbers are there as text for every client and screen reader; the
 * plain-text body lists them.
 */

const CELL = 'padding: 4px 8px 4px 0; border-bottom: 1px solid #cecece; text-align: left; vertical-align: middle';
const NUMBER = `${CELL}; text-align: right`;
const BAR_WIDTH = 200;

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** A horizontal bar of stacked segments, `total / max` of the bar column wide. */
function bar(segments: readonly { value: number; colour: string }[], max: number): string {
  const total = segments.reduce((sum, s) => sum + s.value, 0);
  if (total <= 0 || max <= 0) return '';
  const width = Math.max(1, Math.round((total / max) * BAR_WIDTH));
  const cells = segments
    .filter((s) => s.value > 0)
    .map((s) => {
      const w = Math.max(1, Math.round((s.value / total) * width));
      return `<td width="${w}" height="14" bgcolor="${s.colour}" style="width: ${w}px; height: 14px; background-color: ${s.colour}; font-size: 1px; line-height: 1px">&nbsp;</td>`;
    })
    .join('');
  return `<table role="presentation" cellpadding="0" cellspacing="0" border="0" width="${width}" style="border-collapse: collapse; width: ${width}px"><tr>${cells}</tr></table>`;
}

function table(caption: string, headers: readonly string[], rows: readonly { cells: string[]; bar: string }[]): string {
  const th = (text: string, numeric: boolean) =>
    `<th scope="col" style="${numeric ? NUMBER : CELL}">${escapeHtml(text)}</th>`;
  return (
    `<table cellpadding="0" cellspacing="0" border="0" style="border-collapse: collapse; margin: 0 0 16px 0">` +
    `<caption style="text-align: left; font-weight: bold; padding-bottom: 4px">${escapeHtml(caption)}</caption>` +
    `<thead><tr>${headers.map((h, i) => th(h, i > 0)).join('')}<td style="${CELL}"></td></tr></thead>` +
    `<tbody>${rows
      .map(
        (r) =>
          `<tr><th scope="row" style="${CELL}; font-weight: normal">${escapeHtml(r.cells[0]!)}</th>` +
          r.cells
            .slice(1)
            .map((c) => `<td style="${NUMBER}">${escapeHtml(c)}</td>`)
            .join('') +
          `<td style="${CELL}; width: ${BAR_WIDTH}px" aria-hidden="true">${r.bar}</td></tr>`,
      )
      .join('')}</tbody></table>`
  );
}

/** The digest's "at a glance" part: HTML (bars and numbers) and plain text (the numbers). */
export function digestHealth(health: AccountHealth, formatDate: (d: Date) => string): { html: string; text: string } {
  const maxBucket = Math.max(0, ...health.buckets.map((b) => b.count));
  const maxWeek = Math.max(0, ...health.weeks.map(weekTotal));
  const accountsCaption = `Accounts by months since last sign-in (${totalAccounts(health)} in all)`;
  const weeksCaption = `Warnings, archives and deletions in the next ${health.days} days, by week`;
  const html =
    table(
      accountsCaption,
      ['Accounts', 'Number'],
      health.buckets.map((b) => ({
        cells: [b.label, String(b.count)],
        bar: bar([{ value: b.count, colour: BUCKET_COLOURS[b.key] }], maxBucket),
      })),
    ) +
    table(
      weeksCaption,
      ['Week of', ...LIFECYCLE_SERIES.map((s) => s.name)],
      health.weeks.map((w) => ({
        cells: [formatDate(w.start), ...LIFECYCLE_SERIES.map((s) => String(w[s.key]))],
        bar: bar(
          LIFECYCLE_SERIES.map((s) => ({ value: w[s.key], colour: s.colour })),
          maxWeek,
        ),
      })),
    );
  const text = [
    `${accountsCaption}:`,
    ...health.buckets.map((b) => `- ${b.label}: ${b.count}`),
    '',
    `${weeksCaption}:`,
    ...health.weeks.map(
      (w) =>
        `- Week of ${formatDate(w.start)}: ${plural(w.warnings, 'warning')}, ${plural(w.archives, 'archive')}, ${plural(w.deletions, 'deletion')}`,
    ),
  ].join('\n');
  return { html, text };
}
