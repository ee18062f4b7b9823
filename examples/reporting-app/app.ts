import cookie from '@fastify/cookie';
import formbody from '@fastify/formbody';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { createRemoteJWKSet, customFetch } from 'jose';
import * as client from 'openid-client';
import { InvalidLogoutToken, SeenLogoutTokens, verifyLogoutToken } from './backchannel-logout.ts';
import { problemPage, renderPage, reportPage, reportsPage, signedOutPage, startPage, type Page } from './pages.ts';
import { personFromClaims } from './person.ts';
import { reportOfSchool } from './reports.ts';
import { SessionStore, type Session, type SignedIn } from './sessions.ts';
import { logSerializers, securityHeaders } from './web-safety.ts';
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
  /** How the app reaches Nexus: the global fetch when absent (a test answers in its own process). */
  readonly fetch?: client.CustomFetch;
  /** Where the log goes when `logger` is on: standard output when absent (a test reads it). */
  readonly logStream?: { write(line: string): void };
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
  const seenLogoutTokens = new SeenLogoutTokens();
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
        {
          ...(options.issuer.protocol === 'http:' ? { execute: [client.allowInsecureRequests] } : {}),
          ...(options.fetch ? { [client.customFetch]: options.fetch } : {}),
        },
      )
      .catch((error: unknown) => {
        discovered = undefined;
        throw error;
      }));
  const fetch = options.fetch;
  let keys: ReturnType<typeof createRemoteJWKSet> | undefined;
  const providerKeys = async () =>
    (keys ??= createRemoteJWKSet(
      new URL((await nexus()).serverMetadata().jwks_uri!),
      fetch
        ? {
            [customFetch]: (url, init) =>
              fetch(url, { ...init, headers: Object.fromEntries(init.headers), body: undefined }),
          }
        : {},
    ));

  const app = Fastify({
    logger: options.logger
      ? { serializers: logSerializers, ...(options.logStream ? { stream: options.logStream } : {}) }
      : false,
  });
  const headers = securityHeaders(options.issuer);
  app.addHook('onRequest', async (_request, reply) => {
    reply.headers(headers);
  });
  await app.register(cookie, { secret: options.cookieSecret ?? client.randomState() });
  await app.register(formbody);

  const send = (reply: FastifyReply, page: Page) =>
    reply.code(page.status).type('text/html; charset=utf-8').send(renderPage(page));

  /** The id the session cookie carries, when it is one this app signed. */
  function cookieId(request: FastifyRequest): string | undefined {
    const raw = request.cookies[COOKIE];
    const unsigned = raw ? request.unsignCookie(raw) : undefined;
    return unsigned?.valid && unsigned.value ? unsigned.value : undefined;
  }

  /**
   * The signed-in session the cookie names: 'none' without a cookie (or with that of a sign-in
   * still under way), 'ended' when it names no live session.
   */
  function sessionOf(request: FastifyRequest): Session | 'none' | 'ended' {
    if (!request.cookies[COOKIE]) return 'none';
    const id = cookieId(request);
    if (id && sessions.isPending(id, now())) return 'none';
    return (id && sessions.get(id, now())) || 'ended';
  }

  const setSessionCookie = (reply: FastifyReply, id: string) =>
    reply.setCookie(COOKIE, id, {
      signed: true,
      httpOnly: true,
      // Lax: sent on the redirect back from Nexus, never on another site's form posts (so the
      // sign-out form needs no CSRF token).
      sameSite: 'lax',
      secure: options.appUrl.protocol === 'https:',
      path: '/',
    });

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
    if (now() < signedIn.expiresAt - REFRESH_MARGIN_MS) return signedIn;
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
      await send(reply, signedOutPage());
    }
    return signedIn;
  }

  // The one response that is the same for everyone, so it may be cached.
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

  app.get('/sign-in', async (request, reply) => {
    const codeVerifier = client.randomPKCECodeVerifier();
    const pending = { state: client.randomState(), nonce: client.randomNonce(), codeVerifier };
    // The cookie is replaced below, so whatever session it named could never be reached again.
    const previous = cookieId(request);
    if (previous) sessions.end(previous);
    const id = sessions.startSignIn(pending, now());
    const url = client.buildAuthorizationUrl(await nexus(), {
      redirect_uri: redirectUri,
      scope: SCOPE,
      code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: 'S256',
      state: pending.state,
      nonce: pending.nonce,
    });
    return setSessionCookie(reply, id).redirect(url.href, 303);
  });

  app.get('/callback', async (request, reply) => {
    // Taken out at once: a callback runs once, and the pre-sign-in session ends whatever happens.
    const id = cookieId(request);
    const pending = id ? sessions.takePending(id, now()) : undefined;
    if (!pending)
      return send(reply, problemPage(400, 'Sign-in did not complete', 'This sign-in has expired. Sign in again.'));
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
      // The reason only: the error's details can hold the callback's parameters (the code).
      request.log.warn({ reason: error instanceof client.ClientError ? error.code : error.error }, 'sign-in refused');
      return send(
        reply,
        problemPage(400, 'Sign-in did not complete', 'Nexus Accounts did not sign you in. Sign in again.'),
      );
    }
    // A new session id for the signed-in person (never the one the browser held before: session fixation).
    const session = sessions.signIn(await signedInFrom(tokens), now());
    return setSessionCookie(reply, session.id).redirect('/', 303);
  });

  /** Ends the app's session, then asks Nexus to end its own (RP-initiated logout). */
  app.post('/sign-out', async (request, reply) => {
    const session = sessionOf(request);
    const wasSignedIn = typeof session === 'object';
    const id = cookieId(request);
    if (id) sessions.end(id);
    reply.clearCookie(COOKIE, { path: '/' });
    if (!wasSignedIn) return send(reply, signedOutPage());
    // client_id rather than id_token_hint: the ID token holds the person's claims, which do not
    // belong in a URL (browser history, logs); Nexus asks the person to confirm either way.
    const url = client.buildEndSessionUrl(await nexus(), { client_id: options.clientId });
    return reply.redirect(url.href, 303);
  });

  /** Nexus says a session has ended (archived, deleted, signed out there): end the app's sessions of it. */
  app.post<{ Body: { logout_token?: unknown } }>('/backchannel-logout', async (request, reply) => {
    const token = request.body?.logout_token;
    if (typeof token !== 'string')
      return reply.code(400).send({ error: 'invalid_request', error_description: 'logout_token is required' });
    try {
      const at = new Date();
      const target = await verifyLogoutToken(token, {
        keys: await providerKeys(),
        issuer: (await nexus()).serverMetadata().issuer,
        audience: options.clientId,
        now: at,
      });
      if (!seenLogoutTokens.firstTime(target, at))
        return reply
          .code(400)
          .send({ error: 'invalid_request', error_description: 'This logout token was already used' });
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
