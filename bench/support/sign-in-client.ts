/**
 * The sign-ins of `npm run bench:sign-in` (and of bench/probes/oidc-sign-in-ab.ts) over real HTTP:
 * a plain one the way a browser without JavaScript does it, and a complete OpenID Connect one up to
 * the tokens; the enrolled accounts and the application they use.
 */
import { createHash, randomBytes } from 'node:crypto';
import { generateTotp } from '../../src/domain/totp.ts';
import { SYSTEM_CONTEXT } from '../../src/services/request-context.ts';
import { createAccount, TEST_PASSWORD } from '../../test/support/fixtures.ts';
import { HttpFormClient } from './http-form-client.ts';
import { benchOrganisation, withRuntime, type Target } from './service.ts';

export interface BenchAccount {
  username: string;
  totpSecret: string;
}

export async function createBenchAccounts(target: Target, count: number): Promise<BenchAccount[]> {
  const run = randomBytes(3).toString('hex');
  return withRuntime(target, {}, (runtime, config) =>
    runtime.handle.db.transaction().execute(async (trx) => {
      const organisationId = await benchOrganisation(trx, '999');
      const accounts: BenchAccount[] = [];
      for (let i = 0; i < count; i++) {
        const username = `bench.${run}.${String(i).padStart(4, '0')}`;
        const account = await createAccount(trx, config.secretKey, {
          organisationId,
          username,
          userType: 'la_officer',
        });
        accounts.push({ username, totpSecret: account.totpSecret! });
      }
      return accounts;
    }),
  );
}

export interface SignInTiming {
  passwordMs: number;
  totpMs: number;
  totalMs: number;
}

export function expect(
  condition: boolean,
  what: string,
  response: { status: number; location: string | null; body: string },
): void {
  if (!condition)
    throw new Error(
      `sign-in went wrong: ${what} (status ${response.status}, location ${response.location}):\n${response.body.slice(0, 600)}`,
    );
}

/**
 * Where the page's form with this field posts, as a browser without JavaScript sends it: the bench
 * follows the page rather than knowing the address.
 */
export function formActionOf(html: string, field: string): string | undefined {
  for (const form of html.matchAll(/<form\b[^>]*\baction="([^"]*)"[^>]*>([\s\S]*?)<\/form>/g))
    if (form[2]!.includes(`name="${field}"`)) return form[1]!.replace(/&amp;/g, '&');
  return undefined;
}

/** One complete sign-in the way a browser without JavaScript does it, with a fresh cookie jar. */
export const STEPS = ['GET /sign-in', 'POST /sign-in', 'GET /sign-in/two-factor', 'POST /sign-in/two-factor'] as const;
export type Step = (typeof STEPS)[number];

export async function signInOnce(
  baseUrl: string,
  account: BenchAccount,
  options: { checkHome?: boolean; afterStep?: (step: Step) => Promise<void> } = {},
): Promise<SignInTiming> {
  const client = new HttpFormClient(baseUrl);
  const after = options.afterStep ?? (async () => {});
  const t0 = performance.now();
  let page = await client.get('/sign-in');
  expect(page.status === 200 && client.csrf !== undefined, 'GET /sign-in', page);
  await after('GET /sign-in');
  const t1 = performance.now();
  page = await client.post('/sign-in', { username: account.username, password: TEST_PASSWORD });
  const t2 = performance.now();
  expect(page.status === 303 && page.location === '/sign-in/two-factor', 'POST /sign-in', page);
  await after('POST /sign-in');
  const halfSession = client.cookies.get('nexus_session');
  page = await client.get('/sign-in/two-factor');
  const action = formActionOf(page.body, 'code');
  expect(page.status === 200 && action === '/sign-in/two-factor', 'GET /sign-in/two-factor', page);
  await after('GET /sign-in/two-factor');
  const t3 = performance.now();
  page = await client.post(action!, { code: generateTotp(account.totpSecret, new Date()) });
  const t4 = performance.now();
  await after('POST /sign-in/two-factor');
  expect(page.status === 303 && page.location === '/', 'POST /sign-in/two-factor', page);
  expect(
    client.cookies.get('nexus_session') !== undefined && client.cookies.get('nexus_session') !== halfSession,
    'a new session id at sign-in',
    page,
  );
  if (options.checkHome) {
    const home = await client.get('/');
    expect(home.status === 200 && home.body.includes(account.username), 'GET / signed in', home);
  }
  return { passwordMs: t2 - t1, totpMs: t4 - t3, totalMs: t4 - t0 };
}

/** The application the OIDC sign-ins are for: registered as central support would, once per database. */
export interface BenchApplication {
  clientId: string;
  clientSecret: string;
}

export const BENCH_REDIRECT_URI = 'https://reports.bench.example/callback';

