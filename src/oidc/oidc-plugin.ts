import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { errors } from 'oidc-provider';
import { DomainError, ValidationError } from '../domain/errors.ts';
import { demandsFreshSignIn, freshSignInNeeded, signInDemandOf } from '../domain/oidc-fresh-sign-in.ts';
import { withReturnTo } from '../domain/return-path.ts';
import type { Services } from '../services/index.ts';
import type { ProviderHost } from './provider-host.ts';
import { interactionPath, OIDC_PATH, type NexusRequest } from './provider.ts';

const cspNonceOf = (reply: FastifyReply) =>
  (reply as FastifyReply & { cspNonce?: { script: string } }).cspNonce?.script;

/** An OAuth error body (RFC 6749 §5.2), for what fails before the provider has the request. */
function oauthError(reply: FastifyReply, status: number, error: string, description: string) {
  return reply.code(status).header('cache-control', 'no-store').send({ error, error_description: description });
}

/** Where the interaction keeps when the sign-in it sent the person away from had happened. */
const REFUSED_SIGN_IN = 'nexusRefusedSignInAt';

/**
 * Nexus Accounts as an OpenID Connect provider (R61–R63), at BASE_URL/oidc: panva's oidc-provider (a
 * Koa application) answers every path below it through its own request handler, with the request's
 * body left unread for it; the one route of ours is the interaction, where the provider hands over
 * to this service's own sign-in and takes the signed-in account back.
 */
export function oidcPlugin(services: Services, host: ProviderHost) {
  return async (app: FastifyInstance) => {
    // Make the first key (and the provider) now, so the first request does not wait for it; not
    // awaited, so the service starts (and /health says 503) while the database is unreachable: the
    // first request to /oidc then tries again.
    host.refresh().catch((error: unknown) => {
      app.log.warn({ err: error }, 'OpenID Connect provider not ready yet: its signing keys could not be read');
    });

    // The library reads (and limits) bodies itself: none is parsed here.
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('*', (_request, _payload, done) => done(null));

    app.setErrorHandler((error, request, reply) => {
      if (error instanceof ValidationError) return oauthError(reply, 400, 'invalid_request', error.message);
      if (error instanceof DomainError) return oauthError(reply, error.status, 'invalid_request', error.message);
      request.log.error({ err: error }, 'OpenID Connect request failed');
      return oauthError(reply, 500, 'server_error', 'The request could not be completed; try again.');
    });

    const forward = async (request: FastifyRequest, reply: FastifyReply) => {
      const handle = (await host.provider()).callback();
      const raw = request.raw as NexusRequest;
      raw.nexusAccountId = request.signedIn?.account.id;
      raw.nexusSignedIn = request.signedIn;
      raw.cspNonce = cspNonceOf(reply);
      raw.log = request.log;
      // The server's security headers (helmet's, set on the reply) on the provider's answers too.
      for (const [name, value] of Object.entries(reply.getHeaders()))
        if (value !== undefined) reply.raw.setHeader(name, value);
      const original = raw.url ?? '/';
      const below = original.slice(OIDC_PATH.length);
      raw.originalUrl = original;
      raw.url = below.startsWith('/') ? below : `/${below}`;
      reply.hijack();
      await handle(raw, reply.raw);
    };

    /**
     * The provider asks for a person: signed in to Nexus, they are handed back at once (every
     * application is first-party: no consent screen); otherwise they sign in with the service's own
     * pages, which come back here when done. An application's prompt=login, or a max_age shorter
     * than the time since they signed in, sends them to sign in again first (their username kept).
     * The address is below the provider's resume address, so the browser brings the resume cookie
     * too and the provider resumes the authorization in this same request (one redirect fewer).
     */
    app.get<{ Params: { uid: string } }>('/auth/:uid/interaction', async (request, reply) =>
      // The provider's state read and written here and by the provider's resume below is kept
      // together: the interaction is read once, and its result, deleted by the resume, never written.
      services.oidcState.inRequest(request.raw, async () => {
        try {
          return await interaction(request, reply);
        } finally {
          await services.oidcState.finishRequest(request.raw);
        }
      }),
    );

    async function interaction(request: FastifyRequest<{ Params: { uid: string } }>, reply: FastifyReply) {
      const provider = await host.provider();
      let details: Awaited<ReturnType<typeof provider.interactionDetails>>;
      try {
        details = await provider.interactionDetails(request.raw, reply.raw);
      } catch (error) {
        if (!(error instanceof errors.SessionNotFound)) throw error;
        return reply.code(400).page('oidc/interaction-expired.njk', { pageTitle: 'This sign-in has timed out' });
      }
      if (details.uid !== request.params.uid)
        return reply.code(400).page('oidc/interaction-expired.njk', { pageTitle: 'This sign-in has timed out' });
      const signedIn = request.signedIn;
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
          accountId: signedIn.account.id,
          ts: Math.floor(signedIn.signedInAt.getTime() / 1000),
          remember: false,
        },
      };
      await details.save(details.exp - epochSeconds);
      request.raw.url = `${OIDC_PATH}/auth/${details.uid}`;
      return forward(request, reply);
    }

    // The methods the provider answers (OPTIONS for its CORS preflights); any other is not found here.
    for (const url of ['/', '/*']) app.route({ method: ['GET', 'POST', 'OPTIONS'], url, handler: forward });
  };
}
