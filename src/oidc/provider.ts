import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { FastifyBaseLogger } from 'fastify';
import Provider, { errors, interactionPolicy, type Configuration, type KoaContextWithOIDC } from 'oidc-provider';
import { sessionCookieName } from '../domain/session-cookie.ts';
import type { Services } from '../services/index.ts';
import { hashToken } from '../services/sign-in/secrets.ts';
import { NEXUS_CLAIMS } from '../services/oidc/oidc-account-service.ts';
import type { Principal } from '../services/sign-in/principal.ts';
import { demandsFreshSignIn, signInDemandOf } from '../domain/oidc-fresh-sign-in.ts';
import { withReturnTo } from '../domain/return-path.ts';
import { interactionPath, OIDC_PATH } from '../domain/interaction-path.ts';
import { providerPages } from './pages.ts';

type JwkKeys = NonNullable<Configuration['jwks']>['keys'];

/** What the Fastify route tells the provider about the request. */
export interface NexusRequest extends IncomingMessage {
  /** The account of the Nexus session, if the person is signed in. */
  nexusAccountId?: string;
  /** The Nexus session's person as this request read them, so that the provider need not read them again. */
  nexusSignedIn?: Principal;
  /** Whether this request has itself just signed in `nexusAccountId` (its sign-in found the account active). */
  nexusSignedInHere?: boolean;
  /** The page's CSP nonce, for the layout's one inline script. */
  cspNonce?: string;
  /** The request's logger (Fastify's), for what the provider's own events have to report. */
  log?: FastifyBaseLogger;
  /** The path as the server received it, before the mount point was taken off (the library reads it). */
  originalUrl?: string;
}

/** The provider's cookie keys, derived from SECRET_KEY as every other secret of the service is. */
function cookieKeys(secretKey: string): string[] {
  return [createHmac('sha256', secretKey).update('nexus-accounts oidc-cookies v1').digest('base64url')];
}

/**
 * The provider signs in only whom the Nexus session has signed in: a provider session whose
 * account is not the Nexus session's (signed out since, or another person at the same browser)
 * sends the person to sign in again.
 */
function interactionPolicyWithNexusSession() {
  const policy = interactionPolicy.base();
  policy
    .get('login')!
    .checks.add(
      new interactionPolicy.Check(
        'nexus_session',
        'The person is not signed in to Nexus Accounts as this session',
        'login_required',
        (ctx) =>
          ctx.oidc.session?.accountId !== (ctx.req as NexusRequest).nexusAccountId
            ? interactionPolicy.Check.REQUEST_PROMPT
            : interactionPolicy.Check.NO_NEED_TO_PROMPT,
      ),
    );
  // First-party applications only, so there is no consent screen to show: without this prompt an
  // application's prompt=consent is refused as unsupported instead of sending the browser round
  // between the provider and the interaction for ever (found by review).
  policy.remove('consent');
  return policy;
}

/**
 * Every application is the platform's own (registered by central support), so there is no consent
 * screen: the grant holds whatever scopes and claims the application asks for.
 */
async function firstPartyGrant(ctx: KoaContextWithOIDC) {
  const { oidc } = ctx;
  const accountId = oidc.session?.accountId;
  if (!oidc.session || !accountId || !oidc.client) return undefined;
  const existingId = oidc.result?.consent?.grantId ?? oidc.session.grantIdFor(oidc.client.clientId);
  const found = existingId ? await oidc.provider.Grant.find(existingId) : undefined;
  const grant =
    found?.accountId === accountId ? found : new oidc.provider.Grant({ accountId, clientId: oidc.client.clientId });
  grant.addOIDCScope(oidc.requestParamScopes);
  grant.addOIDCClaims(oidc.requestParamClaims);
  await grant.save();
  return grant;
}

/**
 * The provider's configuration (R61–R63): the code flow only, with PKCE S256 (the library's only
 * method) always required; refresh tokens always issued and rotated on every use (a reused one
 * revokes its grant); short access tokens; userinfo, RP-initiated and back-channel logout.
 */
