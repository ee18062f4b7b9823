import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { DomainError, ValidationError } from '../../domain/errors.ts';
import { createViewEnvironment, errorView } from './views.ts';

/** What a person is told for Fastify's own 4xx errors, by error code. */
const REQUEST_PROBLEMS: Record<string, { title: string; message: string }> = {
  FST_CSRF_INVALID_TOKEN: {
    title: 'Your form has expired',
    message: 'The form you sent has expired or did not come from this service. Go back, reload the page and try again.',
  },
  FST_CSRF_MISSING_SECRET: {
    title: 'Your form has expired',
    message: 'The form you sent has expired or did not come from this service. Go back, reload the page and try again.',
  },
  FST_ERR_CTP_BODY_TOO_LARGE: {
    title: 'What you sent is too long',
    message: 'The form you sent was too large to accept. Go back, shorten what you entered and try again.',
  },
  NEXUS_TOO_MANY_AT_ONCE: {
    title: 'Too many pages at once',
    message: 'Several of your pages are still loading. Wait a moment, then try again.',
  },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: {
    title: 'There is a problem',
    message: 'This page only accepts its own form. Go back, reload the page and try again.',
  },
};

const GENERIC_PROBLEM = {
  title: 'There is a problem',
  message: 'The request could not be understood. Go back and try again.',
};

/**
 * The one place errors become responses. Domain errors keep their status and message; Fastify's
 * own 4xx (bad body, CSRF) become a plain page; anything else is logged with the request id and
 * shown as a 500 page with that id, never a stack trace.
 */
export function registerErrorHandling(app: FastifyInstance): void {
  app.setNotFoundHandler(async (request, reply) => {
    reply.code(404);
    await reply.page('errors/404.njk', { pageTitle: 'Page not found' });
  });

  app.setErrorHandler(async (error: FastifyError | DomainError, request, reply) => {
    if (error instanceof DomainError) {
      reply.code(error.status);
      if (error.status === 404) return reply.page('errors/404.njk', { pageTitle: 'Page not found' });
      if (error.status === 403)
        return reply.page('errors/403.njk', { pageTitle: 'You do not have permission', message: error.message });
      const fields = error instanceof ValidationError ? error.fields : {};
      return reply.page('errors/problem.njk', {
        pageTitle: 'There is a problem',
        message: error.message,
        errors: errorView(fields),
      });
    }
    const status = typeof error.statusCode === 'number' ? error.statusCode : 500;
    if (status >= 400 && status < 500) {
      reply.code(status);
      const problem = REQUEST_PROBLEMS[error.code] ?? GENERIC_PROBLEM;
      return reply.page('errors/problem.njk', { pageTitle: problem.title, message: problem.message });
    }
    request.log.error({ err: error, requestId: request.id }, 'unexpected error');
    reply.code(500);
    try {
      return await reply.page('errors/500.njk', {
        pageTitle: 'Sorry, there is a problem with the service',
        requestId: request.id,
      });
    } catch {
      return reply
        .type('text/plain; charset=utf-8')
        .send(`Sorry, there is a problem with the service. Reference: ${request.id}`);
    }
  });
}

/**
 * For Fastify's `frameworkErrors` option: errors found while routing, before any hook has run
 * (an address with broken %-encoding, a path part longer than `maxParamLength`). Without it
 * Fastify answers with JSON that repeats the address. Cookies are not parsed yet, so this page is
 * rendered without the session, flash or CSRF parts of the layout.
 */
export function frameworkErrorPage(platformName = 'Nexus') {
  const env = createViewEnvironment();
  return (error: FastifyError, request: FastifyRequest, reply: FastifyReply): void => {
    const clientError = typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500;
    const base = { platformName, serviceName: 'Account administration' };
    let html: string;
    if (clientError) {
      html = env.render('errors/problem.njk', {
        ...base,
        pageTitle: 'Page not found',
        message:
          'The web address is not complete or not correct. If you copied it from an email, check you copied all of it.',
      });
    } else {
      request.log.error({ err: error, requestId: request.id }, 'unexpected routing error');
      html = env.render('errors/500.njk', { ...base, requestId: request.id });
    }
    // Helmet's hooks have not run for this request: send the essential headers here.
    void reply
      .code(clientError ? error.statusCode! : 500)
      .header('cache-control', 'no-store')
      .header('x-content-type-options', 'nosniff')
      .header(
        'content-security-policy',
        "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
      )
      .type('text/html; charset=utf-8')
      .send(html);
  };
}
