import type { FastifyReply, FastifyRequest } from 'fastify';

/**
 * A step that signs the person in, run by the page's route: the new session's token (its cookie
 * set), or undefined when the step has answered itself (the page again, with what went wrong).
 * `returnTo` is the interaction's own path, for the page shown again.
 */
export type FinishingStepRun = (returnTo: string) => Promise<string | undefined>;

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
