import { createSign, generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import Provider, { type KoaContextWithOIDC } from 'oidc-provider';

/**
 * An LA's own identity provider with its own people, for the LA-account sign-in (R64): panva's
 * oidc-provider started on 127.0.0.1 as a stand-in for the LA's Entra ID, with a sign-in page of
 * its own (username and password, as Entra's) and claims as Entra puts them in the ID token
 * (preferred_username as the UPN, email, oid). A person may be disabled (refused at the page,
 * and their refresh tokens refused), sign in with or without multi-factor authentication (amr),
 * and the test may rewrite the next ID token (another audience or issuer, expired, no nonce),
 * re-signed with the provider's own key, so that only the relying party's checks can catch it.
 * It remembers what it was asked (each authorization request's parameters) and who typed their
 * password at its page, so a test can tell a fresh sign-in from one answered by its own session.
 */

export interface LaPerson {
  sub: string;
  password: string;
  preferred_username?: string;
  email?: string;
  /** Sent only when set: Entra ID sends no email_verified; other providers do. */
  email_verified?: boolean;
  oid?: string;
  name?: string;
  disabled?: boolean;
  /** amr of the sign-in: ['pwd'] by default; ['pwd', 'mfa'] for multi-factor. */
  amr?: string[];
  acr?: string;
}

export interface LaProvider {
  readonly issuer: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly people: Map<string, LaPerson>;
  /** The parameters of each authorization request the provider was sent, oldest first. */
  readonly authorizationRequests: URLSearchParams[];
  /** The sub of each person who entered their password at the provider's page, oldest first. */
  readonly passwordsEntered: string[];
  /** Rewrites the ID token of the next token response (then stops). */
  tamperNextIdToken(change: (payload: Record<string, unknown>) => Record<string, unknown>): void;
  /** Stops answering (an outage) or answers again. */
  setDown(down: boolean): void;
  close(): Promise<void>;
}

const escapeHtml = (text: string) =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

async function readForm(request: IncomingMessage): Promise<URLSearchParams> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return new URLSearchParams(Buffer.concat(chunks).toString());
}

function signJwt(payload: Record<string, unknown>, key: KeyObject, kid: string): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const input = `${part({ alg: 'RS256', typ: 'JWT', kid })}.${part(payload)}`;
  const signature = createSign('RSA-SHA256').update(input).sign(key).toString('base64url');
  return `${input}.${signature}`;
}

function loginPage(uid: string, error?: string): string {
  return `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><link rel="icon" href="data:,"><title>Sign in to your organisation</title></head>
<body><main><h1>Sign in to your organisation</h1>
${error ? `<p role="alert">${escapeHtml(error)}</p>` : ''}
<form method="post" action="/interaction/${escapeHtml(uid)}/login">
<label for="login">Email or user name</label><input id="login" name="login" autocomplete="username">
<label for="password">Password</label><input id="password" name="password" type="password" autocomplete="current-password">
<button type="submit">Sign in</button></form></main></body></html>`;
}

