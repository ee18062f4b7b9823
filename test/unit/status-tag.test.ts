import { describe, expect, it } from 'vitest';
import { createViewEnvironment, statusTag } from '../../src/web/plugins/views.ts';

/** The account status tag of Admin > Users and the user page (a view global, not a macro: fifty a page). */
describe('statusTag', () => {
  it('shows each status in its GOV.UK tag colour, whatever its case', () => {
    expect(String(statusTag('active'))).toBe('<strong class="govuk-tag govuk-tag--green">Active</strong>');
    expect(String(statusTag('invited'))).toBe('<strong class="govuk-tag govuk-tag--blue">Invited</strong>');
    expect(String(statusTag('Warned'))).toBe('<strong class="govuk-tag govuk-tag--yellow">Warned</strong>');
    expect(String(statusTag('ARCHIVED'))).toBe('<strong class="govuk-tag govuk-tag--grey">Archived</strong>');
  });

  it('shows any other value as given, escaped, in the default colour', () => {
    expect(String(statusTag('<b>"x" & y</b>'))).toBe(
      '<strong class="govuk-tag ">&lt;b&gt;&quot;x&quot; &amp; y&lt;/b&gt;</strong>',
    );
    expect(String(statusTag('constructor'))).toBe('<strong class="govuk-tag ">constructor</strong>');
    expect(String(statusTag(null))).toBe('<strong class="govuk-tag "></strong>');
  });

  it('is what a view gets, unescaped', () => {
    const env = createViewEnvironment();
    expect(env.renderString('{{ statusTag(s) }}', { s: 'warned' })).toBe(
      '<strong class="govuk-tag govuk-tag--yellow">Warned</strong>',
    );
  });
});
