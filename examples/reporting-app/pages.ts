import { userTypeLabel, type Person, type School } from './person.ts';
import { reportsFor, type Report } from './reports.ts';

/**
 * The app's pages: GOV.UK Frontend's classes on plain HTML (no template engine, no JavaScript).
 * Every value goes through `html`, which escapes it.
 */

export const SERVICE_NAME = 'Reporting (example)';

class Html {
  constructor(readonly value: string) {}
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
const escape = (text: string) => text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);

type Value = Html | string | number | readonly Html[];

function html(strings: TemplateStringsArray, ...values: Value[]): Html {
  const part = (v: Value): string => {
    if (v instanceof Html) return v.value;
    if (typeof v === 'string' || typeof v === 'number') return escape(String(v));
    return v.map((h) => h.value).join('');
  };
  return new Html(strings.reduce((out, s, i) => out + s + (i < values.length ? part(values[i]!) : ''), ''));
}

export interface Page {
  readonly status: number;
  readonly title: string;
  readonly body: Html;
  readonly signedIn?: boolean;
}

export function renderPage(page: Page): string {
  const signOut = page.signedIn
    ? html`<form method="post" action="/sign-out" class="app-sign-out">
        <button type="submit" class="govuk-button govuk-button--secondary govuk-!-margin-bottom-0">Sign out</button>
      </form>`
    : html``;
  return html`<!DOCTYPE html>
    <html lang="en" class="govuk-template">
      <head>
        <meta charset="utf-8" />
        <title>${page.title} – ${SERVICE_NAME}</title>
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <link rel="stylesheet" href="/styles.css" />
        <link rel="icon" href="data:," />
      </head>
      <body class="govuk-template__body">
        <a href="#main-content" class="govuk-skip-link">Skip to main content</a>
        <header class="govuk-generic-header">
          <div class="govuk-generic-header__container govuk-width-container app-header">
            <div class="govuk-generic-header__logo">
              <a href="/" class="govuk-generic-header__homepage-link">${SERVICE_NAME}</a>
            </div>
            ${signOut}
          </div>
        </header>
        <div class="govuk-width-container">
          <main class="govuk-main-wrapper" id="main-content">${page.body}</main>
        </div>
        <footer class="govuk-width-container app-footer">
          <p class="govuk-body-s">An example application that signs people in through Nexus Accounts.</p>
        </footer>
      </body>
    </html> `.value;
}

export function startPage(): Page {
  return {
    status: 200,
    title: 'Sign in',
    body: html`<h1 class="govuk-heading-xl">${SERVICE_NAME}</h1>
      <p class="govuk-body">See the reports your Nexus privileges allow, for the schools you work with.</p>
      <a href="/sign-in" role="button" draggable="false" class="govuk-button govuk-button--start"
        >Sign in with Nexus Accounts</a
      >`,
  };
}

export function signedOutPage(): Page {
  return {
    status: 200,
    title: 'You have been signed out',
    body: html`<h1 class="govuk-heading-l">You have been signed out</h1>
      <p class="govuk-body">Your session with Nexus Accounts has ended.</p>
      <p class="govuk-body"><a href="/sign-in" class="govuk-link">Sign in again</a></p>`,
  };
}

function personSummary(person: Person): Html {
  const row = (key: string, value: string) =>
    html`<div class="govuk-summary-list__row">
      <dt class="govuk-summary-list__key">${key}</dt>
      <dd class="govuk-summary-list__value">${value}</dd>
    </div>`;
  return html`<dl class="govuk-summary-list">
    ${row('Name', person.name)} ${row('Local Authority', person.la ? `${person.la.name} (${person.la.code})` : 'None')}
    ${row('Type of User', userTypeLabel(person.userType))}
  </dl>`;
}

function reportSection(report: Report, schools: readonly School[]): Html {
  const rows = schools.map(
    (s) =>
      html`<tr class="govuk-table__row">
        <td class="govuk-table__cell">${s.urn}</td>
        <td class="govuk-table__cell"><a class="govuk-link" href="/reports/${report.slug}/${s.urn}">${s.name}</a></td>
      </tr>`,
  );
  return html`<section class="app-report" aria-labelledby="${report.slug}">
    <h2 class="govuk-heading-m" id="${report.slug}">${report.title}</h2>
    <p class="govuk-body">${report.description}</p>
    <table class="govuk-table">
      <caption class="govuk-table__caption govuk-visually-hidden">
        ${report.title}: schools
      </caption>
      <thead class="govuk-table__head">
        <tr class="govuk-table__row">
          <th scope="col" class="govuk-table__header">URN</th>
          <th scope="col" class="govuk-table__header">School</th>
        </tr>
      </thead>
      <tbody class="govuk-table__body">
        ${rows}
      </tbody>
    </table>
  </section>`;
}

export function reportsPage(person: Person): Page {
  const reports = reportsFor(person);
  const content =
    reports.length === 0
      ? html`<p class="govuk-body">
          Your Nexus privileges do not include any of these reports. Ask your LA administrator if you need one.
        </p>`
      : person.schools.length === 0
        ? html`<p class="govuk-body">
            You have no schools in Nexus Accounts. Ask your LA administrator to add your schools.
          </p>`
        : html`${reports.map((r) => reportSection(r, person.schools))}`;
  return {
    status: 200,
    title: 'Your reports',
    signedIn: true,
    body: html`<h1 class="govuk-heading-l">Your reports</h1>
      ${personSummary(person)}${content}`,
  };
}

export function reportPage(report: Report, school: School): Page {
  return {
    status: 200,
    title: `${report.title}: ${school.name}`,
    signedIn: true,
    body: html`<a href="/" class="govuk-back-link">Your reports</a>
      <span class="govuk-caption-l">${school.name} (URN ${school.urn})</span>
      <h1 class="govuk-heading-l">${report.title}</h1>
      <div class="govuk-inset-text">This is a demo: a real report would show its figures here.</div>`,
  };
}

export function problemPage(status: number, title: string, message: string, signedIn = false): Page {
  return {
    status,
    title,
    signedIn,
    body: html`<h1 class="govuk-heading-l">${title}</h1>
      <p class="govuk-body">${message}</p>
      <p class="govuk-body"><a href="/" class="govuk-link">Go to your reports</a></p>`,
  };
}
