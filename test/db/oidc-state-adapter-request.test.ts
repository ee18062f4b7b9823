import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatabaseHandle } from '../../src/data/connect.ts';
import type { Db } from '../../src/data/database.ts';
import { insertOidcClient, setOidcClientDisabled } from '../../src/data/queries/oidc-client-queries.ts';
import { findOidcState, writeOidcStates } from '../../src/data/queries/oidc-state-queries.ts';
import { ManualClock } from '../../src/domain/clock.ts';
import { finishRequest, inRequest, personReadWithToken, stateAdapter } from '../../src/services/oidc/state-adapter.ts';
import { createAccount, createOrganisation } from '../support/fixtures.ts';
import { createTestDatabase } from '../support/test-db.ts';
import { withQueryHook } from '../support/query-hook.ts';

/**
 * The state adapter within one HTTP request (src/services/oidc/state-adapter.ts): what it reads
 * together, what it holds back and writes together, and how many statements that takes.
 */
let handle: DatabaseHandle;
let db: Db;
let statements = 0;
const clock = new ManualClock('2026-11-02T10:00:00Z');
let lookups: string[] = [];
const SECRET = 'test-secret-key-test-secret-key-0123456789';

beforeAll(async () => {
  handle = await createTestDatabase();
  db = withQueryHook(handle.db, () => statements++);
  await insertOidcClient(handle.db, {
    clientId: 'reports',
    name: 'Reports',
    secretHash: 'hash-of-the-secret',
    redirectUris: ['https://reports.example/cb'],
    backchannelLogoutUri: undefined,
    createdAt: clock.now(),
    createdBy: null,
  });
});
afterAll(async () => {
  await handle.close();
});

const Adapter = () =>
  stateAdapter(db, clock, (id) => {
    lookups.push(id);
    return Promise.resolve(id === 'reports' ? { client_id: 'reports', looked_up: true } : undefined);
  });

/** Runs `work` as one HTTP request does: its writes made at the end; the statements it took. */
async function request(
  work: (model: (name: string) => InstanceType<ReturnType<typeof Adapter>>, raw: object) => Promise<void>,
  brought?: { model: string; id: string },
) {
  const raw = {};
  const Model = Adapter();
  const before = statements;
  lookups = [];
  await inRequest(
    raw,
    async () => {
      try {
        await work((name) => new Model(name), raw);
      } finally {
        await finishRequest(db, clock, raw);
      }
    },
    () => brought,
  );
  return statements - before;
}

const stored = (model: string, id: string) => findOidcState(handle.db, model, { id }, clock.now());

const interaction = (uid: string, clientId: string) => ({
  jti: uid,
  kind: 'Interaction',
  exp: Math.floor(clock.now().getTime() / 1000) + 600,
  params: { client_id: clientId, redirect_uri: 'https://reports.example/cb' },
});

