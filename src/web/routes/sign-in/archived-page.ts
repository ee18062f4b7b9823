import type { FastifyReply } from 'fastify';
import type { ArchivedAccountError } from '../../../domain/errors.ts';

/** The archived-account page (R52): whichever way the person tried to sign in, the same words and status. */
export function archivedPage(reply: FastifyReply, error: ArchivedAccountError) {
  reply.code(403);
  return reply.page('sign-in/archived.njk', {
    pageTitle: 'Your account has been archived',
    administrators: error.administrators,
    laName: error.laName,
  });
}
