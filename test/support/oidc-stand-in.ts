import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import Provider from 'oidc-provider';

/**
 * An LA's identity provider for tests (R64): panva's oidc-provider, OpenID-certified, started
 * in-process on a random port of 127.0.0.1 — a stand-in for an LA's Microsoft Entra ID. Its own
 * signing key (RS256) and cookie keys, so it prints no development-key warnings.
 */
export interface StandIn {
  /** http://127.0.0.1:<port>, as the provider names itself. */
  readonly issuer: string;
  readonly port: number;
  readonly clientId: string;
  readonly clientSecret: string;
  close(): Promise<void>;
}

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return (server.address() as { port: number }).port;
}

async function close(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
}

export async function startOidcStandIn(
  options: { clientId?: string; clientSecret?: string; redirectUri?: string } = {},
): Promise<StandIn> {
  const server = createServer();
  const port = await listen(server);
  const issuer = `http://127.0.0.1:${port}`;
  const clientId = options.clientId ?? 'nexus-accounts';
  const clientSecret = options.clientSecret ?? randomBytes(24).toString('base64url');
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: clientId,
        client_secret: clientSecret,
        redirect_uris: [options.redirectUri ?? 'http://localhost:3000/sign-in/la/callback'],
        response_types: ['code'],
        grant_types: ['authorization_code', 'refresh_token'],
      },
    ],
    jwks: { keys: [{ ...privateKey.export({ format: 'jwk' }), kid: 'stand-in', use: 'sig', alg: 'RS256' }] },
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['preferred_username', 'name'] },
    findAccount: (_ctx, sub) => ({ accountId: sub, claims: () => ({ sub }) }),
  });
  const handle = provider.callback();
  server.on('request', (request: IncomingMessage, response: ServerResponse) => void handle(request, response));
  return { issuer, port, clientId, clientSecret, close: () => close(server) };
}

/**
 * A web server that answers as the test says: for providers that get something wrong (no S256, a
 * broken key set), which a certified provider will not do.
 */
export async function startFakeProvider(
  answer: (request: IncomingMessage, response: ServerResponse, origin: string) => void,
): Promise<{ origin: string; port: number; close(): Promise<void> }> {
  let origin = '';
  const server = createServer((request, response) => answer(request, response, origin));
  const port = await listen(server);
  origin = `http://127.0.0.1:${port}`;
  return { origin, port, close: () => close(server) };
}

/** Discovery metadata as a certified provider publishes it, for a fake one to change. */
export function discoveryDocument(origin: string, changes: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    issuer: origin,
    authorization_endpoint: `${origin}/auth`,
    token_endpoint: `${origin}/token`,
    jwks_uri: `${origin}/jwks`,
    response_types_supported: ['code'],
    grant_types_supported: ['authorization_code'],
    code_challenge_methods_supported: ['S256'],
    subject_types_supported: ['public'],
    id_token_signing_alg_values_supported: ['RS256'],
    ...changes,
  };
}

export function sendJson(response: ServerResponse, body: unknown, status = 200): void {
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(JSON.stringify(body));
}

/** A port of 127.0.0.1 with nothing listening on it (just closed). */
export async function closedPort(): Promise<number> {
  const server = createServer();
  const port = await listen(server);
  await close(server);
  return port;
}