describe('oidc-provider state adapter within one HTTP request', () => {
  it('deletes a row with the request’s other writes, and does not find it again in between', async () => {
    await new (Adapter())('Interaction').upsert('i-del', interaction('i-del', 'reports'), 600);
    const taken = await request(async (model) => {
      await model('Interaction').destroy('i-del');
      expect(await model('Interaction').find('i-del')).toBeUndefined();
      await model('Session').upsert('s-del', { uid: 'u-del', accountId: 'a1' }, 600);
    });
    expect(await stored('Interaction', 'i-del')).toBeUndefined();
    expect((await stored('Session', 's-del'))?.payload).toMatchObject({ uid: 'u-del', accountId: 'a1' });
    // The find after the destroy made the delete first (1), then looked (2); the save came at the end (3).
    expect(taken).toBe(3);
  });

  it('writes a save, a delete and another save in one statement; a row saved and deleted is not written', async () => {
    await new (Adapter())('Interaction').upsert('i-one', interaction('i-one', 'reports'), 600);
    const taken = await request(async (model) => {
      await model('Grant').upsert('g-one', { accountId: 'a1', clientId: 'reports' }, 600);
      await model('Interaction').destroy('i-one');
      await model('AuthorizationCode').upsert('c-one', { accountId: 'a1', grantId: 'g-one' }, 60);
      await model('Session').upsert('s-gone', { uid: 'u-gone' }, 600);
      await model('Session').destroy('s-gone');
    });
    expect(taken).toBe(1);
    expect(await stored('Interaction', 'i-one')).toBeUndefined();
    expect(await stored('Session', 's-gone')).toBeUndefined();
    expect((await stored('Grant', 'g-one'))?.payload).toMatchObject({ clientId: 'reports' });
    expect((await stored('AuthorizationCode', 'c-one'))?.payload).toMatchObject({ grantId: 'g-one' });
  });

  it('reads an interaction with its application: the application as that row says, without another statement', async () => {
    await new (Adapter())('Interaction').upsert('i-app', interaction('i-app', 'reports'), 600);
    let found: unknown;
    const taken = await request(async (model) => {
      expect(await model('Interaction').find('i-app')).toMatchObject({ params: { client_id: 'reports' } });
      found = await model('Client').find('reports');
    });
    expect(taken).toBe(1);
    expect(lookups).toEqual([]);
    expect(found).toMatchObject({
      client_id: 'reports',
      client_secret: 'hash-of-the-secret',
      redirect_uris: ['https://reports.example/cb'],
      token_endpoint_auth_method: 'client_secret_basic',
    });
    // Another application, or none, is looked up as before.
    await request(async (model) => {
      await model('Interaction').find('i-app');
      expect(await model('Client').find('other')).toBeUndefined();
    });
    expect(lookups).toEqual(['other']);
  });

  it('reads the code a token request brings with its application, grant and session, in one statement', async () => {
    await new (Adapter())('Grant').upsert('g-t', { accountId: 'a1', clientId: 'reports' }, 600);
    await new (Adapter())('Session').upsert('s-t', { uid: 'u-t', accountId: 'a1' }, 600);
    await new (Adapter())('AuthorizationCode').upsert('c-t', { grantId: 'g-t', sessionUid: 'u-t' }, 60);
    const code = { model: 'AuthorizationCode', id: 'c-t' };
    const taken = await request(async (model) => {
      expect(await model('Client').find('reports')).toMatchObject({
        client_id: 'reports',
        client_secret: 'hash-of-the-secret',
      });
      expect(await model('AuthorizationCode').find('c-t')).toEqual({ grantId: 'g-t', sessionUid: 'u-t' });
      expect(await model('Grant').find('g-t')).toMatchObject({ clientId: 'reports' });
      expect(await model('Session').findByUid('u-t')).toMatchObject({ accountId: 'a1' });
    }, code);
    expect(taken).toBe(1);
    expect(lookups).toEqual([]);
    // A consumed code comes back consumed; an unknown application is not found; a disabled one is refused.
    await handle.db.updateTable('oidc_state').set({ consumed_at: clock.now() }).where('id', '=', 'c-t').execute();
    await request(async (model) => {
      await model('Client').find('reports');
      expect((await model('AuthorizationCode').find('c-t'))?.consumed).toBe(Math.floor(clock.now().getTime() / 1000));
    }, code);
    await request(async (model) => expect(await model('Client').find('nobody')).toBeUndefined(), code);
    await setOidcClientDisabled(handle.db, 'reports', clock.now());
    try {
      await request(async (model) => expect(await model('Client').find('reports')).toBeUndefined(), code);
    } finally {
      await setOidcClientDisabled(handle.db, 'reports', null);
    }
    expect(lookups).toEqual([]);
  });

  it('reads the claims of the account a code or refresh token names with it: no statement of their own', async () => {
    const la = await createOrganisation(handle.db, '391', 'Claimshire');
    const person = await createAccount(handle.db, SECRET, {
      organisationId: la,
      username: 'claims.person',
      userType: 'la_officer',
      privileges: ['pupil_level'],
      firstName: 'Cleo',
      lastName: 'Claims',
      email: 'cleo@claimshire.example',
    });
    await new (Adapter())('Grant').upsert('g-p', { accountId: person.id, clientId: 'reports' }, 600);
    await new (Adapter())('AuthorizationCode').upsert('c-p', { accountId: person.id, grantId: 'g-p' }, 60);
    const claimsRead = async () => {
      let read: ReturnType<typeof personReadWithToken>;
      const taken = await request(
        async (model, raw) => {
          await model('Client').find('reports');
          await model('AuthorizationCode').find('c-p');
          read = personReadWithToken(raw, person.id);
        },
        { model: 'AuthorizationCode', id: 'c-p' },
      );
      return { taken, read };
    };
    const active = await claimsRead();
    expect(active.taken).toBe(1);
    expect(active.read).toEqual({
      id: person.id,
      first_name: 'Cleo',
      last_name: 'Claims',
      username: 'claims.person',
      email: 'cleo@claimshire.example',
      user_type: 'la_officer',
      la_code: '391',
      la_name: 'Claimshire',
      privileges: ['pupil_level'],
      schoolClaims: { schools: [], defaultGroup: null },
    });
    // An account that is no longer active is read as none: the provider refuses the code.
    await handle.db
      .updateTable('accounts')
      .set({ status: 'archived', archived_at: clock.now(), archive_reason: 'manual' })
      .where('id', '=', person.id)
      .execute();
    expect((await claimsRead()).read).toBeNull();
  });

  it('the authorization endpoint uses an application as this process last read it; its writes need it still enabled', async () => {
    const Model = Adapter();
    /** One request of the authorization endpoint: it reads the application and saves an interaction. */
    const authorization = async (uid: string) => {
      const raw = {};
      const before = statements;
      lookups = [];
      let made = false;
      await inRequest(
        raw,
        async () => {
          expect(await new Model('Client').find('reports')).toMatchObject({ client_id: 'reports' });
          await new Model('Interaction').upsert(uid, interaction(uid, 'reports'), 600);
          made = await finishRequest(db, clock, raw);
        },
        undefined,
        () => true,
      );
      return { made, taken: statements - before, lookedUp: lookups, stored: await stored('Interaction', uid) };
    };
    expect(await authorization('i-k1')).toMatchObject({ made: true, lookedUp: ['reports'] });
    const known = await authorization('i-k2');
    expect(known).toMatchObject({ made: true, taken: 1, lookedUp: [] });
    expect(known.stored).toBeDefined();
    // Disabled by another process: nothing is written, the request is refused, and the next one looks again.
    await setOidcClientDisabled(handle.db, 'reports', clock.now());
    try {
      const refused = await authorization('i-k3');
      expect(refused).toMatchObject({ made: false, taken: 1, lookedUp: [] });
      expect(refused.stored).toBeUndefined();
      expect((await authorization('i-k4')).lookedUp).toEqual(['reports']);
    } finally {
      await setOidcClientDisabled(handle.db, 'reports', null);
    }
    // Any other request looks the application up.
    const other = await request(async (model) => {
      await model('Client').find('reports');
    });
    expect(other).toBe(0);
    expect(lookups).toEqual(['reports']);
  });

  it('a disabled application is refused with the interaction that names it', async () => {
    await new (Adapter())('Interaction').upsert('i-off', interaction('i-off', 'reports'), 600);
    await setOidcClientDisabled(handle.db, 'reports', clock.now());
    try {
      await request(async (model) => {
        await model('Interaction').find('i-off');
        expect(await model('Client').find('reports')).toBeUndefined();
      });
    } finally {
      await setOidcClientDisabled(handle.db, 'reports', null);
    }
  });

  it('writes saves, deletes and consumes together (writeOidcStates)', async () => {
    const Model = Adapter();
    await new Model('AuthorizationCode').upsert('c-w', { grantId: 'g-w' }, 60);
    await new Model('Interaction').upsert('i-w', { uid: 'i-w' }, 60);
    const before = statements;
    const token = (id: string) => ({
      model: 'AccessToken',
      id,
      payload: { grantId: 'g-w' },
      grantId: 'g-w',
      userCode: undefined,
      uid: undefined,
      accountId: 'a1',
      expiresAt: undefined,
    });
    const consumeCode = { rows: [{ model: 'AuthorizationCode', id: 'c-w' }], at: clock.now() };
    expect(
      await writeOidcStates(db, {
        upserts: [token('at-w')],
        deletes: [{ model: 'Interaction', id: 'i-w' }],
        consumes: consumeCode,
      }),
    ).toBe(true);
    expect(statements - before).toBe(1);
    expect((await stored('AuthorizationCode', 'c-w'))?.consumed_at).toEqual(clock.now());
    expect(await stored('Interaction', 'i-w')).toBeUndefined();
    expect(await stored('AccessToken', 'at-w')).toBeDefined();
    // Consumed already: nothing saved.
    expect(await writeOidcStates(db, { upserts: [token('at-again')], deletes: [], consumes: consumeCode })).toBe(false);
    expect(await stored('AccessToken', 'at-again')).toBeUndefined();
    // Deletes alone.
    expect(await writeOidcStates(db, { upserts: [], deletes: [{ model: 'AccessToken', id: 'at-w' }] })).toBe(true);
    expect(await stored('AccessToken', 'at-w')).toBeUndefined();
  });

  it('consumes a code with the request’s other writes: in that request it is consumed at once', async () => {
    await new (Adapter())('Grant').upsert('g-c', { accountId: 'a1', clientId: 'reports' }, 600);
    await new (Adapter())('AuthorizationCode').upsert('c-c', { accountId: 'a1', grantId: 'g-c' }, 60);
    const taken = await request(async (model) => {
      expect((await model('AuthorizationCode').find('c-c'))?.consumed).toBeUndefined();
      await model('AuthorizationCode').consume('c-c');
      expect((await model('AuthorizationCode').find('c-c'))?.consumed).toBeTruthy();
      await model('AccessToken').upsert('at-c', { accountId: 'a1', grantId: 'g-c' }, 300);
    });
    // The code with its grant (1); the consume and the new token together (2).
    expect(taken).toBe(2);
    expect((await stored('AuthorizationCode', 'c-c'))?.consumed_at).toEqual(clock.now());
    expect(await stored('AccessToken', 'at-c')).toBeDefined();
  });

  it('a code two requests use at the same moment: the second stores nothing, is refused, and the grant is revoked', async () => {
    await new (Adapter())('Grant').upsert('g-r', { accountId: 'a1', clientId: 'reports' }, 600);
    await new (Adapter())('AuthorizationCode').upsert('c-r', { accountId: 'a1', grantId: 'g-r' }, 60);
    const Model = Adapter();
    const [first, second] = [{}, {}];
    // Both read the code before either has written anything; the first then finishes first.
    const use = (raw: object, token: string, read: () => void, before: Promise<unknown>) =>
      inRequest(raw, async () => {
        expect((await new Model('AuthorizationCode').find('c-r'))?.consumed).toBeUndefined();
        read();
        await before;
        await new Model('AuthorizationCode').consume('c-r');
        await new Model('AccessToken').upsert(token, { accountId: 'a1', grantId: 'g-r' }, 300);
        return finishRequest(db, clock, raw);
      });
    let secondRead!: () => void;
    const secondHasRead = new Promise<void>((resolve) => (secondRead = resolve));
    const firstDone = use(first, 'at-first', () => {}, secondHasRead);
    const secondDone = use(second, 'at-second', secondRead, firstDone);
    expect(await firstDone).toBe(true);
    expect(await secondDone).toBe(false);
    expect(await stored('AccessToken', 'at-second')).toBeUndefined();
    // As the library answers a code used twice: every token of the grant goes, the first request's too.
    expect(await stored('AccessToken', 'at-first')).toBeUndefined();
    expect(await stored('Grant', 'g-r')).toBeUndefined();
  });
});
