import cookie from '@fastify/cookie';
import formbody from '@fastify/formbody';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { createRemoteJWKSet } from 'jose';
import * as client from 'openid-client';
import { InvalidLogoutToken, verifyLogoutToken } from './backchannel-logout.ts';
import { problemPage, renderPage, reportPage, reportsPage, signedOutPage, startPage, type Page } from './pages.ts';
import { personFromClaims } from './person.ts';
import { reportOfSchool } from './reports.ts';
import { SessionStore, type Session, type SignedIn } from './sessions.ts';
import { compileStyles } from './styles.ts';

/**
 * A reporting application that signs people in through Nexus Accounts with openid-client: the
 * authorization code flow with PKCE (S256), state and nonce; tokens kept on the server; the
 * current claims at every refresh; back-channel and RP-initiated logout.
 */

export interface ReportingAppOptions {
  /** Nexus Accounts' issuer, BASE_URL/oidc. */
  readonly issuer: URL;
  readonly clientId: string;
  readonly clientSecret: string;
  /** Where people reach this app: its /callback must be registered in Nexus exactly. */
  readonly appUrl: URL;
  /** Signs the session cookie; a random one (every restart signs everyone out) when absent. */
  readonly cookieSecret?: string;
  /** The app's clock (ms since the epoch), which decides when an access token has expired. */
  readonly now?: () => number;
  readonly logger?: boolean;
}

const SCOPE = 'openid profile email nexus offline_access';
const COOKIE = 'reporting_app_session';
/** Refresh a little before the access token expires, so a request never carries an expired one. */
const REFRESH_MARGIN_MS = 30_000;

