import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { can } from '../../../domain/access.ts';
import { ForbiddenError, ValidationError } from '../../../domain/errors.ts';
import type { Services } from '../../../services/index.ts';
import { requestContext } from '../../../http/request-context.ts';
import { requireSignIn, signedIn } from '../../plugins/require-sign-in.ts';
import { errorView } from '../../plugins/views.ts';
import { acceptUploads, uploadedFile } from '../imports/multipart.ts';

/**
 * The full establishment extract unpacked is tens of megabytes; the .zip GIAS serves is a fifth
 * of that. Either is accepted up to this size.
 */
export const GIAS_UPLOAD_LIMIT = 100 * 1024 * 1024;

/** Support > School imports (R58a): the record of GIAS imports, and an import by upload. */
export function schoolImportRoutes(services: Services) {
  return async (app: FastifyInstance) => {
    // Before the upload is read (preValidation), so that nobody signed out can make the server hold one.
    app.addHook('preValidation', requireSignIn);
    // Only central support imports GIAS: anyone else is refused before a byte of the upload is read
    // (the service refuses too; this spares the server holding 100 MB for a 403).
    app.addHook('preValidation', async (request) => {
      if (request.signedIn && !can(request.signedIn.actor, 'support.school-imports')) throw new ForbiddenError();
    });
    acceptUploads(app, GIAS_UPLOAD_LIMIT);

    async function page(request: FastifyRequest, reply: FastifyReply, extra: Record<string, unknown> = {}) {
      const imports = await services.schoolImports.history(signedIn(request).actor);
      return reply.page('support/school-imports.njk', { pageTitle: 'School imports – Support', imports, ...extra });
    }

    app.get('/support/school-imports', (request, reply) => page(request, reply));

    app.post('/support/school-imports', async (request, reply) => {
      const file = uploadedFile(request, 'file');
      try {
        if (!file || file.data.length === 0)
          throw new ValidationError({
            file: file ? 'The selected file is empty' : 'Select the GIAS establishment extract (.zip or .csv)',
          });
        const r = await services.schoolImports.importFile(
          signedIn(request).actor,
          { name: file.filename, bytes: file.data },
          requestContext(request),
        );
        reply.flash(
          `${r.fileName} was imported: ${r.schools.created} schools created, ${r.schools.updated} updated, ${r.schools.closed} closed, ${r.moves.length} moved to another Local Authority, ${r.rowsSkipped} rows skipped.`,
        );
        return await reply.redirect('/support/school-imports', 303);
      } catch (error) {
        if (!(error instanceof ValidationError)) throw error;
        reply.code(400);
        return page(request, reply, { errors: errorView(error.fields, ['file']) });
      }
    });
  };
}
