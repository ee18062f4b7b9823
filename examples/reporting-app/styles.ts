import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as sass from 'sass';

/**
 * The app's stylesheet: the parts of GOV.UK Frontend it uses, built from their Sass with a system
 * font stack (GDS Transport is licensed for GOV.UK only) when the app starts.
 */

const NODE_MODULES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../node_modules');

const COMPONENTS = ['skip-link', 'generic-header', 'button', 'summary-list', 'table', 'inset-text', 'back-link'];

const SOURCE = `
@use "govuk-frontend/dist/govuk/base" as govuk with (
  $govuk-font-family: (system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif)
);
@use "govuk-frontend/dist/govuk/core";
@use "govuk-frontend/dist/govuk/objects";
@use "govuk-frontend/dist/govuk/utilities";
@use "govuk-frontend/dist/govuk/overrides";
${COMPONENTS.map((c) => `@use "govuk-frontend/dist/govuk/components/${c}";`).join('\n')}

.app-header {
  display: flex;
  flex-wrap: wrap;
  align-items: center;
  justify-content: space-between;
  gap: govuk.govuk-spacing(2);
}
.app-sign-out { padding: govuk.govuk-spacing(2) 0; }
.app-footer {
  border-top: 1px solid govuk.$govuk-border-colour;
  padding-top: govuk.govuk-spacing(4);
}
`;

export function compileStyles(): string {
  return sass.compileString(SOURCE, { loadPaths: [NODE_MODULES], style: 'compressed', quietDeps: true }).css;
}