export function providerConfiguration(services: Services, keys: JwkKeys): Configuration {
  const { config } = services;
  const pages = providerPages(config);
  return {
    adapter: services.oidcState.adapter,
    clients: [],
    jwks: { keys },
    cookies: {
      keys: cookieKeys(config.secretKey),
      long: { signed: true, httpOnly: true, sameSite: 'lax' },
      short: { signed: true, httpOnly: true, sameSite: 'lax' },
    },
    findAccount: (ctx, sub) => {
      const req = ctx.req as NexusRequest;
      return services.oidcAccounts.find(sub, {
        signedIn: req.nexusSignedIn,
        signedInHere: req.nexusSignedInHere ? req.nexusAccountId : undefined,
        readWithToken: services.oidcState.personReadWithToken(req, sub),
      });
    },
    claims: {
      openid: ['sub'],
      profile: ['name', 'preferred_username'],
      email: ['email'],
      nexus: [...NEXUS_CLAIMS],
    },
    scopes: ['openid', 'offline_access', 'profile', 'email', 'nexus'],
    // Applications get the current claims in every ID token, a refreshed one included.
    conformIdTokenClaims: false,
    responseTypes: ['code'],
    pkce: { required: () => true },
    // A secret, or a JWT signed with the application's own keys (registered with `clients add --jwks-uri|--jwks-file`).
    clientAuthMethods: ['client_secret_basic', 'client_secret_post', 'private_key_jwt'],
    enabledJWA: {
      idTokenSigningAlgValues: ['ES256'],
      userinfoSigningAlgValues: ['ES256'],
    },
    issueRefreshToken: (_ctx, client) => client.grantTypeAllowed('refresh_token'),
    rotateRefreshToken: true,
    ttl: {
      AccessToken: config.oidc.accessTokenMinutes * 60,
      AuthorizationCode: 60,
      IdToken: config.oidc.idTokenMinutes * 60,
      RefreshToken: config.oidc.refreshTokenHours * 3600,
      Grant: config.oidc.refreshTokenHours * 3600,
      Interaction: 30 * 60,
      Session: config.sessionAbsoluteHours * 3600,
    },
    allowOmittingSingleRegisteredRedirectUri: false,
    features: {
      devInteractions: { enabled: false },
      userinfo: { enabled: true },
      revocation: { enabled: true },
      backchannelLogout: { enabled: true },
      rpInitiatedLogout: {
        enabled: true,
        logoutSource: pages.logoutSource,
        postLogoutSuccessSource: pages.postLogoutSuccessSource,
      },
    },
    interactions: {
      url: (_ctx, interaction) => interactionPath(interaction.uid),
      policy: interactionPolicyWithNexusSession(),
    },
    loadExistingGrant: firstPartyGrant,
    renderError: pages.renderError,
    fetch: libraryFetch,
  };
}

/**
 * The library's outgoing requests. A back-channel logout goes to the sign-out address central support
 * registered, which may rightly be on the platform's own network or localhost: the library's guard
 * against requests to private addresses (its `dispatcher`) would refuse it, so it is dropped for those
 * POSTs alone. Every other request the library makes (an application's jwks_uri) keeps the guard.
 */
export function libraryFetch(url: string | URL | Request, options?: RequestInit): Promise<Response> {
  if (!options || !isLogoutPost(options)) return globalThis.fetch(url, options);
  const { dispatcher: _guard, ...rest } = options as RequestInit & { dispatcher?: unknown };
  return globalThis.fetch(url, rest);
}

/** The library's back-channel logout request (Client#backchannelLogout): a form POST of a logout token. */
function isLogoutPost(options: RequestInit): boolean {
  return options.method === 'POST' && options.body instanceof URLSearchParams && options.body.has('logout_token');
}

/** Builds a provider for these keys; the issuer is BASE_URL/oidc. */
export function buildProvider(services: Services, keys: JwkKeys): Provider {
  const provider = new Provider(`${services.config.baseUrl}${OIDC_PATH}`, providerConfiguration(services, keys));
  provider.proxy = services.config.trustProxy;
  // The library's extension point for stored secrets (Client#compareClientSecret): the registered
  // application's `client_secret` is the SHA-256 of its secret, so the presented one is hashed first.
  provider.Client.prototype.compareClientSecret = function compareClientSecret(actual: string) {
    const expected = Buffer.from(this.clientSecret ?? '', 'utf8');
    const presented = Buffer.from(hashToken(actual), 'utf8');
    return expected.length === presented.length && timingSafeEqual(expected, presented);
  };
  provider.use(signOutOfNexusToo(services));
  provider.use(straightToSignIn(services));
  // The adapter keeps a request's rows together and makes its writes together, before the answer
  // goes out (state-adapter.ts). A code or refresh token that another request used in the meantime
  // gets the library's answer to a reused one instead of the tokens, which were not stored.
  // The authorization endpoint uses an application as this process last read it: its writes are made
  // only if the application is still enabled, and otherwise it is refused as an unknown one would be.
  const pages = providerPages(services.config);
  provider.use((ctx, next) =>
    services.oidcState.inRequest(
      ctx.req,
      async () => {
        try {
          await next();
        } finally {
          if (!(await services.oidcState.finishRequest(ctx.req))) await refuse(ctx as KoaContextWithOIDC, pages);
        }
      },
      () => grantTokenOf(ctx as KoaContextWithOIDC),
      () => (ctx as KoaContextWithOIDC).oidc?.route === 'authorization',
    ),
  );
  // A logout the library sent itself (RP-initiated) and the application did not take is retried
  // through the logout outbox instead of being lost (found by review).
  provider.on(
    'backchannel.error',
    (ctx: KoaContextWithOIDC, _error: unknown, client: { clientId: string }, accountId: string, sid?: string) => {
      const sessionId = (ctx.oidc?.session as { jti?: string } | undefined)?.jti;
      if (!sessionId) return;
      services.oidcState
        .queueLogoutRetry({ sessionId, clientId: client.clientId, accountId, sid: sid ?? null })
        .catch((error: unknown) => {
          (ctx.req as NexusRequest).log?.error(
            { err: error },
            'A back-channel logout could not be queued for another attempt',
          );
        });
    },
  );
  return provider;
}

