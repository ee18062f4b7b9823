/* global document, Event */
// Enhances pages that already work without JavaScript (loaded by layout.njk as
// <script type="module" src="/assets/init.mjs">). CSP-safe: an external module from 'self',
// no inline code, no eval.
//
// Both GOV.UK Frontend 6 and MoJ Frontend 11 ship their minified bundles as ES modules.
// Components only initialise when <body> has `govuk-frontend-supported`, which the inline
// (nonce'd) script in govuk/template.njk adds.
import { createAll, initAll as initGovuk } from '/assets/govuk-frontend.min.js';
import { FilterToggleButton, initAll as initMoj } from '/assets/moj-frontend.min.js';

// GOV.UK components: data-module="govuk-…" (error summary focus, notification banner,
// service navigation menu toggle, tabs, character count, password input, …).
initGovuk();

// MoJ components: data-module="moj-…" (sortable table, button menu, add another, multi-select,
// password reveal, date picker, …).
initMoj();

// MoJ's initAll does not include the filter toggle (the filter layout on list pages). It needs
// a `.moj-action-bar__filter` container for its "Show filter" button; without one it does nothing.
if (document.querySelector('[data-module="moj-filter"]') && document.querySelector('.moj-action-bar__filter')) {
  createAll(FilterToggleButton, {
    bigModeMediaQuery: '(min-width: 48.0625em)',
    startHidden: false,
  });
}

// Privileges tab (R14): with JavaScript, choosing a Type of User ticks its default privileges at
// once; without it, the form's "Apply the defaults of this type" button does the same on the server.
// The defaults come from the radios' data-defaults attribute, written by the server from the catalogue.
for (const radio of document.querySelectorAll('input[name="userType"][data-defaults]')) {
  radio.addEventListener('change', () => {
    if (!radio.checked) return;
    const defaults = new Set(radio.dataset.defaults.split(' ').filter(Boolean));
    const form = radio.closest('form');
    for (const box of form.querySelectorAll('input[type="checkbox"][name="privileges"]')) {
      const wanted = defaults.has(box.value);
      if (box.checked !== wanted) {
        box.checked = wanted;
        box.dispatchEvent(new Event('change', { bubbles: true }));
      }
    }
  });
}

// Schools tab (R26): the school picker becomes an autocomplete (school-picker.mjs), fetched only
// on a page that has one.
if (document.querySelector('select[data-module="app-school-picker"]')) {
  import('/assets/school-picker.mjs');
}
