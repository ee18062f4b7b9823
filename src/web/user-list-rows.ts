import nunjucks from 'nunjucks';
import { escapeHtml } from '../mail/templates/render.ts';
import { formatDate } from '../services/deps.ts';
import { statusTag } from './plugins/views.ts';

/** One row of Admin > Users as the route prepares it. */
export interface UserListRow {
  id: string;
  name: string;
  username: string;
  email: string;
  typeLabel: string;
  last_sign_in_at: Date | null;
  lastSignInAgo: string;
  two_factor: boolean;
  passkeysText: string | null;
  state: string;
  archiveAt: Date | null;
}

const HINT = '<br><span class="govuk-hint govuk-!-margin-0 govuk-!-font-size-16">';

function statusHint(row: UserListRow, timeZone: string | undefined): string {
  if (row.archiveAt) return `${HINT}will be archived on ${escapeHtml(formatDate(row.archiveAt, timeZone))}</span>`;
  if (row.state === 'invited') return `${HINT}has not set a password yet</span>`;
  if (row.state === 'active' && !row.last_sign_in_at) return `${HINT}has never signed in</span>`;
  return '';
}

/**
 * The rows of Admin > Users' table (R20), written here rather than by a Nunjucks loop: fifty rows
 * of eight cells each cost the template about half of the page's rendering (bench:admin-list).
 * Every value is escaped; a long address may break after its @ (the `<wbr>`).
 */
export function userListRowsHtml(rows: readonly UserListRow[], timeZone?: string): nunjucks.runtime.SafeString {
  let html = '';
  for (const r of rows) {
    const lastSignIn = r.last_sign_in_at
      ? `${escapeHtml(formatDate(r.last_sign_in_at, timeZone))}${HINT}${escapeHtml(r.lastSignInAgo)}</span>`
      : 'never';
    const passkeys = r.passkeysText ? `${HINT}and ${escapeHtml(r.passkeysText)}</span>` : '';
    html += `
    <tr class="govuk-table__row">
      <td class="govuk-table__cell"><a class="govuk-link" href="/admin/users/${escapeHtml(r.id)}">${escapeHtml(r.name)}</a></td>
      <td class="govuk-table__cell">${escapeHtml(r.username)}</td>
      <td class="govuk-table__cell app-email">${escapeHtml(r.email).replaceAll('@', '@<wbr>')}</td>
      <td class="govuk-table__cell">${escapeHtml(r.typeLabel)}</td>
      <td class="govuk-table__cell app-nowrap-cell">${lastSignIn}</td>
      <td class="govuk-table__cell app-nowrap-cell">${r.two_factor ? 'Set up' : 'Not set up'}${passkeys}</td>
      <td class="govuk-table__cell">${String(statusTag(r.state))}${statusHint(r, timeZone)}</td>
    </tr>`;
  }
  return new nunjucks.runtime.SafeString(html);
}
