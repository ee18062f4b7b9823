import type { FastifyReply, FastifyRequest } from 'fastify';

/** Route guard: pages for signed-in people send everyone else to sign in. */
export async function requireSignIn(request: FastifyRequest, reply: FastifyReply): Promise<void> {
  if (!request.signedIn) {
    await reply.redirect('/sign-in');
  }
}