/**
 * The answer to a request whose writes were not made (finishRequest): at the token endpoint, a code or
 * refresh token another request used first; elsewhere (the authorization endpoint), an application
 * disabled since this process last read it, refused as the library refuses an unknown one.
 */
async function refuse(ctx: KoaContextWithOIDC, pages: ReturnType<typeof providerPages>) {
  ctx.set('cache-control', 'no-store');
  if (ctx.oidc?.route === 'token') {
    ctx.status = 400;
    ctx.body = { error: 'invalid_grant', error_description: 'grant request is invalid' };
    return;
  }
  ctx.remove('location');
  ctx.res.removeHeader('set-cookie');
  ctx.status = 400;
  const error = new errors.InvalidClient('client is invalid', 'client is disabled');
  await pages.renderError(ctx, { error: error.message, error_description: error.error_description }, error);
}

/** The code or refresh token a token request brings (read with its application by the adapter). */
function grantTokenOf(ctx: KoaContextWithOIDC): { model: string; id: string } | undefined {
  if (ctx.oidc?.route !== 'token') return undefined;
  const body = (ctx.oidc.body ?? {}) as Record<string, unknown>;
  if (body.grant_type === 'authorization_code' && typeof body.code === 'string')
    return { model: 'AuthorizationCode', id: body.code };
  if (body.grant_type === 'refresh_token' && typeof body.refresh_token === 'string')
    return { model: 'RefreshToken', id: body.refresh_token };
  return undefined;
}

/**
 * An application's RP-initiated logout, when the person answers "Yes, sign out", signs them out
 * of Nexus as well (and so of every other application, R63): otherwise the next sign-in anywhere
 * would go through at once on the Nexus session, at a shared computer too, while the page has just
 * told them they will need to sign in again. "No, stay signed in" ends only that application's session.
 */
function signOutOfNexusToo(services: Services): Parameters<Provider['use']>[0] {
  const cookie = sessionCookieName(services.config.secureCookies);
  return async (ctx, next) => {
    await next();
    const { oidc } = ctx as KoaContextWithOIDC;
    if (oidc?.route !== 'end_session_confirm' || !oidc.params?.logout || ctx.status !== 303) return;
    // Only the person who answered "Yes, sign out" for their own provider session. The library also
    // posts logout=yes by itself: for a browser with no provider session (so any site could link
    // there and sign the person out everywhere), and to end a previous person's provider session at
    // a shared computer, which must not sign out the person now signed in (found by review).
    const nexusAccountId = (ctx.req as NexusRequest).nexusAccountId;
    if (!oidc.session?.accountId || oidc.session.accountId !== nexusAccountId) return;
    const token = ctx.cookies.get(cookie, { signed: false });
    if (!token) return;
    await services.signIn.signOut(token, {
      ip: ctx.ip,
      userAgent: ctx.get('user-agent') || null,
      requestId: null,
    });
    // The cookie is left as it is: the session it names is gone, so it signs nobody in (and Koa
    // refuses to write a Secure cookie on a request it does not see as HTTPS, behind a proxy too).
  };
}

/**
 * A person who is not signed in to Nexus goes from the provider straight to the sign-in page, which
 * returns to the interaction when done: the interaction would only send them there (one redirect
 * fewer). The provider's interaction cookie is still set for the interaction's own address. Not when
 * the application asks for a fresh sign-in (prompt=login, max_age): the interaction notes that first.
 */
function straightToSignIn(services: Services): Parameters<Provider['use']>[0] {
  return async (ctx, next) => {
    await next();
    const interaction = (ctx as KoaContextWithOIDC).oidc?.entities.Interaction;
    if (ctx.status !== 303 || !interaction) return;
    // The sign-in pages ask for its return origin (their forms may lead there): known here already.
    services.applications.interactionStarted(interaction.uid, interaction);
    if ((ctx.req as NexusRequest).nexusAccountId !== undefined) return;
    const path = interactionPath(interaction.uid);
    if (ctx.response.get('location') !== path || demandsFreshSignIn(signInDemandOf(interaction.params))) return;
    ctx.redirect(withReturnTo('/sign-in', path));
  };
}
