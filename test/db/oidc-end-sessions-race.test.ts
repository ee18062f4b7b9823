import type { KyselyPlugin } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Executor } from '../../src/data/database.ts';
import { upsertOidcState } from '../../src/data/queries/oidc-state-queries.ts';
import { SYSTEM_CONTEXT } from '../../src/services/request-context.ts';
import { loadPrincipal } from '../../src/services/sign-in/principal.ts';
import { endProviderSessions } from '../../src/services/sign-in/end-sessions.ts';
import { createAccount, supportAndCamdenAdmin, type FixtureAccount } from '../support/fixtures.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';

/**
 * Ending an account's provider sessions while another transaction signs the person in to an
 * application (R63): under READ COMMITTED each statement sees what committed before it began, so a
 * session that commits between reading the sessions and deleting them must not be deleted without
 * its back-channel logout. The other transaction's commit is played, on both databases, by writing
 * the session between endProviderSessions' first statement and the next ones.
 */

let t: TestApp;
let camden: number;
let clientId: string;
let people = 0;

beforeAll(async () => {
  t = await createTestApp();
  const fixtures = await supportAndCamdenAdmin(t.handle.db, t.config.secretKey);
  camden = fixtures.camden;
  const support = (await loadPrincipal(t.handle.db, fixtures.support.id))!;
  const registered = await t.services.applications.register(
    support.actor,
    {
      name: 'Pupil reports',
      redirectUris: ['https://reports.example.com/callback'],
      backchannelLogoutUri: 'https://reports.example.com/logout',
    },
    SYSTEM_CONTEXT,
  );
  clientId = registered.application.clientId;
});
afterAll(async () => {
  await t?.close();
});

function person(): Promise<FixtureAccount> {
  people += 1;
  return createAccount(t.handle.db, t.config.secretKey, { organisationId: camden, username: `racer.${people}` });
}

/** A provider session of the account, signed in to the application with this sid. */
function providerSession(db: Executor, account: FixtureAccount, id: string) {
  return upsertOidcState(db, {
    model: 'Session',
    id,
    payload: { accountId: account.id, authorizations: { [clientId]: { sid: `sid-${id}` } } },
    accountId: account.id,
    grantId: undefined,
    userCode: undefined,
    uid: undefined,
    expiresAt: undefined,
  });
}

/**
 * Starts `write` once, as the first statement the executor runs finishes: it takes the transaction's
 * connection before the statements that follow (awaiting it here would wait on that connection).
 */
function afterFirstStatement(write: () => Promise<void>): { plugin: KyselyPlugin; written: () => Promise<void> } {
  let started: Promise<void> | undefined;
  return {
    plugin: {
      transformQuery: (args) => args.node,
      transformResult: (args) => {
        started ??= write();
        return Promise.resolve(args.result);
      },
    },
    written: () => started ?? Promise.reject(new Error('no statement ran')),
  };
}

const sessionIds = async (account: FixtureAccount) =>
  (
    await t.handle.db
      .selectFrom('oidc_state')
      .select('id')
      .where('model', '=', 'Session')
      .where('account_id', '=', account.id)
      .execute()
  ).map((r) => r.id);

const loggedOut = async (account: FixtureAccount) =>
  (
    await t.handle.db
      .selectFrom('oidc_logout_outbox')
      .select(['session_id', 'sid'])
      .where('account_id', '=', account.id)
      .orderBy('session_id')
      .execute()
  ).map((r) => [r.session_id, r.sid]);

describe('a provider session written while the account’s sessions end', () => {
  it('is either ended with its logout queued or left alone, never deleted unannounced', async () => {
    const account = await person();
    await providerSession(t.handle.db, account, 'early');
    const queued = await t.handle.db.transaction().execute(async (trx) => {
      const meanwhile = afterFirstStatement(() => providerSession(trx, account, 'late'));
      const count = await endProviderSessions(trx.withPlugin(meanwhile.plugin), account.id, t.clock.now());
      await meanwhile.written();
      return count;
    });

    // The session there when the end began is gone, and its application told.
    expect(queued).toBe(1);
    expect(await loggedOut(account)).toEqual([['early', 'sid-early']]);
    // The one written meanwhile was not among those ended: it stays, to be ended (and announced) by a later end.
    expect(await sessionIds(account)).toEqual(['late']);
    await t.handle.db.transaction().execute((trx) => endProviderSessions(trx, account.id, t.clock.now()));
    expect(await sessionIds(account)).toEqual([]);
    expect(await loggedOut(account)).toEqual([
      ['early', 'sid-early'],
      ['late', 'sid-late'],
    ]);
  });

  it('takes the account’s grants, and the tokens issued under them, with its sessions; another account’s stay', async () => {
    const [account, bystander] = [await person(), await person()];
    for (const [owner, suffix] of [
      [account, 'a'],
      [bystander, 'b'],
    ] as const) {
      await providerSession(t.handle.db, owner, `session-${suffix}`);
      for (const [model, grantId] of [
        ['Grant', undefined],
        ['RefreshToken', `grant-${suffix}`],
      ] as const)
        await upsertOidcState(t.handle.db, {
          model,
          id: model === 'Grant' ? `grant-${suffix}` : `refresh-${suffix}`,
          payload: model === 'Grant' ? { accountId: owner.id } : {},
          accountId: model === 'Grant' ? owner.id : undefined,
          grantId,
          userCode: undefined,
          uid: undefined,
          expiresAt: undefined,
        });
    }
    await t.handle.db.transaction().execute((trx) => endProviderSessions(trx, account.id, t.clock.now()));
    const left = await t.handle.db
      .selectFrom('oidc_state')
      .select('id')
      .where('id', 'in', ['session-a', 'grant-a', 'refresh-a', 'session-b', 'grant-b', 'refresh-b'])
      .orderBy('id')
      .execute();
    expect(left.map((r) => r.id)).toEqual(['grant-b', 'refresh-b', 'session-b']);
  });
});
