import type { FastifyReply, FastifyRequest } from 'fastify';
import { errors, type Interaction } from 'oidc-provider';
import { demandsFreshSignIn, freshSignInNeeded, signInDemandOf } from '../domain/oidc-fresh-sign-in.ts';
import { interactionPath, OIDC_PATH } from '../domain/interaction-path.ts';
import { withReturnTo } from '../domain/return-path.ts';
import type { Services } from '../services/index.ts';
import type { Principal } from '../services/sign-in/principal.ts';
import type { SignedIn } from '../services/sign-in/session-service.ts';
import type { SignInWithinInteraction } from '../web/routes/sign-in/within-interaction.ts';
import type { ProviderHost } from './provider-host.ts';
import type { NexusRequest } from './provider.ts';

const cspNonceOf = (reply: FastifyReply) =>
  (reply as FastifyReply & { cspNonce?: { script: string } }).cspNonce?.script;

/** Where the interaction keeps when the sign-in it sent the person away from had happened. */
const REFUSED_SIGN_IN = 'nexusRefusedSignInAt';

/** Whom the Nexus session signs in, as the provider is told. */
interface NexusPerson {
  readonly accountId: string;
  /** When they last proved who they are. */
  readonly signedInAt: Date;
  /** As this request read them with its session; absent when this request has just signed them in. */
  readonly principal?: Principal;
}

const personOfSession = (signedIn: SignedIn | undefined): NexusPerson | undefined =>
  signedIn && { accountId: signedIn.account.id, signedInAt: signedIn.signedInAt, principal: signedIn };

/**
 * Hands a request to the provider (a Koa application) below the mount point, with who the Nexus
 * session signs in: `person`, when the request has just signed them in, else the request's own.
 */
export function forwardToProvider(host: ProviderHost) {
  return async (
    request: FastifyRequest,
    reply: FastifyReply,
    person: NexusPerson | undefined = personOfSession(request.signedIn),
  ) => {
    const handle = (await host.provider()).callback();
    const raw = request.raw as NexusRequest;
    raw.nexusAccountId = person?.accountId;
    raw.nexusSignedIn = person?.principal;
    raw.nexusSignedInHere = person !== undefined && person.principal === undefined;
    raw.cspNonce = cspNonceOf(reply);
    raw.log = request.log;
    // The server's security headers (helmet's, set on the reply) on the provider's answers too, and
    // a session cookie the request has just set.
    for (const [name, value] of Object.entries(reply.getHeaders()))
      if (value !== undefined) reply.raw.setHeader(name, value);
    const original = raw.url ?? '/';
    const below = original.slice(OIDC_PATH.length);
    raw.originalUrl = original;
    raw.url = below.startsWith('/') ? below : `/${below}`;
    reply.hijack();
    await handle(raw, reply.raw);
  };
}

/**
 * The provider's interaction: where it asks for a person, and where the sign-in pages hand one back.
 * The provider's state read and written here and by its resume is kept together for the request:
 * the interaction is read once, and its result, deleted by the resume, never written.
 */
export function interactions(services: Services, host: ProviderHost) {
  const forward = forwardToProvider(host);

  async function timedOut(reply: FastifyReply): Promise<FastifyReply> {
    await reply.code(400).page('oidc/interaction-expired.njk', { pageTitle: 'This sign-in has timed out' });
    return reply;
  }

  /** The interaction this browser's cookie names, if it is the one the address names and still open. */
  async function open(request: FastifyRequest, reply: FastifyReply, uid: string): Promise<Interaction | undefined> {
    const provider = await host.provider();
    try {
      const details = await provider.interactionDetails(request.raw, reply.raw);
      return details.uid === uid ? details : undefined;
    } catch (error) {
      if (!(error instanceof errors.SessionNotFound)) throw error;
      return undefined;
    }
  }

  /**
   * Signed in to Nexus, the person is handed back to the provider at once (every application is
   * first-party: no consent screen), which resumes the authorization in this same request; otherwise
   * they sign in with the service's own pages. An application's prompt=login, or a max_age shorter
   * than the time since they signed in, sends them to sign in again first (their username kept).
   */
  async function handBack(
    request: FastifyRequest,
    reply: FastifyReply,
    details: Interaction,
    signedIn: NexusPerson | undefined,
  ): Promise<FastifyReply> {
    const asked = details.result?.[REFUSED_SIGN_IN] as number | undefined;
    const demand = signInDemandOf(details.params, asked === undefined ? undefined : new Date(asked));
    // The library's own clock, not the service's: the interaction's `exp` was set by it, and what is
    // left of its life is counted the same way.
    const epochSeconds = Math.floor(Date.now() / 1000);
    if (!signedIn || freshSignInNeeded(demand, signedIn.signedInAt, services.clock.now())) {
      // Remembered on the interaction, so that only a sign-in made after this one answers it.
      if (asked === undefined && demandsFreshSignIn(demand)) {
        details.result = { [REFUSED_SIGN_IN]: signedIn?.signedInAt.getTime() ?? 0 };
        await details.save(details.exp - epochSeconds);
        await services.oidcState.finishRequest(request.raw);
      }
      const signIn = withReturnTo('/sign-in', interactionPath(details.uid));
      return reply.redirect(signedIn ? `${signIn}&again=1` : signIn, 303);
    }
    // auth_time is when the person last proved who they are: the Nexus session began then.
    details.result = {
      login: {
        accountId: signedIn.accountId,
        ts: Math.floor(signedIn.signedInAt.getTime() / 1000),
        remember: false,
      },
    };
    await details.save(details.exp - epochSeconds);
    request.raw.url = `${OIDC_PATH}/auth/${details.uid}`;
    // The resume is the provider's GET, whichever method brought the person here.
    request.raw.method = 'GET';
    await forward(request, reply, signedIn);
    return reply;
  }

  const keptTogether = (request: FastifyRequest, work: () => Promise<FastifyReply>) =>
    services.oidcState.inRequest(request.raw, async () => {
      try {
        return await work();
      } finally {
        await services.oidcState.finishRequest(request.raw);
      }
    });

  return {
    /**
     * GET /oidc/auth/:uid/interaction, where the provider sends a person. The address is below the
     * provider's resume address, so the browser brings the resume cookie too and the provider resumes
     * in this same request (one redirect fewer).
     */
    interaction: (request: FastifyRequest<{ Params: { uid: string } }>, reply: FastifyReply) =>
      keptTogether(request, async () => {
        const details = await open(request, reply, request.params.uid);
        if (!details) return timedOut(reply);
        return handBack(request, reply, details, personOfSession(request.signedIn));
      }),

    /**
     * A sign-in page's last step posted below the interaction (src/web/routes/sign-in/): the
     * interaction is checked first, so that a step for one that is gone changes nothing; the person
     * signed in is handed back at once, without a redirect through the interaction's address.
     */
    signInWithin: ((request, reply, uid, step) =>
      keptTogether(request, async () => {
        const details = await open(request, reply, uid);
        if (!details) return timedOut(reply);
        const signedIn = await step(interactionPath(details.uid));
        if (signedIn === undefined) return reply;
        // Whom the step has just signed in, as it says: their session is not read back.
        return handBack(request, reply, details, { accountId: signedIn.accountId, signedInAt: signedIn.signedInAt });
      })) satisfies SignInWithinInteraction,
  };
}

export type Interactions = ReturnType<typeof interactions>;
