/* global document, self */
// Schools tab (R26): the "School" select of "Add a school" becomes GOV.UK's accessible
// autocomplete over the LA's schools, so a school can be found by typing part of its name or URN.
// Progressive enhancement: without JavaScript (or if this fails) the plain <select> works as it
// is. Loaded by init.mjs only on a page with a picker. CSP-safe: files from 'self', no inline code;
// the library sets styles through the CSSOM, which the style-src policy allows.
//
// accessible-autocomplete ships a UMD bundle: imported as a module it puts its API on `self`.
import '/assets/accessible-autocomplete.min.js';

const pickers = document.querySelectorAll('select[data-module="app-school-picker"]');
if (pickers.length > 0 && self.accessibleAutocomplete) {
  const stylesheet = document.createElement('link');
  stylesheet.rel = 'stylesheet';
  stylesheet.href = '/assets/accessible-autocomplete.min.css';
  document.head.append(stylesheet);

  for (const select of pickers) {
    const chosen = select.options[select.selectedIndex];
    self.accessibleAutocomplete.enhanceSelectElement({
      selectElement: select,
      // The select's "Choose a school" (value "") is not a school: start empty unless one was chosen.
      defaultValue: chosen && chosen.value ? chosen.textContent.trim() : '',
      showAllValues: true,
      // No type-ahead ghost text: it is an unlabelled second <input> (axe: "Form elements must have labels").
      autoselect: false,
      inputClasses: select.classList.contains('govuk-select--error') ? 'govuk-input--error' : undefined,
      tNoResults: () => 'No school of this Local Authority matches',
    });
  }
}
