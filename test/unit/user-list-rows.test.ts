import { describe, expect, it } from 'vitest';
import { createViewEnvironment } from '../../src/web/plugins/views.ts';
import { userListRowsHtml, type UserListRow } from '../../src/web/user-list-rows.ts';

const row = (changes: Partial<UserListRow> = {}): UserListRow => ({
  id: '0f6a3c1e-2b7d-4c55-9a10-3e2f5d6c7b8a',
  name: 'Ann Lee',
  username: 'ann.lee',
  email: 'ann.lee@camden.gov.uk',
  typeLabel: 'LA Officer / Analyst',
  last_sign_in_at: new Date('2026-02-28T23:30:00Z'),
  lastSignInAgo: '9 months ago',
  two_factor: true,
  passkeysText: null,
  state: 'active',
  archiveAt: null,
  ...changes,
});

/** The cells of each row, as text between tags. */
function cells(html: string): string[][] {
  return [...html.matchAll(/<tr class="govuk-table__row">([\s\S]*?)<\/tr>/g)].map((m) =>
    [...m[1]!.matchAll(/<td[^>]*>([\s\S]*?)<\/td>/g)].map((c) => c[1]!),
  );
}

describe('Admin > Users rows (userListRowsHtml)', () => {
  it('writes the seven columns of R20, dates in the configured time zone', () => {
    const [only] = cells(String(userListRowsHtml([row()], 'Europe/London')));
    expect(only).toEqual([
      '<a class="govuk-link" href="/admin/users/0f6a3c1e-2b7d-4c55-9a10-3e2f5d6c7b8a">Ann Lee</a>',
      'ann.lee',
      'ann.lee@<wbr>camden.gov.uk',
      'LA Officer / Analyst',
      // 23:30 UTC on 28 February is still 28 February in London (GMT), 1 March in Berlin.
      '28 February 2026<br><span class="govuk-hint govuk-!-margin-0 govuk-!-font-size-16">9 months ago</span>',
      'Set up',
      '<strong class="govuk-tag govuk-tag--green">Active</strong>',
    ]);
    expect(cells(String(userListRowsHtml([row()], 'Europe/Berlin')))[0]![4]).toMatch(/^1 March 2026<br>/);
  });

  it('says what each state needs: the archive date of a warned account, an unused invitation, no sign-in yet', () => {
    const html = String(
      userListRowsHtml(
        [
          row({ state: 'warned', archiveAt: new Date('2027-03-15T02:00:00Z') }),
          row({ state: 'invited', last_sign_in_at: null, two_factor: false }),
          row({ state: 'active', last_sign_in_at: null }),
          row({ state: 'archived', passkeysText: '2 passkeys' }),
        ],
        'Europe/London',
      ),
    );
    const rows = cells(html);
    const hint = (text: string) => `<br><span class="govuk-hint govuk-!-margin-0 govuk-!-font-size-16">${text}</span>`;
    expect(rows.map((r) => r[6])).toEqual([
      `<strong class="govuk-tag govuk-tag--yellow">Warned</strong>${hint('will be archived on 15 March 2027')}`,
      `<strong class="govuk-tag govuk-tag--blue">Invited</strong>${hint('has not set a password yet')}`,
      `<strong class="govuk-tag govuk-tag--green">Active</strong>${hint('has never signed in')}`,
      '<strong class="govuk-tag govuk-tag--grey">Archived</strong>',
    ]);
    expect(rows.map((r) => r[4])).toEqual([
      expect.stringMatching(/^28 February 2026/),
      'never',
      'never',
      expect.any(String),
    ]);
    expect(rows.map((r) => r[5])).toEqual(['Set up', 'Not set up', 'Set up', `Set up${hint('and 2 passkeys')}`]);
  });

  it('escapes every value: markup, quotes and ampersands in names, addresses and ids stay text', () => {
    const html = String(
      userListRowsHtml([
        row({
          id: '"><script>x</script>',
          name: `<b>O'Brien</b> & "co"`,
          username: '<i>u</i>',
          email: 'a&b<c>@x.uk',
          typeLabel: '<t>',
          lastSignInAgo: '<ago>',
          passkeysText: '<p>',
          state: '<s>',
        }),
      ]),
    );
    expect(html).not.toMatch(/<(script|b|i|t|ago|p|s)>/);
    const [only] = cells(html);
    expect(only![0]).toBe(
      '<a class="govuk-link" href="/admin/users/&quot;&gt;&lt;script&gt;x&lt;/script&gt;">&lt;b&gt;O&#39;Brien&lt;/b&gt; &amp; &quot;co&quot;</a>',
    );
    expect(only![2]).toBe('a&amp;b&lt;c&gt;@<wbr>x.uk');
    expect(only![6]).toBe('<strong class="govuk-tag ">&lt;s&gt;</strong>');
  });

  it('is written into the page unescaped, once', () => {
    const env = createViewEnvironment();
    expect(env.renderString('{{ rows }}', { rows: userListRowsHtml([row()]) })).toContain(
      '<tr class="govuk-table__row">',
    );
    expect(String(userListRowsHtml([]))).toBe('');
  });
});

describe('the views trim filter', () => {
  it('removes the same white space as Nunjucks did, and keeps a safe string safe', () => {
    const env = createViewEnvironment();
    const odd = ' \t\n\u00a0\u2028\ufeff';
    expect(env.renderString('[{{ s | trim }}]', { s: `${odd}a  b${odd}` })).toBe('[a  b]');
    expect(env.renderString('{{ s | safe | trim }}', { s: '  <b>x</b>\n' })).toBe('<b>x</b>');
    expect(env.renderString('{{ s | trim }}', { s: '  <b>x</b>\n' })).toBe('&lt;b&gt;x&lt;/b&gt;');
  });
});
