import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { exportJWK, generateKeyPair, type CryptoKey } from 'jose';
import * as client from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYSTEM_CONTEXT } from '../../src/services/request-context.ts';
import type { Principal } from '../../src/services/sign-in/principal.ts';
import { cliEnv, runCli, STACK_TRACE } from '../support/cli-child.ts';
import type { FixtureAccount } from '../support/fixtures.ts';
import { authorise, exchange, injectFetch, REDIRECT_URI, supportAndOfficer } from '../support/oidc-client.ts';
import { signInAs } from '../support/sign-in.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';

/**
 * `private_key_jwt` (issue 16 item 5): an application registered with its public keys instead of a
 * secret authenticates at the token endpoint with a JWT signed by its private key, as openid-client
 * does it; a secret, or a JWT signed by another key, is refused.
 */

let t: TestApp;
let base: string;
let officer: FixtureAccount;
let support: Principal;
let clientId: string;
let privateKey: CryptoKey;

async function publicJwk(key: CryptoKey, kid: string) {
  return { ...(await exportJWK(key)), kid, alg: 'ES256', use: 'sig' };
}

function relyingParty(auth: client.ClientAuth) {
  return client.discovery(
    new URL(`${base}/oidc`),
    clientId,
    { redirect_uris: [REDIRECT_URI], id_token_signed_response_alg: 'ES256' },
    auth,
    { execute: [client.allowInsecureRequests], [client.customFetch]: injectFetch(t.app) },
  );
}

beforeAll(async () => {
  t = await createTestApp({ now: new Date().toISOString() });
  base = t.config.baseUrl;
  ({ support, officer } = await supportAndOfficer(t.handle.db, t.config.secretKey));
  const pair = await generateKeyPair('ES256', { extractable: true });
  privateKey = pair.privateKey;
  const registered = await t.services.applications.registerWithKeys(
    support.actor,
    {
      name: 'Pupil reports',
      redirectUris: [REDIRECT_URI],
      jwks: JSON.stringify({ keys: [await publicJwk(pair.publicKey, 'reports-1')] }),
    },
    SYSTEM_CONTEXT,
  );
  clientId = registered.application.clientId;
});
afterAll(async () => {
  await t.close();
});

describe('an application with its own keys', () => {
  it('signs a person in with a JWT signed by its private key; it has no secret', async () => {
    const rp = await relyingParty(client.PrivateKeyJwt({ key: privateKey, kid: 'reports-1' }));
    const browser = await signInAs(t, officer);
    const a = await authorise(browser, rp, base);
    expect(a.location.startsWith(`${REDIRECT_URI}?`)).toBe(true);
    const tokens = await exchange(rp, a);
    expect(tokens.claims()!.sub).toBe(officer.id);
    expect(tokens.refresh_token).toBeTypeOf('string');
    // The refresh authenticates the same way.
    const refreshed = await client.refreshTokenGrant(rp, tokens.refresh_token!);
    expect(refreshed.claims()!.sub).toBe(officer.id);

    const [listed] = (await t.services.applications.list(support.actor)).filter((x) => x.clientId === clientId);
    expect(listed!.authentication).toBe('keys');
    await expect(t.services.applications.rotateSecret(support.actor, clientId, SYSTEM_CONTEXT)).rejects.toThrow(
      /own keys/,
    );
  });

  it('refuses a client secret, and a JWT signed by a key it did not register', async () => {
    const other = await generateKeyPair('ES256', { extractable: true });
    for (const auth of [
      client.ClientSecretBasic('a-guessed-secret'),
      client.ClientSecretPost('a-guessed-secret'),
      client.PrivateKeyJwt({ key: other.privateKey, kid: 'reports-1' }),
    ]) {
      const rp = await relyingParty(auth);
      const browser = await signInAs(t, officer);
      const a = await authorise(browser, rp, base);
      expect(a.location.startsWith(`${REDIRECT_URI}?`)).toBe(true);
      const refusal = (await exchange(rp, a).then(
        () => undefined,
        (error: unknown) => error,
      )) as { status?: number; error?: string; cause?: { parameters?: { error?: string } }[] } | undefined;
      // In the body, or (Basic authentication) in the WWW-Authenticate challenge.
      expect(refusal?.status).toBe(401);
      expect(refusal?.error ?? refusal?.cause?.[0]?.parameters?.error).toBe('invalid_client');
    }
  });
});