export async function buildReportingApp(
  options: ReportingAppOptions,
): Promise<{ app: FastifyInstance; sessions: SessionStore }> {
  const now = options.now ?? Date.now;
  const sessions = new SessionStore();
  const redirectUri = new URL('/callback', options.appUrl).href;
  const css = compileStyles();

  // Discovery on first use, so the app starts before Nexus does; a failure is tried again next time.
  let discovered: Promise<client.Configuration> | undefined;
  const nexus = () =>
    (discovered ??= client
      .discovery(
        options.issuer,
        options.clientId,
        { redirect_uris: [redirectUri], id_token_signed_response_alg: 'ES256' },
        client.ClientSecretBasic(options.clientSecret),
        options.issuer.protocol === 'http:' ? { execute: [client.allowInsecureRequests] } : undefined,
      )
      .catch((error: unknown) => {
        discovered = undefined;
        throw error;
      }));
  let keys: ReturnType<typeof createRemoteJWKSet> | undefined;
  const providerKeys = async () => (keys ??= createRemoteJWKSet(new URL((await nexus()).serverMetadata().jwks_uri!)));

  const app = Fastify({ logger: options.logger ?? false });
  await app.register(cookie, { secret: options.cookieSecret ?? client.randomState() });
  await app.register(formbody);

  const send = (reply: FastifyReply, page: Page) =>
    reply.code(page.status).header('cache-control', 'no-store').type('text/html; charset=utf-8').send(renderPage(page));

  /** The session the cookie names: 'none' without a cookie, 'ended' when it names no live session. */
  function sessionOf(request: FastifyRequest): Session | 'none' | 'ended' {
    const raw = request.cookies[COOKIE];
    if (!raw) return 'none';
    const unsigned = request.unsignCookie(raw);
    const session = unsigned.valid && unsigned.value ? sessions.get(unsigned.value) : undefined;
    return session ?? 'ended';
  }

  /** The person's current claims: the ID token of this response, or userinfo when it has none. */
  async function signedInFrom(
    tokens: client.TokenEndpointResponse & client.TokenEndpointResponseHelpers,
    previous?: SignedIn,
  ): Promise<SignedIn> {
    const idTokenClaims = tokens.claims();
    const claims =
      idTokenClaims ?? (await client.fetchUserInfo(await nexus(), tokens.access_token, previous!.person.sub));
    return {
      person: personFromClaims(claims),
      sid: typeof idTokenClaims?.sid === 'string' ? idTokenClaims.sid : previous?.sid,
      accessToken: tokens.access_token,
      refreshToken: tokens.refresh_token ?? previous?.refreshToken,
      expiresAt: now() + (tokens.expires_in ?? 0) * 1000,
    };
  }

  /**
   * The session's sign-in, refreshed first when the access token has expired (or is about to), so
   * the page shows what Nexus says now. Undefined when Nexus refuses the refresh (the account was
   * archived or deleted, the grant revoked): the session is then over.
   */
  async function current(session: Session): Promise<SignedIn | undefined> {
    const signedIn = session.signedIn;
    if (!signedIn || now() < signedIn.expiresAt - REFRESH_MARGIN_MS) return signedIn;
    session.refreshing ??= (async () => {
      try {
        if (!signedIn.refreshToken) return undefined;
        const tokens = await client.refreshTokenGrant(await nexus(), signedIn.refreshToken);
        return (session.signedIn = await signedInFrom(tokens, signedIn));
      } catch (error) {
        // Refused (invalid_grant: archived, deleted, revoked; invalid_client: this app disabled or its
        // secret replaced): the session cannot go on. Anything else (Nexus unreachable) is an error page.
        if (error instanceof client.ResponseBodyError || error instanceof client.WWWAuthenticateChallengeError)
          return undefined;
        throw error;
      } finally {
        session.refreshing = undefined;
      }
    })();
    const refreshed = await session.refreshing;
    if (!refreshed) sessions.end(session.id);
    return refreshed;
  }

  /** The signed-in person of a page, or the answer already sent (start page or signed out). */
  async function signedInOr(request: FastifyRequest, reply: FastifyReply): Promise<SignedIn | undefined> {
    const session = sessionOf(request);
    if (session === 'none') {
      await send(reply, startPage());
      return undefined;
    }
    const signedIn = session === 'ended' ? undefined : await current(session);
    if (!signedIn) {
      reply.clearCookie(COOKIE, { path: '/' });
      await send(reply, session !== 'ended' && !session.signedIn ? startPage() : signedOutPage());
    }
    return signedIn;
  }

  app.get('/styles.css', (_request, reply) =>
    reply.type('text/css; charset=utf-8').header('cache-control', 'public, max-age=3600').send(css),
  );

  app.get('/', async (request, reply) => {
    const signedIn = await signedInOr(request, reply);
    if (signedIn) return send(reply, reportsPage(signedIn.person));
  });

  app.get<{ Params: { slug: string; urn: string } }>('/reports/:slug/:urn', async (request, reply) => {
    const signedIn = await signedInOr(request, reply);
    if (!signedIn) return;
    const found = reportOfSchool(signedIn.person, request.params.slug, Number(request.params.urn));
    if (!found)
      return send(
        reply,
        problemPage(403, 'You cannot open this report', 'Your Nexus privileges or schools do not include it.', true),
      );
    return send(reply, reportPage(found.report, found.school));
  });

  app.get('/sign-in', async (_request, reply) => {
    const codeVerifier = client.randomPKCECodeVerifier();
    const pending = { state: client.randomState(), nonce: client.randomNonce(), codeVerifier };
    const session = sessions.create();
    session.pending = pending;
    const url = client.buildAuthorizationUrl(await nexus(), {
      redirect_uri: redirectUri,
      scope: SCOPE,
      code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: 'S256',
      state: pending.state,
      nonce: pending.nonce,
    });
    return reply
      .setCookie(COOKIE, session.id, {
        signed: true,
        httpOnly: true,
        // Lax: sent on the redirect back from Nexus, never on another site's form posts (so the
        // sign-out form needs no CSRF token).
        sameSite: 'lax',
        secure: options.appUrl.protocol === 'https:',
        path: '/',
      })
      .redirect(url.href, 303);
  });

  app.get('/callback', async (request, reply) => {
    const session = sessionOf(request);
    const pending = typeof session === 'object' ? session.pending : undefined;
    if (typeof session !== 'object' || !pending)
      return send(reply, problemPage(400, 'Sign-in did not complete', 'This sign-in has expired. Sign in again.'));
    session.pending = undefined;
    let tokens: Awaited<ReturnType<typeof client.authorizationCodeGrant>>;
    try {
      tokens = await client.authorizationCodeGrant(await nexus(), new URL(request.url, options.appUrl), {
        pkceCodeVerifier: pending.codeVerifier,
        expectedState: pending.state,
        expectedNonce: pending.nonce,
        idTokenExpected: true,
      });
    } catch (error) {
      // A refused sign-in (the person cancelled, the code was used, the state does not match).
      const refused =
        error instanceof client.AuthorizationResponseError ||
        error instanceof client.ResponseBodyError ||
        error instanceof client.ClientError;
      if (!refused) throw error;
      sessions.end(session.id);
      request.log.warn({ err: error }, 'sign-in refused');
      return send(
        reply,
        problemPage(400, 'Sign-in did not complete', 'Nexus Accounts did not sign you in. Sign in again.'),
      );
    }
    session.signedIn = await signedInFrom(tokens);
    return reply.redirect('/', 303);
  });

  /** Ends the app's session, then asks Nexus to end its own (RP-initiated logout). */
  app.post('/sign-out', async (request, reply) => {
    const session = sessionOf(request);
    const wasSignedIn = typeof session === 'object' && session.signedIn !== undefined;
    if (typeof session === 'object') sessions.end(session.id);
    reply.clearCookie(COOKIE, { path: '/' });
    if (!wasSignedIn) return send(reply, signedOutPage());
    // client_id rather than id_token_hint: the ID token holds the person's claims, which do not
    // belong in a URL (browser history, logs); Nexus asks the person to confirm either way.
    const url = client.buildEndSessionUrl(await nexus(), { client_id: options.clientId });
    return reply.redirect(url.href, 303);
  });

  /** Nexus says a session has ended (archived, deleted, signed out there): end the app's sessions of it. */
  app.post<{ Body: { logout_token?: unknown } }>('/backchannel-logout', async (request, reply) => {
    reply.header('cache-control', 'no-store');
    const token = request.body?.logout_token;
    if (typeof token !== 'string')
      return reply.code(400).send({ error: 'invalid_request', error_description: 'logout_token is required' });
    try {
      const target = await verifyLogoutToken(token, {
        keys: await providerKeys(),
        issuer: (await nexus()).serverMetadata().issuer,
        audience: options.clientId,
        now: new Date(),
      });
      const ended = sessions.endFor(target);
      request.log.info({ ended }, 'back-channel logout');
      return reply.code(200).send();
    } catch (error) {
      if (!(error instanceof InvalidLogoutToken)) throw error;
      return reply.code(400).send({ error: 'invalid_request', error_description: error.message });
    }
  });

  app.setNotFoundHandler((_request, reply) =>
    send(reply, problemPage(404, 'Page not found', 'If you typed the web address, check it is correct.')),
  );
  app.setErrorHandler((error, request, reply) => {
    request.log.error({ err: error }, 'request failed');
    return send(
      reply,
      problemPage(500, 'Sorry, there is a problem', 'Nexus Accounts may be unreachable. Try again in a few minutes.'),
    );
  });

  return { app, sessions };
}
