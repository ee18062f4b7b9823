import { returnPath, withReturnTo } from '../../domain/return-path.ts';
import { isCentralSupport } from '../../domain/access.ts';
import path from 'node:path';
import type { FastifyInstance, FastifyReply } from 'fastify';
import nunjucks from 'nunjucks';
import type { FieldErrors } from '../../domain/errors.ts';
import type { Services } from '../../services/index.ts';
import { formatDate, formatDateTime } from '../../services/deps.ts';
import { navigationFor, sectionNavigationFor } from '../navigation.ts';
import { PROJECT_ROOT } from '../../paths.ts';
import { fullName } from '../../domain/names.ts';
import { escapeHtml } from '../../mail/templates/render.ts';

const FLASH_COOKIE = 'nexus_flash';

/**
 * Rendered fragments kept by the `fragment` global: one LA picker per LA shown (about 12 KB each,
 * 150 LAs), Admin > Users' filter selects, one per choice (about 40, 1–3 KB each), and the
 * layout's service navigation, one per menu and current page (a few dozen, about 2 KB each).
 */
const FRAGMENTS_KEPT = 400;

const STATUS_TAGS: Record<string, { text: string; classes: string }> = {
  active: { text: 'Active', classes: 'govuk-tag--green' },
  invited: { text: 'Invited', classes: 'govuk-tag--blue' },
  warned: { text: 'Warned', classes: 'govuk-tag--yellow' },
  archived: { text: 'Archived', classes: 'govuk-tag--grey' },
};

/**
 * Account status as a GOV.UK tag (`{{ statusTag(status) }}` in a view): Active (green), Invited
 * (blue), Warned (yellow), Archived (grey); any other value is shown as given, in the default colour.
 */
export function statusTag(status: string | null | undefined): nunjucks.runtime.SafeString {
  const given = String(status ?? '');
  const tag = Object.hasOwn(STATUS_TAGS, given.toLowerCase()) ? STATUS_TAGS[given.toLowerCase()] : undefined;
  return new nunjucks.runtime.SafeString(
    `<strong class="govuk-tag ${tag ? tag.classes : ''}">${tag ? tag.text : escapeHtml(given)}</strong>`,
  );
}

/** Search path of ARCHITECTURE.md: our views, then GOV.UK Frontend's and MoJ Frontend's macros. */
export function createViewEnvironment(timeZone?: string): nunjucks.Environment {
  const env = new nunjucks.Environment(
    new nunjucks.FileSystemLoader(
      [
        path.join(PROJECT_ROOT, 'src/web/views'),
        path.join(PROJECT_ROOT, 'node_modules/govuk-frontend/dist'),
        path.join(PROJECT_ROOT, 'node_modules/@ministryofjustice/frontend'),
      ],
      { noCache: false },
    ),
    { autoescape: true, throwOnUndefined: false },
  );
  // A macro can only return a string; GOV.UK macros want an `errorMessage` object, so this is a global.
  env.addGlobal('fieldError', (errors: { fields?: FieldErrors } | null | undefined, name: string) => {
    const message = errors?.fields?.[name];
    return message ? { text: message } : false;
  });
  // A fragment that costs more to render than its data costs to serialise (Admin > Users' LA picker
  // of 150 options through govukSelect): its HTML is kept by template and data, so the same picker
  // is rendered once, not on every page. The data must be plain (JSON) and the template must depend
  // on nothing else; the last FRAGMENTS_KEPT distinct ones are kept.
  const fragments = new Map<string, string>();
  env.addGlobal('fragment', (template: string, data: Record<string, unknown>) => {
    const key = `${template}\n${JSON.stringify(data)}`;
    let html = fragments.get(key);
    if (html === undefined) {
      html = env.render(template, data);
      if (fragments.size >= FRAGMENTS_KEPT) fragments.delete(fragments.keys().next().value!);
      fragments.set(key, html);
    }
    return new nunjucks.runtime.SafeString(html);
  });
  // A global rather than a macro: Admin > Users shows fifty a page, and a macro call costs more
  // than the rest of its row.
  env.addGlobal('statusTag', statusTag);
  // GOV.UK Frontend's macros trim whole rendered blocks (the page header twice a page); Nunjucks'
  // own filter does it with a regular expression that rescans every run of spaces, an eighth of a
  // page's rendering. String#trim removes the same characters (white space and line terminators).
  env.addFilter('trim', (value: unknown) => {
    const trimmed = String.prototype.trim.call(value);
    return value instanceof nunjucks.runtime.SafeString ? new nunjucks.runtime.SafeString(trimmed) : trimmed;
  });
  env.addFilter('fullName', (person: { first_name: string; last_name: string }) => fullName(person));
  // In the time zone the nightly job runs in, so that a run's date reads as that run's day.
  env.addFilter('date', (value: Date | string | null | undefined) =>
    value ? formatDate(new Date(value), timeZone) : '',
  );
  env.addFilter('dateTime', (value: Date | string | null | undefined) =>
    value ? formatDateTime(new Date(value), timeZone) : '',
  );
  return env;
}

