import type { FastifyError, FastifyInstance } from 'fastify';
import { DomainError, ValidationError } from '../../domain/errors.ts';
import { errorView } from './views.ts';

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
      if (error.status === 403) return reply.page('errors/403.njk', { pageTitle: 'You do not have permission', message: error.message });
      const fields = error instanceof ValidationError ? error.fields : {};
      return reply.page('errors/problem.njk', {
        pageTitle: 'There is a problem', message: error.message, errors: errorView(fields),
      });
    }
    const status = typeof error.statusCode === 'number' ? error.statusCode : 500;
    if (status >= 400 && status < 500) {
      reply.code(status);
      if (error.code === 'FST_CSRF_INVALID_TOKEN' || error.code === 'FST_CSRF_MISSING_SECRET') {
        return reply.page('errors/problem.njk', {
          pageTitle: 'Your form has expired',
          message: 'The form you sent has expired or did not come from this service. Go back, reload the page and try again.',
        });
      }
      return reply.page('errors/problem.njk', { pageTitle: 'There is a problem', message: 'The request could not be understood. Go back and try again.' });
    }
    request.log.error({ err: error, requestId: request.id }, 'unexpected error');
    reply.code(500);
    try {
      return await reply.page('errors/500.njk', { pageTitle: 'Sorry, there is a problem with the service', requestId: request.id });
    } catch {
      return reply.type('text/plain; charset=utf-8').send(`Sorry, there is a problem with the service. Reference: ${request.id}`);
    }
  });
}
