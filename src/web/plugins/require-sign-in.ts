import type { FastifyReply, FastifyRequest } from 'fastify';
import type { SignedIn } from '../../services/sign-in/session-service.ts';

/** Route guard: pages for signed-in people send everyone else to sign in. */
export async function requireSignIn(request: FastifyRequest, reply: FastifyReply): Promise<void> {
  if (!request.signedIn) {
    await reply.redirect('/sign-in');
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
