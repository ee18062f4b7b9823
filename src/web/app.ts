import { randomUUID } from 'node:crypto';
import path from 'node:path';
import fastifyCookie from '@fastify/cookie';
import fastifyCsrf from '@fastify/csrf-protection';
import fastifyFormbody from '@fastify/formbody';
import fastifyHelmet from '@fastify/helmet';
import fastifyStatic from '@fastify/static';
import Fastify, { type FastifyInstance, type FastifySchema, type FastifyServerOptions } from 'fastify';
import { apiPlugin } from '../api/api-plugin.ts';
import { sendProblem } from '../api/problem.ts';
import { sendScimError } from '../api/scim/scim-errors.ts';
import { ValidationError } from '../domain/errors.ts';
import { cleanText, hasUnstorable } from '../domain/text.ts';
import { scimPlugin } from '../api/scim/scim-plugin.ts';
import { PROJECT_ROOT } from '../paths.ts';
import type { Services } from '../services/index.ts';
import { frameworkErrorPage, registerErrorHandling } from './plugins/error-handler.ts';
import { limitConcurrencyPerCaller } from './plugins/concurrency.ts';
import { registerSession } from './plugins/session.ts';
import { registerViews } from './plugins/views.ts';
import { adminAuditRoutes } from './routes/admin-audit-routes.ts';
import { adminReviewRoutes } from './routes/admin-review-routes.ts';
import { apiTokenRoutes } from './routes/api-token-routes.ts';
import { acceptFormsOnly } from './routes/form.ts';
import { adminStatusRoutes } from './routes/admin-status-routes.ts';
import { adminUserRoutes } from './routes/admin-user-routes.ts';
import { adminUsersRoutes } from './routes/admin-users-routes.ts';
import { healthRoutes } from './routes/health-routes.ts';
import { homeRoutes } from './routes/home-routes.ts';
import { lifecycleRoutes } from './routes/lifecycle-routes.ts';
import { myAccountRoutes } from './routes/my-account-routes.ts';
import { myCommunicationsRoutes } from './routes/my-communications-routes.ts';
import { passwordRoutes } from './routes/password-routes.ts';
import { schoolGroupRoutes } from './routes/school-group-routes.ts';
import { securityAlertRoutes } from './routes/security-alert-routes.ts';
import { signInRoutes } from './routes/sign-in-routes.ts';
import { supportRoutes } from './routes/support-routes.ts';
import { userImportRoutes } from './routes/user-import-routes.ts';
import './plugins/types.ts';

/** A route as it was registered: what a test needs to reach every route without a list kept by hand. */
export interface RegisteredRoute {
  method: string;
  url: string;
  schema: FastifySchema | undefined;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Every route of the application, in registration order (filled by the onRoute hook in buildApp). */
    registeredRoutes: readonly RegisteredRoute[];
  }
}

export interface AppOptions {
  logger?: FastifyServerOptions['logger'];
  /** Folder of built assets (scripts/build-assets.ts). */
  assetsDir?: string;
  /** Shows the "Demo data" tag in the header. */
  demo?: boolean;
}

/** Requests one session or API token may have in progress at once (plugins/concurrency.ts). */
export const MAX_REQUESTS_AT_ONCE_PER_CALLER = 8;

export function isMachineInterface(url: string): boolean {
  return url.startsWith('/api/') || url.startsWith('/scim/');
}

/** Paths that carry a secret (single-use links) are logged without it. */
export function redactUrl(url: string): string {
  return url.replace(/^\/(invitation|reset-password)\/[^/?#]+/, '/$1/[redacted]');
}

/** Logger settings for the server: requests are logged without cookies, tokens or link secrets. */
export function loggerOptions(level: string): FastifyServerOptions['logger'] {
  return {
    level,
    redact: ['req.headers.cookie', 'req.headers.authorization', 'res.headers["set-cookie"]'],
    serializers: {
      req: (request: { method: string; url: string; ip?: string; id?: string }) => ({
        method: request.method,
        url: redactUrl(request.url),
        ip: request.ip,
        id: request.id,
      }),
    },
  };
}

/** Cleans, in place, the string values of a parsed query string or the path parameters. */
function cleanValues(values: unknown): void {
  if (!values || typeof values !== 'object') return;
  const record = values as Record<string, unknown>;
  for (const [key, value] of Object.entries(record)) {
    if (typeof value === 'string') record[key] = cleanText(value);
    else if (Array.isArray(value)) record[key] = value.map((v: unknown) => (typeof v === 'string' ? cleanText(v) : v));
  }
}

function unstorableParts(values: Record<string, unknown>): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const [key, value] of Object.entries(values)) {
    const texts = Array.isArray(value) ? value : [value];
    if (texts.some((v) => typeof v === 'string' && hasUnstorable(v)) || hasUnstorable(key)) {
      fields[hasUnstorable(key) ? 'query' : key] =
        'Remove the character that cannot be used (a NUL or an unpaired surrogate)';
    }
  }
  return fields;
}

/**
 * Errors found while routing, before any hook has run (broken %-encoding, a path part longer than
 * `maxParamLength`): the machine interfaces answer in their own error format, never a page.
 */
