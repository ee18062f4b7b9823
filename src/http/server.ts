import { randomUUID } from 'node:crypto';
import path from 'node:path';
import fastifyCookie from '@fastify/cookie';
import fastifyHelmet from '@fastify/helmet';
import fastifyStatic from '@fastify/static';
import Fastify, {
  type FastifyInstance,
  type FastifyReply,
  type FastifySchema,
  type FastifyServerOptions,
} from 'fastify';
import { apiPlugin } from '../api/api-plugin.ts';
import { sendProblem } from '../api/problem.ts';
import { sendScimError } from '../api/scim/scim-errors.ts';
import { scimPlugin } from '../api/scim/scim-plugin.ts';
import { ValidationError } from '../domain/errors.ts';
import { PROJECT_ROOT } from '../paths.ts';
import type { Services } from '../services/index.ts';
import { frameworkErrorPage } from '../web/plugins/error-handler.ts';
import { registerWeb } from '../web/web-plugin.ts';
import { oidcPlugin } from '../oidc/oidc-plugin.ts';
import { providerHost } from '../oidc/provider-host.ts';
import { interactions } from '../oidc/interaction.ts';
import { cleanValues, unstorableParts } from './clean-input.ts';
import { limitConcurrencyPerCaller } from './concurrency.ts';
import { isMachineInterface, isOidc } from './paths.ts';
import { registerSession } from './session.ts';
import './request-types.ts';

/** A route as it was registered: what a test needs to reach every route without a list kept by hand. */
export interface RegisteredRoute {
  method: string;
  url: string;
  schema: FastifySchema | undefined;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Every route of the application, in registration order (filled by the onRoute hook in buildServer). */
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

/** Requests one session or API token may have in progress at once (./concurrency.ts). */
export const MAX_REQUESTS_AT_ONCE_PER_CALLER = 8;

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
    if (isOidc(request.url))
      void (reply as FastifyReply)
        .code(status)
        .header('x-content-type-options', 'nosniff')
        .send({ error: 'invalid_request', error_description: detail });
    else if (request.url.startsWith('/scim/'))
      void sendScimError(reply.header('x-content-type-options', 'nosniff'), status, undefined, detail);
    else if (request.url.startsWith('/api/'))
      void sendProblem(reply.header('x-content-type-options', 'nosniff'), status, detail);
    else page(error, request, reply);
  };
}

/**
 * The one HTTP server: request plumbing shared by every interface (security headers, cookies,
 * static assets, no-store, input cleaning, the session, the per-caller limit, the route list),
 * then the pages, the JSON API, the OpenID Connect provider and SCIM mounted side by side. None
 * of them imports another (the provider renders its few pages with the pages' views).
 */
export async function buildServer(services: Services, options: AppOptions = {}): Promise<FastifyInstance> {
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

  app.decorate('oidc', providerHost(services));
  // The sign-in pages' last steps inside an application's sign-in hand the person back to the provider.
  const oidcInteractions = interactions(services, app.oidc);
  await registerWeb(app, services, { demo: options.demo ?? false, signInWithin: oidcInteractions.signInWithin });
  await app.register(apiPlugin(services), { prefix: '/api' });
  await app.register(oidcPlugin(services, app.oidc, oidcInteractions), { prefix: '/oidc' });
  await app.register(scimPlugin(services), { prefix: '/scim/v2' });
  return app;
}