/** `{ summary, fields }` as the layout's error summary and the field macros expect. */
export function errorView(
  fields: FieldErrors,
  order: readonly string[] = [],
): { summary: { text: string; href: string }[]; fields: FieldErrors } {
  const keys = [...order.filter((k) => k in fields), ...Object.keys(fields).filter((k) => !order.includes(k))];
  return { summary: keys.map((k) => ({ text: fields[k]!, href: `#${k}` })), fields };
}

export function registerViews(app: FastifyInstance, services: Services, options: { demo: boolean }): void {
  const { config } = services;
  const env = createViewEnvironment(config.lifecycle.timezone);

  app.decorateReply(
    'page',
    async function page(this: FastifyReply, template: string, context: Record<string, unknown> = {}) {
      const request = this.request;
      const signedIn = request.signedIn;
      let flash: { text: string } | null = null;
      const rawFlash = request.cookies[FLASH_COOKIE];
      if (rawFlash) {
        const unsigned = request.unsignCookie(rawFlash);
        if (unsigned.valid && unsigned.value) flash = { text: unsigned.value.slice(0, 300) };
        this.clearCookie(FLASH_COOKIE, { path: '/' });
      }
      const nonce = (this as FastifyReply & { cspNonce?: { script: string } }).cspNonce?.script;
      const html = env.render(template, {
        platformName: config.platformName,
        serviceName: 'Account administration',
        cspNonce: nonce,
        csrfToken: this.generateCsrf(),
        currentUser: signedIn
          ? {
              name: fullName(signedIn.account),
              laName: signedIn.organisation.name,
            }
          : null,
        navigation: navigationFor(signedIn?.actor, request.url.split('?')[0] ?? '/'),
        sectionNavigation: sectionNavigationFor(signedIn?.actor, request.url.split('?')[0] ?? '/'),
        // Central support's Local Authority, on every page, with the way to change it (la-context.ts).
        supportContext:
          signedIn && isCentralSupport(signedIn.actor)
            ? {
                current: request.laContext ?? null,
                ownName: signedIn.organisation.name,
                changeHref: withReturnTo('/support/la-context', returnPath(request.url.split('?')[0])),
              }
            : null,
        // The session timeout warning counts down from this (layout.njk, assets/timeout-warning.mjs).
        session: signedIn
          ? {
              expiresInSeconds: Math.max(
                0,
                Math.floor((signedIn.expiresAt.getTime() - services.clock.now().getTime()) / 1000),
              ),
              idleMinutes: config.sessionIdleMinutes,
              // Where signing in again, or "stay signed in" without JavaScript, comes back to.
              returnTo: request.method === 'GET' ? returnPath(request.url) : undefined,
            }
          : null,
        demo: options.demo,
        flash,
        errors: null,
        ...context,
      });
      // Awaiting the reply (a thenable that settles when the response has ended) keeps the route's
      // promise pending until then: resolved earlier, while an async onSend hook is still running
      // (the sign-in pages' form-action origin looks up the interaction), Fastify would send the
      // route's `undefined` as a second answer on the same keep-alive connection.
      await this.header('cache-control', 'no-store').type('text/html; charset=utf-8').send(html);
    },
  );

  // In the headers at once, as the session cookie is (src/http/session.ts): the set-up step inside an
  // application's interaction hands its reply to the OpenID Connect provider, which runs no onSend hook.
  app.decorateReply('flash', function flash(this: FastifyReply, text: string) {
    this.header(
      'set-cookie',
      this.server.serializeCookie(FLASH_COOKIE, this.signCookie(text), {
        path: '/',
        httpOnly: true,
        sameSite: 'lax',
        secure: config.secureCookies,
      }),
    );
  });
}