export async function startLaProvider(options: { redirectUri: string; people?: LaPerson[] }): Promise<LaProvider> {
  const server: Server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as { port: number }).port;
  const issuer = `http://127.0.0.1:${port}`;
  const clientId = 'nexus-accounts';
  const clientSecret = randomBytes(24).toString('base64url');
  const people = new Map((options.people ?? []).map((p) => [p.sub, p]));
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const kid = 'la-provider';
  let tamper: ((payload: Record<string, unknown>) => Record<string, unknown>) | undefined;
  let down = false;
  const authorizationRequests: URLSearchParams[] = [];
  const passwordsEntered: string[] = [];

  const byLogin = (login: string) =>
    [...people.values()].find(
      (p) =>
        p.preferred_username?.toLowerCase() === login.toLowerCase() || p.email?.toLowerCase() === login.toLowerCase(),
    );

  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: clientId,
        client_secret: clientSecret,
        redirect_uris: [options.redirectUri],
        response_types: ['code'],
        grant_types: ['authorization_code', 'refresh_token'],
      },
    ],
    jwks: { keys: [{ ...privateKey.export({ format: 'jwk' }), kid, use: 'sig', alg: 'RS256' }] },
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    // As Entra ID: the claims that identify a person are in the ID token itself.
    conformIdTokenClaims: false,
    claims: {
      sid: null,
      // As Entra ID: how the person signed in is always in the ID token, not only when asked for.
      openid: ['sub', 'oid', 'acr', 'amr', 'auth_time'],
      email: ['email', 'email_verified'],
      profile: ['preferred_username', 'name'],
    },
    features: { devInteractions: { enabled: false } },
    // As Entra ID with offline_access: a refresh token without a consent prompt.
    issueRefreshToken: (_ctx, client) => Promise.resolve(client.grantTypeAllowed('refresh_token')),
    // The LA's own application: consent is the LA's, given once for everyone.
    loadExistingGrant: async (ctx: KoaContextWithOIDC) => {
      const session = ctx.oidc.session!;
      const client = ctx.oidc.client!;
      const existing = session.grantIdFor(client.clientId);
      if (existing) return ctx.oidc.provider.Grant.find(existing);
      const grant = new ctx.oidc.provider.Grant({ clientId: client.clientId, accountId: session.accountId! });
      grant.addOIDCScope('openid profile email offline_access');
      await grant.save();
      session.grantIdFor(client.clientId, grant.jti);
      return grant;
    },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    // A disabled person's sessions and refresh tokens stop working: their account is not found.
    findAccount: (_ctx, sub) => {
      const person = people.get(sub);
      if (!person || person.disabled) return undefined;
      return {
        accountId: sub,
        claims: () => ({
          sub,
          ...(person.oid ? { oid: person.oid } : {}),
          ...(person.email ? { email: person.email } : {}),
          ...(person.email_verified !== undefined ? { email_verified: person.email_verified } : {}),
          ...(person.preferred_username ? { preferred_username: person.preferred_username } : {}),
          ...(person.name ? { name: person.name } : {}),
        }),
      };
    },
    ttl: {
      Session: 3600,
      Interaction: 600,
      Grant: 86400,
      RefreshToken: 86400,
      AccessToken: 600,
      IdToken: 600,
      AuthorizationCode: 60,
    },
  });

  async function interaction(request: IncomingMessage, response: ServerResponse): Promise<boolean> {
    const match = /^\/interaction\/([^/?]+)(\/login)?/.exec(request.url ?? '');
    if (!match) return false;
    const details = await provider.interactionDetails(request, response);
    if (request.method === 'GET') {
      response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      response.end(loginPage(details.uid));
      return true;
    }
    const form = await readForm(request);
    const person = byLogin(form.get('login') ?? '');
    if (!person || person.password !== form.get('password')) {
      response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      response.end(loginPage(details.uid, 'Your account or password is incorrect.'));
      return true;
    }
    if (person.disabled) {
      // Entra ID: "Your account has been locked" — and the application is told access_denied.
      await provider.interactionFinished(request, response, {
        error: 'access_denied',
        error_description: 'The user account is disabled.',
      });
      return true;
    }
    passwordsEntered.push(person.sub);
    await provider.interactionFinished(
      request,
      response,
      { login: { accountId: person.sub, amr: person.amr ?? ['pwd'], ...(person.acr ? { acr: person.acr } : {}) } },
      { mergeWithLastSubmission: false },
    );
    return true;
  }

  const handle = provider.callback();
  server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    if (down) {
      response.writeHead(503).end();
      return;
    }
    const url = new URL(request.url ?? '/', issuer);
    if (request.method === 'GET' && url.pathname === '/auth') authorizationRequests.push(url.searchParams);
    void (async () => {
      try {
        if (await interaction(request, response)) return;
      } catch {
        response.writeHead(400, { 'content-type': 'text/plain' }).end('This sign-in has expired.');
        return;
      }
      if (tamper && request.method === 'POST' && request.url?.startsWith('/token')) {
        const change = tamper;
        tamper = undefined;
        interceptIdToken(response, (idToken) => {
          const payload = JSON.parse(Buffer.from(idToken.split('.')[1]!, 'base64url').toString()) as Record<
            string,
            unknown
          >;
          return signJwt(change(payload), privateKey, kid);
        });
      }
      void handle(request, response);
    })();
  });

  return {
    issuer,
    clientId,
    clientSecret,
    people,
    authorizationRequests,
    passwordsEntered,
    tamperNextIdToken: (change) => {
      tamper = change;
    },
    setDown: (value) => {
      down = value;
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** Buffers a JSON response and rewrites its id_token before it is sent. */
function interceptIdToken(response: ServerResponse, rewrite: (idToken: string) => string): void {
  const chunks: Buffer[] = [];
  const originalEnd = response.end.bind(response);
  response.write = ((chunk: string | Buffer) => {
    chunks.push(Buffer.from(chunk));
    return true;
  }) as typeof response.write;
  response.end = ((chunk?: string | Buffer) => {
    if (chunk) chunks.push(Buffer.from(chunk));
    let body = Buffer.concat(chunks).toString();
    try {
      const json = JSON.parse(body) as Record<string, unknown>;
      if (typeof json.id_token === 'string') json.id_token = rewrite(json.id_token);
      body = JSON.stringify(json);
    } catch {
      // Not JSON: sent as it was.
    }
    if (!response.headersSent) response.setHeader('content-length', Buffer.byteLength(body));
    return originalEnd(body);
  }) as typeof response.end;
}

/**
 * A person at the provider's own pages, as a browser would be (cookies kept, redirects followed
 * one by one): from Nexus's redirect to the provider, through its sign-in page, to the address
 * the provider sends them back to (returned, not followed: that is Nexus's to answer).
 */
export class ProviderBrowser {
  private readonly cookies = new Map<string, string>();

  private async fetch(url: string, init: RequestInit = {}): Promise<Response> {
    const response = await fetch(url, {
      ...init,
      redirect: 'manual',
      headers: {
        ...(init.headers as Record<string, string>),
        cookie: [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; '),
      },
    });
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const at = pair!.indexOf('=');
      const name = pair!.slice(0, at);
      const value = pair!.slice(at + 1);
      if (value === '' || /expires=Thu, 01 Jan 1970/i.test(line)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return response;
  }

  /** Follows redirects within the provider; returns the first address outside it, or the page it stops on. */
  private async follow(
    response: Response,
    from: string,
    issuer: string,
  ): Promise<{ url?: string; page?: string; at: string }> {
    let current = response;
    let at = from;
    for (let i = 0; i < 10 && current.status >= 300 && current.status < 400; i++) {
      const next = new URL(current.headers.get('location')!, at).href;
      await current.body?.cancel();
      if (!next.startsWith(issuer)) return { url: next, at };
      at = next;
      current = await this.fetch(next);
    }
    return { page: await current.text(), at };
  }

  /** Signs in at the provider; returns where it sends the browser back to (Nexus's callback). */
  async signIn(authorizationUrl: string, issuer: string, login: string, password: string): Promise<string> {
    const first = await this.follow(await this.fetch(authorizationUrl), authorizationUrl, issuer);
    if (first.url) return first.url; // already signed in at the provider
    const action = /action="([^"]+)"/.exec(first.page ?? '')?.[1];
    if (!action) throw new Error(`The provider showed no sign-in form: ${first.page?.slice(0, 200)}`);
    const post = new URL(action, first.at).href;
    const answer = await this.fetch(post, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ login, password }).toString(),
    });
    const back = await this.follow(answer, post, issuer);
    if (!back.url) throw new Error(`The provider did not send the browser back: ${back.page?.slice(0, 300)}`);
    return back.url;
  }
}