export async function registerApplication(target: Target): Promise<BenchApplication> {
  return withRuntime(target, {}, async (runtime) => {
    const { application, clientSecret } = await runtime.services.applications.register(
      { kind: 'system', label: 'bench' },
      { name: `Bench reports ${randomBytes(3).toString('hex')}`, redirectUris: [BENCH_REDIRECT_URI] },
      SYSTEM_CONTEXT,
    );
    return { clientId: application.clientId, clientSecret };
  });
}

/**
 * The two-factor page of a sign-in to an application posts its code below the provider's
 * interaction, whose answer is the application's redirect with the code (src/oidc/interaction.ts).
 */
export const OIDC_STEPS = [
  'GET /oidc/auth',
  'GET /sign-in',
  'POST /sign-in',
  'GET /sign-in/two-factor',
  'POST /oidc/auth/:uid/interaction/two-factor',
  'POST /oidc/token',
] as const;
export type OidcStep = (typeof OIDC_STEPS)[number];

/**
 * One complete OpenID Connect sign-in with a fresh cookie jar: what an application's user's browser
 * and the application's back end do, up to the tokens. Returns the whole time (ms).
 */
export async function oidcSignInOnce(
  baseUrl: string,
  app: BenchApplication,
  account: BenchAccount,
  options: { afterStep?: (step: OidcStep) => Promise<void> } = {},
): Promise<number> {
  const client = new HttpFormClient(baseUrl);
  const after = options.afterStep ?? (async () => {});
  const t0 = performance.now();
  const verifier = randomBytes(32).toString('base64url');
  const state = randomBytes(12).toString('base64url');
  const query = new URLSearchParams({
    client_id: app.clientId,
    redirect_uri: BENCH_REDIRECT_URI,
    response_type: 'code',
    scope: 'openid profile nexus',
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
    state,
    nonce: randomBytes(12).toString('base64url'),
  });
  let page = await client.get(`/oidc/auth?${query}`);
  // Nobody is signed in at this browser: the provider sends it straight to the sign-in page, which
  // returns to the interaction (src/oidc/provider.ts).
  expect(page.status === 303 && (page.location ?? '').startsWith('/sign-in?returnTo='), 'GET /oidc/auth', page);
  await after('GET /oidc/auth');
  const returnTo = new URL(page.location!, 'http://server.invalid').searchParams.get('returnTo') ?? '';
  expect(/^\/oidc\/auth\/[\w-]+\/interaction$/.test(returnTo), 'the interaction as the return path', page);
  page = await client.get(page.location!);
  expect(page.status === 200 && client.csrf !== undefined, 'GET /sign-in', page);
  await after('GET /sign-in');
  page = await client.post('/sign-in', { username: account.username, password: TEST_PASSWORD, returnTo });
  expect(page.status === 303 && (page.location ?? '').startsWith('/sign-in/two-factor?'), 'POST /sign-in', page);
  await after('POST /sign-in');
  page = await client.get(page.location!);
  const action = formActionOf(page.body, 'code');
  expect(page.status === 200 && action !== undefined, 'GET /sign-in/two-factor', page);
  await after('GET /sign-in/two-factor');
  // Where the page's form posts, with the fields it carries: below the interaction, whose answer is
  // the code (the sign-in and the provider's resume in one request). A version before that posted to
  // /sign-in/two-factor, which sent the browser on to the interaction for it (bench/probes/ A/B runs).
  page = await client.post(action!, { code: generateTotp(account.totpSecret, new Date()), returnTo });
  if (page.status === 303 && page.location === returnTo) page = await client.get(returnTo);
  const back = new URL(page.location ?? '', 'http://server.invalid');
  expect(
    page.status === 303 &&
      `${back.origin}${back.pathname}` === BENCH_REDIRECT_URI &&
      back.searchParams.get('state') === state &&
      back.searchParams.has('code'),
    'POST /oidc/auth/:uid/interaction/two-factor (the code)',
    page,
  );
  await after('POST /oidc/auth/:uid/interaction/two-factor');
  const response = await fetch(`${baseUrl}/oidc/token`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${encodeURIComponent(app.clientId)}:${encodeURIComponent(app.clientSecret)}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code: back.searchParams.get('code')!,
      redirect_uri: BENCH_REDIRECT_URI,
      code_verifier: verifier,
    }).toString(),
    signal: AbortSignal.timeout(30_000),
  });
  const body = await response.text();
  const tokens = response.status === 200 ? (JSON.parse(body) as Record<string, unknown>) : {};
  expect(typeof tokens.id_token === 'string' && typeof tokens.access_token === 'string', 'POST /oidc/token', {
    status: response.status,
    location: null,
    body,
  });
  await after('POST /oidc/token');
  return performance.now() - t0;
}
