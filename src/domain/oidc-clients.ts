import type { FieldErrors } from './errors.ts';

/**
 * Applications that sign people in through Nexus (R61, issue 16 item 5): what a registration must
 * say. Redirect URIs are compared exactly, so each is refused unless it is already written the
 * way a browser and the provider write it (the person is told that form).
 */

export const MAX_REDIRECT_URIS = 10;
const MAX_URI_LENGTH = 500;

export interface ApplicationInput {
  readonly name: string;
  readonly redirectUris: readonly string[];
  readonly backchannelLogoutUri: string | undefined;
  /** How it proves who it is at the token endpoint: a secret Nexus makes, or a JWT signed with its own keys. */
  readonly credential: ApplicationCredential;
}

export type ApplicationCredential =
  | { readonly kind: 'secret' }
  | { readonly kind: 'jwks-uri'; readonly jwksUri: string }
  | { readonly kind: 'jwks'; readonly jwks: { readonly keys: readonly Record<string, unknown>[] } };

const MAX_KEYS = 10;
/** JWK members that only a private (or symmetric) key has: never accepted, the provider needs public keys only. */
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];

/** A key set given as JSON (`clients add --jwks-file`): its public signing keys, or why not. */
export function publicKeySet(raw: string): { jwks?: { keys: Record<string, unknown>[] }; problem?: string } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return { problem: 'The key set must be JSON: {"keys": [...]}' };
  }
  const keys = (parsed as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(keys) || keys.length === 0 || keys.length > MAX_KEYS)
    return { problem: `The key set must have between 1 and ${MAX_KEYS} keys in "keys"` };
  for (const key of keys as unknown[]) {
    if (typeof key !== 'object' || key === null || Array.isArray(key))
      return { problem: 'Every key must be a JWK object' };
    const jwk = key as Record<string, unknown>;
    if (!['EC', 'RSA', 'OKP'].includes(jwk.kty as string))
      return { problem: 'Every key must be a public EC, RSA or OKP key (kty)' };
    if (PRIVATE_MEMBERS.some((member) => member in jwk))
      return { problem: 'The key set must hold public keys only: give the application’s private key to nobody' };
    if (jwk.use !== undefined && jwk.use !== 'sig') return { problem: 'Every key must be for signing (use "sig")' };
  }
  return { jwks: { keys: keys as Record<string, unknown>[] } };
}

/** Plain http only on this machine (an application being developed next to Nexus). */
function isLocalHost(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '127.0.0.1' || hostname === '[::1]';
}

/** Why an address cannot be an application's address, or undefined when it can. */
export function applicationUriProblem(raw: string, what: string): string | undefined {
  if (raw.length > MAX_URI_LENGTH) return `The ${what} must be ${MAX_URI_LENGTH} characters or fewer`;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return `The ${what} must be a full web address, like https://reports.example.gov.uk/callback`;
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLocalHost(url.hostname)))
    return `The ${what} must start with https:// (http:// only for localhost)`;
  if (url.username || url.password) return `The ${what} must not contain a user name or password`;
  if (url.hash || raw.includes('#')) return `The ${what} must not contain a # part`;
  if (url.href !== raw) return `The ${what} must be written exactly as ${url.href}`;
  return undefined;
}

const text = (value: unknown): string => (typeof value === 'string' ? value.trim() : '');
const texts = (value: unknown): string[] => (Array.isArray(value) ? value : [value]).map(text).filter((v) => v !== '');

/** The registration form or command, checked: every problem by field. */
export function validateApplication(input: {
  name?: unknown;
  redirectUris?: unknown;
  backchannelLogoutUri?: unknown;
  /** For `private_key_jwt` (the command line): the application's key set address, or the key set as JSON. */
  jwksUri?: unknown;
  jwks?: unknown;
}): { value?: ApplicationInput; errors: FieldErrors } {
  const errors: Record<string, string> = {};
  const name = text(input.name);
  if (!name) errors.name = 'Enter the name of the application';
  else if (name.length > 100) errors.name = 'The name must be 100 characters or fewer';

  const redirectUris = [...new Set(texts(input.redirectUris))];
  if (redirectUris.length === 0) errors.redirectUris = 'Enter the address Nexus sends people back to after sign-in';
  else if (redirectUris.length > MAX_REDIRECT_URIS)
    errors.redirectUris = `Enter at most ${MAX_REDIRECT_URIS} return addresses`;
  else {
    const problem = redirectUris.map((u) => applicationUriProblem(u, 'return address')).find(Boolean);
    if (problem) errors.redirectUris = problem;
  }

  const backchannel = text(input.backchannelLogoutUri) || undefined;
  const backchannelProblem = backchannel && applicationUriProblem(backchannel, 'sign-out address');
  if (backchannelProblem) errors.backchannelLogoutUri = backchannelProblem;

  const jwksUri = text(input.jwksUri) || undefined;
  const jwksText = text(input.jwks) || undefined;
  let credential: ApplicationCredential = { kind: 'secret' };
  if (jwksUri && jwksText) errors.jwks = 'Give the key set or its address, not both';
  else if (jwksUri) {
    const problem = applicationUriProblem(jwksUri, 'key set address');
    if (problem) errors.jwksUri = problem;
    else credential = { kind: 'jwks-uri', jwksUri };
  } else if (jwksText) {
    const { jwks, problem } = publicKeySet(jwksText);
    if (problem) errors.jwks = problem;
    else credential = { kind: 'jwks', jwks: jwks! };
  }

  if (Object.keys(errors).length > 0) return { errors };
  return { value: { name, redirectUris, backchannelLogoutUri: backchannel, credential }, errors: {} };
}

/** A readable, unguessable-enough client id: the name's letters and a random tail. */
export function clientIdFor(name: string, randomTail: string): string {
  const slug = name
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 40)
    .replace(/-+$/, '');
  return slug ? `${slug}-${randomTail}` : randomTail;
}
