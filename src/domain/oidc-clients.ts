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

  if (Object.keys(errors).length > 0) return { errors };
  return { value: { name, redirectUris, backchannelLogoutUri: backchannel }, errors: {} };
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
