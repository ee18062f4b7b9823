import type { SignInCompleted } from '../../../services/sign-in/sign-in-service.ts';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { interactionPath, type FinishingStep } from '../../../domain/interaction-path.ts';
import { returnPath } from '../../../domain/return-path.ts';
import { formBody } from '../form.ts';

/**
 * A step that signs the person in, run by the page's route: the sign-in (its session cookie set),
 * or undefined when the step has answered itself (the page again, with what went wrong).
 * `returnTo` is the interaction's own path, for the page shown again.
 */
export type FinishingStepRun = (returnTo: string) => Promise<SignInCompleted | undefined>;

/**
 * The OpenID Connect provider's side of a sign-in an application started (src/oidc/interaction.ts),
 * given to the sign-in pages by the server: inside an interaction, the last step posts below the
 * interaction's address, and this runs it there. An interaction that is not this browser's, or has
 * expired, gets the timed-out page and the step is not run; once the step signs the person in, the
 * provider resumes in the same request and answers with the application's redirect and its code.
 */
export type SignInWithinInteraction = (
  request: FastifyRequest,
  reply: FastifyReply,
  uid: string,
  step: FinishingStepRun,
) => Promise<FastifyReply>;

/**
 * A step that signs the person in, registered at both of its addresses: on the sign-in pages
 * (`/sign-in/<step>`, then on to the form's return path) and below an application's interaction
 * (then on to the application, in the same answer). `step` gives the sign-in, its session cookie
 * set, or undefined when it has shown its page again with what went wrong.
 */
export function finishingStep(
  app: FastifyInstance,
  signInWithin: SignInWithinInteraction,
  path: FinishingStep,
  step: (
    request: FastifyRequest,
    reply: FastifyReply,
    returnTo: string | undefined,
  ) => Promise<SignInCompleted | undefined>,
): void {
  app.post(`/sign-in/${path}`, async (request, reply) => {
    const returnTo = returnPath(formBody(request.body).returnTo);
    if ((await step(request, reply, returnTo)) === undefined) return reply;
    return reply.redirect(returnTo ?? '/', 303);
  });
  app.post<{ Params: { uid: string } }>(`${interactionPath(':uid')}/${path}`, async (request, reply) =>
    signInWithin(request, reply, request.params.uid, (returnTo) => step(request, reply, returnTo)),
  );
}
