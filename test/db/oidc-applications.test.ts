import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ForbiddenError, NotFoundError, RuleError, ValidationError } from '../../src/domain/errors.ts';
import { loadPrincipal } from '../../src/services/sign-in/principal.ts';
import { SYSTEM_CONTEXT } from '../../src/services/request-context.ts';
import { hashToken } from '../../src/services/sign-in/secrets.ts';
import { cliEnv, runCli, STACK_TRACE, withEmbeddedDatabase } from '../support/cli-child.ts';
import { supportAndCamdenAdmin } from '../support/fixtures.ts';
import { unpackMigratedDatabase } from '../support/migrated-data-dir.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';

let t: TestApp;
let support: Awaited<ReturnType<typeof loadPrincipal>>;
let camdenAdmin: Awaited<ReturnType<typeof loadPrincipal>>;

beforeAll(async () => {
  t = await createTestApp();
  const people = await supportAndCamdenAdmin(t.handle.db, t.config.secretKey);
  support = await loadPrincipal(t.handle.db, people.support.id);
  camdenAdmin = await loadPrincipal(t.handle.db, people.admin.id);
});
afterAll(async () => {
  await t.close();
});

const input = {
  name: 'Pupil reports',
  redirectUris: ['https://reports.nexus.example/callback'],
  backchannelLogoutUri: 'https://reports.nexus.example/backchannel-logout',
};

describe('applications registered with the OpenID Connect provider (issue 16 item 5)', () => {
  it('central support registers one: the secret is returned once and stored only as its hash; audited', async () => {
    const { application, clientSecret } = await t.services.applications.register(support!.actor, input, SYSTEM_CONTEXT);
    expect(application).toMatchObject({
      name: 'Pupil reports',
      redirectUris: input.redirectUris,
      backchannelLogoutUri: input.backchannelLogoutUri,
      disabledAt: null,
    });
    expect(application.clientId).toMatch(/^pupil-reports-[0-9a-f]{8}$/);
    expect(clientSecret.length).toBeGreaterThanOrEqual(43);

    const row = await t.handle.db.selectFrom('oidc_clients').selectAll().executeTakeFirstOrThrow();
    expect(row.secret_hash).toBe(hashToken(clientSecret));
    expect(JSON.stringify(row)).not.toContain(clientSecret);

    const metadata = await t.services.applications.clientMetadata(application.clientId);
    expect(metadata).toMatchObject({
      client_id: application.clientId,
      redirect_uris: input.redirectUris,
      backchannel_logout_uri: input.backchannelLogoutUri,
      response_types: ['code'],
      grant_types: ['authorization_code', 'refresh_token'],
    });

    const event = await t.handle.db
      .selectFrom('audit_events')
      .selectAll()
      .where('action', '=', 'application.registered')
      .executeTakeFirstOrThrow();
    expect(event.actor_label).toBe('support');
    expect(JSON.stringify(event.details)).not.toContain(clientSecret);
  });

  it('an LA administrator may not register, list or change applications (LAs cannot register them)', async () => {
    const actor = camdenAdmin!.actor;
    await expect(t.services.applications.register(actor, input, SYSTEM_CONTEXT)).rejects.toBeInstanceOf(ForbiddenError);
    await expect(t.services.applications.list(actor)).rejects.toBeInstanceOf(ForbiddenError);
    const [one] = await t.services.applications.list(support!.actor);
    await expect(t.services.applications.rotateSecret(actor, one!.clientId, SYSTEM_CONTEXT)).rejects.toBeInstanceOf(
      ForbiddenError,
    );
  });

  it.each([
    [{ ...input, name: '  ' }, 'name', 'Enter the name of the application'],
    [{ ...input, redirectUris: [] }, 'redirectUris', 'Enter the address Nexus sends people back to after sign-in'],
    [{ ...input, redirectUris: ['reports.example/cb'] }, 'redirectUris', 'must be a full web address'],
    [{ ...input, redirectUris: ['http://reports.example/cb'] }, 'redirectUris', 'must start with https://'],
    [{ ...input, redirectUris: ['https://reports.example/cb#x'] }, 'redirectUris', 'must not contain a # part'],
    [{ ...input, redirectUris: ['https://u:p@reports.example/cb'] }, 'redirectUris', 'user name or password'],
    [
      { ...input, redirectUris: ['https://Reports.Example/cb'] },
      'redirectUris',
      'written exactly as https://reports.example/cb',
    ],
    [{ ...input, backchannelLogoutUri: 'ftp://x' }, 'backchannelLogoutUri', 'must start with https://'],
  ])('refuses a registration that says %j, changing nothing', async (bad, field, message) => {
    const before = await t.handle.db.selectFrom('oidc_clients').select('client_id').execute();
    const refusal = await t.services.applications
      .register(support!.actor, bad, SYSTEM_CONTEXT)
      .catch((e: unknown) => e);
    expect(refusal).toBeInstanceOf(ValidationError);
    expect((refusal as ValidationError).fields[field]).toContain(message);
    expect(await t.handle.db.selectFrom('oidc_clients').select('client_id').execute()).toEqual(before);
  });

  it('allows plain http for an application on this machine', async () => {
    const { application } = await t.services.applications.register(
      support!.actor,
      { name: 'Local dev', redirectUris: ['http://localhost:4000/callback', 'http://127.0.0.1:4000/callback'] },
      SYSTEM_CONTEXT,
    );
    expect(application.redirectUris).toHaveLength(2);
  });

  it('a new secret replaces the old one; a disabled application is unknown to the provider until enabled', async () => {
    const [one] = (await t.services.applications.list(support!.actor)).filter((a) => a.name === 'Pupil reports');
    const before = (await t.services.applications.clientMetadata(one!.clientId))!.client_secret;
    const { clientSecret } = await t.services.applications.rotateSecret(support!.actor, one!.clientId, SYSTEM_CONTEXT);
    expect((await t.services.applications.clientMetadata(one!.clientId))!.client_secret).toBe(hashToken(clientSecret));
    expect(hashToken(clientSecret)).not.toBe(before);

    await t.services.applications.setDisabled(support!.actor, one!.clientId, true, SYSTEM_CONTEXT);
    expect(await t.services.applications.clientMetadata(one!.clientId)).toBeUndefined();
    await expect(
      t.services.applications.setDisabled(support!.actor, one!.clientId, true, SYSTEM_CONTEXT),
    ).rejects.toBeInstanceOf(RuleError);
    await t.services.applications.setDisabled(support!.actor, one!.clientId, false, SYSTEM_CONTEXT);
    expect(await t.services.applications.clientMetadata(one!.clientId)).toBeDefined();

    await expect(
      t.services.applications.rotateSecret(support!.actor, 'no-such-client', SYSTEM_CONTEXT),
    ).rejects.toBeInstanceOf(NotFoundError);
    const actions = await t.handle.db
      .selectFrom('audit_events')
      .select('action')
      .where('action', 'like', 'application.%')
      .orderBy('occurred_at')
      .orderBy('id')
      .execute();
    expect(actions.map((a) => a.action)).toEqual([
      'application.registered',
      'application.registered',
      'application.secret-rotated',
      'application.disabled',
      'application.enabled',
    ]);
  });
});

