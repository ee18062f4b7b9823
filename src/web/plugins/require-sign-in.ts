import type { FastifyReply, FastifyRequest } from 'fastify';
import { returnPath, withReturnTo } from '../../domain/return-path.ts';
import type { SignedIn } from '../../services/sign-in/session-service.ts';

/**
 * Route guard: pages for signed-in people send everyone else to sign in — and, for a page that
 * was being opened (a link in a digest, a bookmark, a session that timed out), back to it after
 * signing in. A form post is not replayed: it goes back to nothing in particular.
 */
export async function requireSignIn(request: FastifyRequest, reply: FastifyReply): Promise<void> {
  if (!request.signedIn) {
    const opening = request.method === 'GET' || request.method === 'HEAD';
    const back = opening && request.url !== '/' ? returnPath(request.url) : undefined;
    await reply.redirect(withReturnTo('/sign-in', back));
  }
}

/**
 * The signed-in person of a route in a signed-in scope (one whose preHandler is requireSignIn):
 * never undefined there. A route outside such a scope that asks is a programming error, and
 * fails loudly instead of reading a property of undefined.
 */
export function signedIn(request: FastifyRequest): SignedIn {
  const person = request.signedIn;
  if (!person)
    throw new Error(
      `${request.routeOptions.url ?? request.url} asked for the signed-in person outside a signed-in scope`,
    );
  return person;
}