describe('registering one', () => {
  const register = (extra: Record<string, unknown>) =>
    t.services.applications.registerWithKeys(
      support.actor,
      { name: 'Census', redirectUris: [REDIRECT_URI], ...extra },
      SYSTEM_CONTEXT,
    );

  it('takes a key set address (https) instead of the keys', async () => {
    const { application } = await register({ jwksUri: 'https://census.example/jwks.json' });
    expect(application.authentication).toBe('keys');
    const metadata = await t.services.applications.clientMetadata(application.clientId);
    expect(metadata).toMatchObject({
      token_endpoint_auth_method: 'private_key_jwt',
      jwks_uri: 'https://census.example/jwks.json',
    });
    expect(metadata).not.toHaveProperty('client_secret');
  });

  it('refuses a private key, both ways at once, a plain http address, JSON that is not a key set, and neither', async () => {
    const pair = await generateKeyPair('ES256', { extractable: true });
    const privateJwk = { ...(await exportJWK(pair.privateKey)), kid: 'k' };
    const cases: [Record<string, unknown>, string, RegExp][] = [
      [{ jwks: JSON.stringify({ keys: [privateJwk] }) }, 'jwks', /public keys only/],
      [{ jwks: JSON.stringify({ keys: [] }), jwksUri: 'https://census.example/jwks.json' }, 'jwks', /not both/],
      [{ jwksUri: 'http://census.example/jwks.json' }, 'jwksUri', /https/],
      [{ jwks: 'not json' }, 'jwks', /JSON/],
      [{ jwks: JSON.stringify({ keys: [{ kty: 'oct', k: 'c2VjcmV0' }] }) }, 'jwks', /EC, RSA or OKP/],
      [{}, 'jwks', /key set/],
    ];
    const before = (await t.services.applications.list(support.actor)).length;
    for (const [extra, field, message] of cases)
      await expect(register(extra), JSON.stringify(extra)).rejects.toMatchObject({
        fields: { [field]: expect.stringMatching(message) },
      });
    expect(await t.services.applications.list(support.actor)).toHaveLength(before);
  });
});

/** A process that creates and migrates its embedded database: tens of seconds on a busy machine. */
describe('nexus-accounts clients add --jwks-file', () => {
  let dataDir: string;
  const children = new Set<ChildProcess>();
  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'nexus-oidc-keys-'));
  });
  afterAll(async () => {
    for (const child of children) child.kill('SIGKILL');
    await rm(dataDir, { recursive: true, force: true });
  });

  it('registers an application with its public keys and prints no secret; a private key exits 2 plainly', async () => {
    const env = cliEnv(dataDir, 'cli-test-secret-key-that-is-at-least-32-characters');
    const pair = await generateKeyPair('ES256', { extractable: true });
    const publicFile = path.join(dataDir, 'public.json');
    await writeFile(publicFile, JSON.stringify({ keys: [await publicJwk(pair.publicKey, 'k1')] }));
    const args = ['clients', 'add', '--name', 'Census', '--redirect-uri', 'https://census.example/cb', '--jwks-file'];
    const added = await runCli(env, [...args, publicFile], children);
    expect(added.code).toBe(0);
    expect(added.stdout).toMatch(/Client ID: +census-/);
    expect(added.stdout).toContain('private_key_jwt');
    expect(added.stdout).not.toContain('Client secret');

    const privateFile = path.join(dataDir, 'private.json');
    await writeFile(privateFile, JSON.stringify({ keys: [await exportJWK(pair.privateKey)] }));
    const refused = await runCli(env, [...args, privateFile], children);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('public keys only');
    expect(refused.stderr).not.toMatch(STACK_TRACE);
  }, 180_000);
});