function frameworkErrors(platformName: string): NonNullable<FastifyServerOptions['frameworkErrors']> {
  const page = frameworkErrorPage(platformName);
  return (error, request, reply) => {
    const status =
      typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500
        ? error.statusCode
        : 400;
    const detail = status === 414 ? 'The path is too long.' : 'The path is not a valid address.';
    if (request.url.startsWith('/scim/'))
      void sendScimError(reply.header('x-content-type-options', 'nosniff'), status, undefined, detail);
    else if (request.url.startsWith('/api/'))
      void sendProblem(reply.header('x-content-type-options', 'nosniff'), status, detail);
    else page(error, request, reply);
  };
}

export async function buildApp(services: Services, options: AppOptions = {}): Promise<FastifyInstance> {
  const { config } = services;
  const app = Fastify({
    logger: options.logger ?? false,
    trustProxy: config.trustProxy,
    bodyLimit: 1_048_576,
    genReqId: () => randomUUID(),
    requestIdHeader: false,
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 300 },
    frameworkErrors: frameworkErrors(config.platformName),
  });

  // Before any plugin adds a route, so the list is complete (the route-enumerating fuzz suite reads it).
  const routes: RegisteredRoute[] = [];
  app.decorate('registeredRoutes', routes);
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) routes.push({ method, url: route.url, schema: route.schema });
  });

  await app.register(fastifyHelmet, {
    enableCSPNonces: true,
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:'],
        fontSrc: ["'self'"],
        connectSrc: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        baseUri: ["'none'"],
        objectSrc: ["'none'"],
        upgradeInsecureRequests: config.secureCookies ? [] : null,
      },
    },
    strictTransportSecurity: config.secureCookies ? { maxAge: 31_536_000, includeSubDomains: true } : false,
    referrerPolicy: { policy: 'no-referrer' },
    crossOriginEmbedderPolicy: false,
  });
  await app.register(fastifyCookie, { secret: config.secretKey });
  await app.register(fastifyFormbody, { bodyLimit: 65_536 });
  // Pages take browser forms only; an API (its own plugin scope) adds JSON where it needs it.
  acceptFormsOnly(app);
  await app.register(fastifyCsrf, {
    sessionPlugin: '@fastify/cookie',
    cookieKey: config.secureCookies ? '__Host-nexus_csrf' : 'nexus_csrf',
    cookieOpts: { signed: true, httpOnly: true, sameSite: 'lax', secure: config.secureCookies, path: '/' },
  });
  await app.register(fastifyStatic, {
    root: options.assetsDir ?? path.join(PROJECT_ROOT, 'dist/assets'),
    prefix: '/assets/',
    maxAge: '1h',
    index: false,
    decorateReply: false,
  });

  // Responses about people are never kept by a browser or a proxy: every answer that does not say
  // otherwise (the static assets do) is no-store — pages, API and SCIM, errors and successes alike.
  app.addHook('onSend', (_request, reply, payload, done) => {
    if (!reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store');
    done(null, payload);
  });

  // A query string or path part that no text column can hold (NUL, an unpaired surrogate) never
  // reaches a route as such. The machine interfaces refuse it (400: a client should learn its
  // request was wrong); the pages clean it to U+FFFD as they clean form fields (form.ts), so a
  // filter finds nothing or gets its ordinary validation message, and an unused parameter is ignored.
  app.addHook('preValidation', async (request) => {
    if (isMachineInterface(request.url)) {
      const fields = unstorableParts({
        ...(request.query as Record<string, unknown>),
        ...(request.params as Record<string, unknown>),
      });
      if (Object.keys(fields).length > 0)
        throw new ValidationError(fields, 'The address contains a character that cannot be used');
      return;
    }
    cleanValues(request.query);
    cleanValues(request.params);
  });

  registerSession(app, services);
  limitConcurrencyPerCaller(app, MAX_REQUESTS_AT_ONCE_PER_CALLER);
  registerViews(app, services, { demo: options.demo ?? false });
  registerErrorHandling(app);

  // Every state-changing form carries a CSRF token (R54); checked once, here, for all of them.
  // The machine interfaces take writes only with a bearer token, never the cookie, so a forged
  // cross-site request has no credentials there (src/api/bearer-auth.ts).
  app.addHook('preHandler', (request, reply, done) => {
    if (request.method === 'GET' || request.method === 'HEAD' || request.method === 'OPTIONS') return done();
    if (isMachineInterface(request.url)) return done();
    app.csrfProtection(request, reply, done);
  });

  await app.register(healthRoutes(services));
  await app.register(signInRoutes(services));
  await app.register(passwordRoutes(services));
  await app.register(homeRoutes(services));
  await app.register(myAccountRoutes(services));
  await app.register(myCommunicationsRoutes(services));
  await app.register(adminUsersRoutes(services));
  await app.register(userImportRoutes(services));
  await app.register(adminUserRoutes(services));
  await app.register(adminStatusRoutes(services));
  await app.register(adminAuditRoutes(services));
  await app.register(securityAlertRoutes(services));
  await app.register(adminReviewRoutes(services));
  await app.register(schoolGroupRoutes(services));
  await app.register(lifecycleRoutes(services));
  await app.register(apiTokenRoutes(services));
  await app.register(apiPlugin(services), { prefix: '/api' });
  await app.register(scimPlugin(services), { prefix: '/scim/v2' });
  await app.register(supportRoutes(services));
  return app;
}
