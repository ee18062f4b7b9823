import * as oidc from 'openid-client';
import { isLoopbackHttp } from '../../domain/identity-providers.ts';
import { internalAddressProblem } from './public-address.ts';

/**
 * "Test the connection" (R64): what Nexus can check of an LA's provider before anyone signs in
 * through it. openid-client discovers the issuer (its /.well-known/openid-configuration) and checks
 * that the document names that same issuer; then the metadata must offer the authorization code
 * flow with PKCE S256, and the signing keys (jwks_uri) must be readable. The client secret is not
 * used: a provider only checks it at a token request, which needs a person signing in.
 *
 * Every failure is said in plain words for the administrator, with nothing from the provider's
 * answer but its status and the issuer it names, so a test cannot be used to read what an
 * address returns.
 */

export type ConnectionTest = { readonly ok: true } | { readonly ok: false; readonly problem: string };

export const CONNECTION_TIMEOUT_SECONDS = 10;
/** A key set is a few kilobytes; anything this big is not one. */
const JWKS_MAX_BYTES = 1_000_000;

const NETWORK_PROBLEMS: Record<string, string> = {
  ECONNREFUSED: 'the connection was refused (nothing is listening at that address)',
  ECONNRESET: 'the connection was closed before it answered',
  ENOTFOUND: 'there is no server with that name (check the address)',
  EAI_AGAIN: 'its name could not be looked up just now (try again in a few minutes)',
  EHOSTUNREACH: 'the server cannot be reached from Nexus',
  ENETUNREACH: 'the server cannot be reached from Nexus',
  ETIMEDOUT: 'it did not answer in time',
  UND_ERR_CONNECT_TIMEOUT: 'it did not answer in time',
  UND_ERR_HEADERS_TIMEOUT: 'it did not answer in time',
  CERT_HAS_EXPIRED: 'its HTTPS certificate has expired',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'its HTTPS certificate is self-signed, so it cannot be trusted',
  SELF_SIGNED_CERT_IN_CHAIN: 'its HTTPS certificate is not from a trusted authority',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'its HTTPS certificate could not be verified',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'its HTTPS certificate could not be verified',
  ERR_TLS_CERT_ALTNAME_INVALID: 'its HTTPS certificate is for a different address',
};

function causeCode(error: unknown): string | undefined {
  for (let e: unknown = error, depth = 0; e && typeof e === 'object' && depth < 5; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && code in NETWORK_PROBLEMS) return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

/** Why a request to the provider failed, in words: "Nexus could not reach … : the connection was refused". */
function reachProblem(error: unknown, what: string, address: string, timeoutSeconds: number): string {
  const code = causeCode(error);
  if (code) return `Nexus could not read ${what} at ${address}: ${NETWORK_PROBLEMS[code]}.`;
  if (error instanceof oidc.ClientError && error.code === 'OAUTH_TIMEOUT')
    return `Nexus could not read ${what} at ${address}: it did not answer within ${timeoutSeconds} seconds.`;
  if (error instanceof DOMException && error.name === 'TimeoutError')
    return `Nexus could not read ${what} at ${address}: it did not answer within ${timeoutSeconds} seconds.`;
  return `Nexus could not read ${what} at ${address}: the connection failed.`;
}

function discoveryProblem(error: unknown, issuer: string, timeoutSeconds: number): string {
  const document = 'the provider’s discovery document';
  const address = `${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`;
  if (error instanceof oidc.ClientError) {
    switch (error.code) {
      case 'OAUTH_JSON_ATTRIBUTE_COMPARISON_FAILED': {
        const body = (error.cause as { body?: { issuer?: unknown } } | undefined)?.body;
        const named = typeof body?.issuer === 'string' ? body.issuer.slice(0, 300) : undefined;
        return named
          ? `The provider at that address says its issuer is ${named}, not ${issuer}. Enter the issuer URL exactly as the provider gives it.`
          : `The provider at that address names a different issuer. Enter the issuer URL exactly as the provider gives it.`;
      }
      case 'OAUTH_RESPONSE_IS_NOT_CONFORM': {
        const status = (error.cause as { status?: unknown } | undefined)?.status;
        return `${capitalise(document)} at ${address} could not be read: the server answered with HTTP status ${typeof status === 'number' ? status : 'other than 200'}. Check the issuer URL.`;
      }
      case 'OAUTH_RESPONSE_IS_NOT_JSON':
      case 'OAUTH_PARSE_ERROR':
      case 'OAUTH_INVALID_RESPONSE':
        return `The address ${address} did not return an OpenID Connect discovery document. Check the issuer URL.`;
      case 'OAUTH_HTTP_REQUEST_FORBIDDEN':
      case 'OAUTH_REQUEST_PROTOCOL_FORBIDDEN':
        return 'The issuer URL must start with https://.';
    }
  }
  return reachProblem(error, document, address, timeoutSeconds);
}

const capitalise = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);