/** Each command is a process that opens the embedded database: tens of seconds on a busy 2-core machine. */
describe('nexus-accounts clients and keys (command line, embedded database)', () => {
  let dataDir: string;
  const children = new Set<ChildProcess>();
  const env = () => cliEnv(dataDir, 'cli-test-secret-key-that-is-at-least-32-characters');
  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'nexus-oidc-cli-'));
    unpackMigratedDatabase(dataDir);
  });
  afterAll(async () => {
    for (const child of children) child.kill('SIGKILL');
    await rm(dataDir, { recursive: true, force: true });
  });

  it('clients add prints the client id and the secret once; bad input exits 2 plainly; keys rotate keeps the old key', async () => {
    const added = await runCli(
      env(),
      [
        'clients',
        'add',
        '--name',
        'Pupil reports',
        '--redirect-uri',
        'https://reports.nexus.example/callback',
        '--backchannel-logout-uri',
        'https://reports.nexus.example/logout',
      ],
      children,
    );
    expect(added.code).toBe(0);
    const clientId = /Client ID: +(\S+)/.exec(added.stdout)?.[1];
    const secret = /Client secret: +(\S+)/.exec(added.stdout)?.[1];
    expect(added.stdout).toContain('Issuer:        http://nexus.test/oidc');
    expect(clientId).toMatch(/^pupil-reports-/);

    const bad = await runCli(
      env(),
      ['clients', 'add', '--name', 'X', '--redirect-uri', 'http://x.example/cb'],
      children,
    );
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim().split('\n').at(-1)).toBe(
      'The return address must start with https:// (http:// only for localhost)',
    );
    expect(bad.stderr).not.toMatch(STACK_TRACE);

    const listed = await runCli(env(), ['clients', 'list'], children);
    expect(listed.stdout).toContain(`${clientId}  Pupil reports  enabled  https://reports.nexus.example/callback`);

    const rotated = await runCli(env(), ['keys', 'rotate'], children);
    expect(rotated.code).toBe(0);
    expect(rotated.stdout).toMatch(/^New signing key [0-9a-f]{16}; it signs tokens from /);

    await withEmbeddedDatabase(dataDir, async (db) => {
      const client = await db.selectFrom('oidc_clients').selectAll().executeTakeFirstOrThrow();
      expect(client.secret_hash).toBe(hashToken(secret!));
      // No key before the rotation (the server makes the first on start): the rotation made the first.
      const keys = await db.selectFrom('oidc_signing_keys').select(['kid', 'retired_at']).execute();
      expect(keys).toHaveLength(1);
    });
  }, 400_000);
});
