import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ACCOUNT_IMPORT_COLUMNS } from '../../../domain/account-import.ts';
import { toCsv } from '../../../domain/csv.ts';
import { ImportRejectedError } from '../../../domain/errors.ts';
import { templateRows, type ImportColumn, type RowProblem } from '../../../domain/import-file.ts';
import { SCHOOL_IMPORT_COLUMNS } from '../../../domain/school-import.ts';
import { SCHOOL_ROLES } from '../../../domain/school-roles.ts';
import { USER_TYPES } from '../../../domain/privileges.ts';
import type { Services } from '../../../services/index.ts';
import { requestContext } from '../../../http/request-context.ts';
import { requireSignIn, signedIn } from '../../plugins/require-sign-in.ts';
import { errorView } from '../../plugins/views.ts';
import { sendCsv } from '../csv-reply.ts';
import { acceptUploads, uploadedFile } from './multipart.ts';
import { queryOf } from '../form.ts';

/** An LA's accounts fit in a few megabytes; 10,000 rows of the template are about 1 MB. */
const UPLOAD_LIMIT = 5 * 1024 * 1024;
/** The most problems a refused file lists on the page; the count says how many there are. */
const PROBLEMS_SHOWN = 500;

interface ImportKind {
  path: string;
  title: string;
  columns: readonly ImportColumn[];
  templateName: string;
  run: (
    services: Services,
    request: FastifyRequest,
    la: unknown,
    file: { name: string; bytes: Uint8Array },
  ) => Promise<{ heading: string; rows: string[][]; headers: string[]; notices: string[] }>;
}

const KINDS: ImportKind[] = [
  {
    path: '/admin/users/import',
    title: 'Import users from a CSV file',
    columns: ACCOUNT_IMPORT_COLUMNS,
    templateName: 'users-import-template.csv',
    async run(services, request, la, file) {
      const { organisation, created, notices } = await services.userImport.importAccounts(
        signedIn(request).actor,
        la,
        file,
        requestContext(request),
      );
      return {
        heading: `${created.length} ${created.length === 1 ? 'account has' : 'accounts have'} been created in ${organisation.name} and emailed an invitation`,
        headers: ['Username', 'Name', 'Email'],
        rows: created.map((a) => [a.username, a.name, a.email, `/admin/users/${a.id}`]),
        notices,
      };
    },
  },
  {
    path: '/admin/users/import-schools',
    title: 'Import school assignments from a CSV file',
    columns: SCHOOL_IMPORT_COLUMNS,
    templateName: 'school-assignments-import-template.csv',
    async run(services, request, la, file) {
      const { organisation, accounts, notices } = await services.userImport.importSchools(
        signedIn(request).actor,
        la,
        file,
        requestContext(request),
      );
      return {
        heading: `The schools of ${accounts.length} ${accounts.length === 1 ? 'account' : 'accounts'} of ${organisation.name} have been replaced`,
        headers: ['Username', 'Schools'],
        rows: accounts.map((a) => [a.username, String(a.schools), `/admin/users/${a.id}/schools`]),
        notices,
      };
    },
  },
];

/** Admin > Users > Import (R58) and the school-assignment import (R26), by file upload. */
export function userImportRoutes(services: Services) {
  return async (app: FastifyInstance) => {
    app.addHook('preHandler', requireSignIn);
    acceptUploads(app, UPLOAD_LIMIT);

    for (const kind of KINDS) {
      const la = (request: FastifyRequest) => queryOf(request).la;

      async function page(request: FastifyRequest, reply: FastifyReply, extra: Record<string, unknown> = {}) {
        const organisation = await services.userImport.organisationFor(signedIn(request).actor, la(request));
        const suffix = typeof la(request) === 'string' ? `?la=${organisation.la_code}` : '';
        return reply.page('admin/users/import.njk', {
          pageTitle: `${kind.title} – Admin`,
          title: kind.title,
          kind: kind.path.endsWith('schools') ? 'schools' : 'accounts',
          organisation,
          action: `${kind.path}${suffix}`,
          templateHref: `${kind.path}/template.csv${suffix}`,
          schoolsImportHref: `/admin/users/import-schools${suffix}`,
          columns: kind.columns,
          userTypes: USER_TYPES.filter((t) => t.code !== 'support'),
          schoolRoles: SCHOOL_ROLES,
          invitationDays: services.config.invitationDays,
          ...extra,
        });
      }

      app.get(kind.path, (request, reply) => page(request, reply));

      app.get(`${kind.path}/template.csv`, async (request, reply) => {
        await services.userImport.organisationFor(signedIn(request).actor, la(request));
        const { header, example } = templateRows(kind.columns);
        return sendCsv(reply, kind.templateName, toCsv(header, [example]));
      });

      app.post(kind.path, async (request, reply) => {
        const file = uploadedFile(request, 'file');
        if (!file || file.data.length === 0) {
          reply.code(400);
          return page(request, reply, {
            errors: errorView({ file: file ? 'The selected file is empty' : 'Select a CSV file' }),
          });
        }
        try {
          const result = await kind.run(services, request, la(request), { name: file.filename, bytes: file.data });
          return reply.page('admin/users/import-done.njk', {
            pageTitle: `${kind.title} – Admin`,
            title: kind.title,
            backHref: '/admin/users',
            ...result,
          });
        } catch (error) {
          if (!(error instanceof ImportRejectedError)) throw error;
          reply.code(400);
          return page(request, reply, {
            errors: {
              summary: [
                {
                  text: `${error.message}. Nothing was imported: correct the file and upload it again.`,
                  href: '#problems',
                },
              ],
              fields: { file: `${file.filename} was not imported` },
            },
            fileName: file.filename,
            notices: error.notices,
            problems: error.problems
              .slice(0, PROBLEMS_SHOWN)
              .map((p: RowProblem) => ({ ...p, line: p.line === 0 ? '' : String(p.line) })),
            problemCount: error.problems.length,
            problemsHidden: Math.max(0, error.problems.length - PROBLEMS_SHOWN),
          });
        }
      });
    }
  };
}
