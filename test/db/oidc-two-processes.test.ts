import * as client from 'openid-client';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type DatabaseHandle } from '../../src/data/connect.ts';
import { buildServer } from '../../src/http/server.ts';
import { createServices } from '../../src/services/index.ts';
import { SYSTEM_CONTEXT } from '../../src/services/request-context.ts';
import type { FixtureAccount } from '../support/fixtures.ts';
import { authorise, exchange, relyingParty, supportAndOfficer } from '../support/oidc-client.ts';
import { signInAs } from '../support/sign-in.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';

/**
 * Issue 16 item 7: the provider keeps its state (interactions, sessions, grants, codes, tokens) and
 * its keys in the database, so several server processes on one PostgreSQL serve one provider. The
 * second server here has its own services, provider and (on PostgreSQL) its own connection pool on
 * the same database; on the embedded database, which one process owns, it shares the connection.
 */
let t: TestApp;
let second: { app: FastifyInstance; handle: DatabaseHandle; ownsHandle: boolean };
let officer: FixtureAccount;
let rpFirst: client.Configuration;
let rpSecond: client.Configuration;

beforeAll(async () => {
  t = await createTestApp();
  const people = await supportAndOfficer(t.handle.db, t.config.secretKey);
  officer = people.officer;
  const { application, clientSecret } = await t.services.applications.register(
    people.support.actor,
    { name: 'Pupil reports', redirectUris: ['https://reports.nexus.example/callback'] },
    SYSTEM_CONTEXT,
  );
  const url = (t.handle as DatabaseHandle & { url?: string }).url;
  const handle = url ? await connect({ databaseUrl: url, poolSize: 4 }) : t.handle;
  const services = createServices({ db: handle.db, clock: t.clock, config: t.config, databaseKind: handle.kind });
  const app = await buildServer(services);
  await app.ready();
  second = { app, handle, ownsHandle: handle !== t.handle };
  rpFirst = await relyingParty(t.app, t.config.baseUrl, application.clientId, clientSecret);
  rpSecond = await relyingParty(second.app, t.config.baseUrl, application.clientId, clientSecret);
});
afterAll(async () => {
  await second.app.close();
  if (second.ownsHandle) await second.handle.close();
  await t.close();
});

describe('two server processes on one database (issue 16 item 7)', () => {
  it('publish the same signing keys', async () => {
    const keys = async (app: FastifyInstance) =>
      (await app.inject({ url: '/oidc/jwks', headers: { host: 'localhost:3000' } })).json<{
        keys: { kid: string }[];
      }>();
    const [first, other] = [await keys(t.app), await keys(second.app)];
    expect(first.keys.length).toBeGreaterThan(0);
    expect(other).toEqual(first);
  });

  it('a code issued by one is exchanged at the other, and refused there after; its refresh token and access token work at either', async () => {
    const browser = await signInAs(t, officer);
    const a = await authorise(browser, rpFirst, t.config.baseUrl, { scope: 'openid profile' });
    expect(a.location.startsWith('https://reports.nexus.example/callback?')).toBe(true);

    const tokens = await exchange(rpSecond, a);
    expect(tokens.claims()!.sub).toBe(officer.id);

    const refreshed = await client.refreshTokenGrant(rpFirst, tokens.refresh_token!);
    expect(refreshed.claims()!.sub).toBe(officer.id);
    expect(refreshed.refresh_token).not.toBe(tokens.refresh_token);
    for (const rp of [rpFirst, rpSecond]) {
      const info = await client.fetchUserInfo(rp, refreshed.access_token, officer.id);
      expect(info).toMatchObject({ sub: officer.id, preferred_username: officer.username });
    }
    // The code was consumed at the second: the first refuses it too.
    await expect(exchange(rpFirst, a)).rejects.toMatchObject({ error: 'invalid_grant' });
  });
});
