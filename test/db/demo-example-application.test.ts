import { readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  EXAMPLE_APPLICATION,
  EXAMPLE_CLIENT_FILE,
  exampleClientFile,
  registerExampleApplication,
} from '../../src/demo/example-application.ts';
import { SYSTEM_CONTEXT } from '../../src/services/request-context.ts';
import { CLIENT_FILE_NAME, loadSettings, SettingsError } from '../../examples/reporting-app/settings.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';

/**
 * The demo registers examples/reporting-app (issue 16 item 8) and leaves its client id and secret
 * in DATA_DIR for it, readable by the owner only; the example finds them there by default.
 */

let t: TestApp;
const SYSTEM = { kind: 'system', label: 'test' } as const;

beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => t.close());

const readClient = () =>
  JSON.parse(readFileSync(exampleClientFile(t.config), 'utf8')) as {
    issuer: string;
    clientId: string;
    clientSecret: string;
  };

/** The token endpoint's answer to a made-up code: invalid_grant once the client has authenticated. */
async function tokenError(clientId: string, clientSecret: string): Promise<string> {
  const response = await t.app.inject({
    method: 'POST',
    url: '/oidc/token',
    headers: {
      host: new URL(t.config.baseUrl).host,
      authorization: `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    payload: new URLSearchParams({
      grant_type: 'authorization_code',
      code: 'made-up',
      redirect_uri: EXAMPLE_APPLICATION.redirectUri,
      code_verifier: 'x'.repeat(43),
    }).toString(),
  });
  return response.json<{ error: string }>().error;
}

describe('the demo’s example application', () => {
  it('is registered with its return and sign-out addresses, its secret in a file only the owner can read', async () => {
    const result = await registerExampleApplication(t.services, t.config);
    expect(result).toEqual({ file: exampleClientFile(t.config), registered: true });
    expect(statSync(result.file).mode & 0o777).toBe(0o600);

    const client = readClient();
    expect(client.issuer).toBe(`${t.config.baseUrl}/oidc`);
    const discovery = await t.app.inject({
      url: `${new URL(client.issuer).pathname}/.well-known/openid-configuration`,
      headers: { host: new URL(t.config.baseUrl).host },
    });
    expect(discovery.json<{ issuer: string }>().issuer).toBe(client.issuer);

    const application = await t.services.applications.view(SYSTEM, client.clientId);
    expect(application).toMatchObject({
      name: 'Reporting (example)',
      redirectUris: ['http://localhost:4000/callback'],
      backchannelLogoutUri: 'http://localhost:4000/backchannel-logout',
      disabledAt: null,
    });
    // The secret in the file is the one Nexus holds: the client authenticates (the made-up code is what fails).
    expect(await tokenError(client.clientId, client.clientSecret)).toBe('invalid_grant');
    expect(await tokenError(client.clientId, 'not-the-secret')).toBe('invalid_client');
  });

  it('is not registered again at a later start, and its file is left as it is', async () => {
    const first = readClient();
    expect(await registerExampleApplication(t.services, t.config)).toMatchObject({ registered: false });
    expect(readClient()).toEqual(first);
    expect((await t.services.applications.list(SYSTEM)).map((a) => a.clientId)).toEqual([first.clientId]);
  });

  it('stays disabled once central support has disabled it: never registered again or re-enabled', async () => {
    const first = readClient();
    await t.services.applications.setDisabled(SYSTEM, first.clientId, true, SYSTEM_CONTEXT);
    expect(await registerExampleApplication(t.services, t.config)).toMatchObject({ registered: false });
    // Even without the file that names it (deleted, or a DATA_DIR copied without it).
    rmSync(exampleClientFile(t.config));
    expect(await registerExampleApplication(t.services, t.config)).toMatchObject({ registered: false });
    const applications = await t.services.applications.list(SYSTEM);
    expect(applications.map((a) => a.clientId)).toEqual([first.clientId]);
    expect(applications[0]!.disabledAt).not.toBeNull();
    expect(await tokenError(first.clientId, first.clientSecret)).toBe('invalid_client');
    writeFileSync(exampleClientFile(t.config), JSON.stringify(first), { mode: 0o600 });
  });

  const lookalikes: [string, { name: string; redirectUris: string[] }][] = [
    [
      'its return address',
      { name: 'Reports (renamed)', redirectUris: ['https://elsewhere.example/cb', EXAMPLE_APPLICATION.redirectUri] },
    ],
    ['its name', { name: EXAMPLE_APPLICATION.name, redirectUris: ['https://elsewhere.example/callback'] }],
  ];
  it.each(lookalikes)('is not registered while an application, even a disabled one, has %s', async (_, lookalike) => {
    const other = await createTestApp();
    try {
      const { application } = await other.services.applications.register(SYSTEM, lookalike, SYSTEM_CONTEXT);
      expect(await registerExampleApplication(other.services, other.config)).toMatchObject({ registered: false });
      await other.services.applications.setDisabled(SYSTEM, application.clientId, true, SYSTEM_CONTEXT);
      expect(await registerExampleApplication(other.services, other.config)).toMatchObject({ registered: false });
      expect((await other.services.applications.list(SYSTEM)).map((a) => a.clientId)).toEqual([application.clientId]);
    } finally {
      await other.close();
    }
  });

  it('is what the example reads by default: the same file, issuer, client and addresses', () => {
    expect(CLIENT_FILE_NAME).toBe(EXAMPLE_CLIENT_FILE);
    const settings = loadSettings({ DATA_DIR: t.config.dataDir });
    const client = readClient();
    expect({ issuer: settings.issuer.href, clientId: settings.clientId, clientSecret: settings.clientSecret }).toEqual(
      client,
    );
    expect(new URL('/callback', settings.appUrl).href).toBe(EXAMPLE_APPLICATION.redirectUri);
    expect(new URL('/backchannel-logout', settings.appUrl).href).toBe(EXAMPLE_APPLICATION.backchannelLogoutUri);
    expect(settings.port).toBe(4000);
  });

  it('the example says how to get its client when there is no file', () => {
    expect(() => loadSettings({ DATA_DIR: `${t.config.dataDir}/nowhere` })).toThrow(SettingsError);
    expect(() => loadSettings({ DATA_DIR: `${t.config.dataDir}/nowhere` })).toThrow(/npm start/);
  });
});