/** The checks of the discovered metadata, in the order a person would fix them. */
function metadataProblem(metadata: oidc.ServerMetadata & oidc.ServerMetadataHelpers): string | undefined {
  // Entra ID's multi-tenant endpoints publish an issuer template ({tenantid}) that any tenant's
  // tokens match; the page refuses their usual addresses, and this catches any other spelling.
  if (metadata.issuer.includes('{'))
    return 'The provider’s issuer is a template for many tenants, not one tenant’s issuer. Use your tenant’s own issuer URL.';
  if (!metadata.authorization_endpoint || !metadata.token_endpoint)
    return 'The provider does not publish an authorization endpoint and a token endpoint, which sign-in needs.';
  const responseTypes = metadata.response_types_supported ?? [];
  const grants = metadata.grant_types_supported ?? ['authorization_code'];
  if (!responseTypes.includes('code') || !grants.includes('authorization_code'))
    return 'The provider does not offer the authorization code flow, which Nexus uses to sign people in.';
  if (!metadata.supportsPKCE('S256'))
    return 'The provider does not say that it supports PKCE with S256 (code_challenge_methods_supported), which Nexus requires.';
  if (!metadata.jwks_uri)
    return 'The provider does not publish its signing keys (jwks_uri), which Nexus needs to check who signed in.';
  return undefined;
}

async function jwksProblem(
  jwksUri: string,
  allowLoopbackHttp: boolean,
  timeoutSeconds: number,
): Promise<string | undefined> {
  const what = 'the provider’s signing keys';
  let url: URL;
  try {
    url = new URL(jwksUri);
  } catch {
    return 'The provider’s signing keys (jwks_uri) are not at a web address.';
  }
  if (url.protocol !== 'https:' && !(allowLoopbackHttp && isLoopbackHttp(url)))
    return 'The provider’s signing keys (jwks_uri) are not on an https:// address.';
  const internal = await internalAddressProblem(url, allowLoopbackHttp);
  if (internal) return internal;
  let response: Response;
  try {
    response = await fetch(url, {
      headers: { accept: 'application/json, application/jwk-set+json' },
      redirect: 'manual',
      signal: AbortSignal.timeout(timeoutSeconds * 1000),
    });
  } catch (error) {
    return reachProblem(error, what, url.href, timeoutSeconds);
  }
  if (response.status !== 200) {
    await response.body?.cancel();
    return `Nexus could not read ${what} at ${url.href}: the server answered with HTTP status ${response.status}.`;
  }
  let keys: unknown;
  try {
    const text = await response.text();
    if (text.length > JWKS_MAX_BYTES) throw new Error('too large');
    keys = (JSON.parse(text) as { keys?: unknown }).keys;
  } catch (error) {
    if (error instanceof DOMException && error.name === 'TimeoutError')
      return reachProblem(error, what, url.href, timeoutSeconds);
    return `The address ${url.href} did not return a key set (JWKS).`;
  }
  const signing = Array.isArray(keys)
    ? keys.filter(
        (k: unknown) =>
          k !== null &&
          typeof k === 'object' &&
          typeof (k as { kty?: unknown }).kty === 'string' &&
          ((k as { use?: unknown }).use === undefined || (k as { use?: unknown }).use === 'sig'),
      )
    : [];
  if (signing.length === 0) return `The provider’s key set at ${url.href} holds no signing keys.`;
  return undefined;
}

/** Tests an issuer as an LA's provider; never throws for anything the provider does. */
export async function testProviderConnection(
  settings: { issuer: string; clientId: string },
  options: { allowLoopbackHttp: boolean; timeoutSeconds?: number },
): Promise<ConnectionTest> {
  const timeoutSeconds = options.timeoutSeconds ?? CONNECTION_TIMEOUT_SECONDS;
  let server: URL;
  try {
    server = new URL(settings.issuer);
  } catch {
    return { ok: false, problem: 'The issuer URL is not a web address.' };
  }
  const insecure = options.allowLoopbackHttp && isLoopbackHttp(server);
  // Plain http is refused below with its own words; an address that would be fetched is checked first.
  const internal =
    server.protocol === 'https:' || insecure
      ? await internalAddressProblem(server, options.allowLoopbackHttp)
      : undefined;
  if (internal) return { ok: false, problem: internal };
  let configuration: oidc.Configuration;
  try {
    configuration = await oidc.discovery(server, settings.clientId, undefined, oidc.None(), {
      timeout: timeoutSeconds,
      ...(insecure ? { execute: [oidc.allowInsecureRequests] } : {}),
    });
  } catch (error) {
    return { ok: false, problem: discoveryProblem(error, settings.issuer, timeoutSeconds) };
  }
  const metadata = configuration.serverMetadata();
  const problem =
    metadataProblem(metadata) ?? (await jwksProblem(metadata.jwks_uri!, options.allowLoopbackHttp, timeoutSeconds));
  return problem ? { ok: false, problem } : { ok: true };
}
