import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatabaseHandle } from '../../src/data/connect.ts';
import { deleteExpiredOidcState } from '../../src/data/queries/oidc-state-queries.ts';
import { ManualClock } from '../../src/domain/clock.ts';
import { stateAdapter } from '../../src/services/oidc/state-adapter.ts';
import { createTestDatabase } from '../support/test-db.ts';

let handle: DatabaseHandle;
const clock = new ManualClock('2026-11-02T10:00:00Z');
const clients = new Map([['reports', { client_id: 'reports', redirect_uris: ['https://reports.example/cb'] }]]);

beforeAll(async () => {
  handle = await createTestDatabase();
});
afterAll(async () => {
  await handle.close();
});

function adapterFor(model: string) {
  const Adapter = stateAdapter(handle.db, clock, (id) => Promise.resolve(clients.get(id)));
  return new Adapter(model);
}

describe('oidc-provider state adapter (migration 0013)', () => {
  it('stores, finds, consumes and destroys a row of one model', async () => {
    const codes = adapterFor('AuthorizationCode');
    await codes.upsert('code-1', { accountId: 'a1', grantId: 'g1', kind: 'AuthorizationCode' }, 60);
    expect(await codes.find('code-1')).toEqual({ accountId: 'a1', grantId: 'g1', kind: 'AuthorizationCode' });
    // The same id under another model is another row.
    expect(await adapterFor('AccessToken').find('code-1')).toBeUndefined();

    await codes.consume('code-1');
    const consumed = await codes.find('code-1');
    expect(consumed?.consumed).toBeTruthy();

    await codes.destroy('code-1');
    expect(await codes.find('code-1')).toBeUndefined();
  });

  it('replaces a row written again under the same id', async () => {
    const sessions = adapterFor('Session');
    await sessions.upsert('s1', { uid: 'u1', accountId: 'a1' }, 600);
    await sessions.upsert('s1', { uid: 'u1', accountId: 'a2' }, 600);
    expect((await sessions.find('s1'))?.accountId).toBe('a2');
    expect((await sessions.findByUid('u1'))?.accountId).toBe('a2');
    expect(await sessions.findByUid('nobody')).toBeUndefined();
  });

  it('keeps the account of every row that has one, for ending its access (migration 0014)', async () => {
    await adapterFor('Session').upsert('s-acc', { uid: 'u-acc', accountId: 'acc-1', authorizations: {} }, 600);
    await adapterFor('RefreshToken').upsert('rt-acc', { accountId: 'acc-1', grantId: 'g-acc' }, 600);
    await adapterFor('Interaction').upsert('i-acc', { session: { accountId: 'acc-1', uid: 'u-acc' } }, 600);
    await adapterFor('Interaction').upsert('i-done', { result: { login: { accountId: 'acc-1' } } }, 600);
    await adapterFor('ReplayDetection').upsert('r-none', { iss: 'x' }, 600);
    const rows = await handle.db
      .selectFrom('oidc_state')
      .select(['id', 'account_id'])
      .where('id', 'in', ['s-acc', 'rt-acc', 'i-acc', 'i-done', 'r-none'])
      .orderBy('id')
      .execute();
    expect(rows).toEqual([
      { id: 'i-acc', account_id: 'acc-1' },
      { id: 'i-done', account_id: 'acc-1' },
      { id: 'r-none', account_id: null },
      { id: 'rt-acc', account_id: 'acc-1' },
      { id: 's-acc', account_id: 'acc-1' },
    ]);
  });

  it('finds a row by user code', async () => {
    const devices = adapterFor('DeviceCode');
    await devices.upsert('d1', { userCode: 'ABCD-EFGH' }, 600);
    expect(await devices.findByUserCode('ABCD-EFGH')).toEqual({ userCode: 'ABCD-EFGH' });
  });

  it('revokes every token of a grant, whatever its model', async () => {
    await adapterFor('AccessToken').upsert('at-g2', { grantId: 'g2' }, 300);
    await adapterFor('RefreshToken').upsert('rt-g2', { grantId: 'g2' }, 3600);
    await adapterFor('RefreshToken').upsert('rt-g3', { grantId: 'g3' }, 3600);
    await adapterFor('AccessToken').revokeByGrantId('g2');
    expect(await adapterFor('AccessToken').find('at-g2')).toBeUndefined();
    expect(await adapterFor('RefreshToken').find('rt-g2')).toBeUndefined();
    expect(await adapterFor('RefreshToken').find('rt-g3')).toBeDefined();
  });

  it('hides an expired row at once and the clean-up deletes it later', async () => {
    const interactions = adapterFor('Interaction');
    await interactions.upsert('i-short', { kind: 'Interaction' }, 60);
    await interactions.upsert('i-long', { kind: 'Interaction' }, 3600);
    clock.advance(61_000);
    expect(await interactions.find('i-short')).toBeUndefined();
    expect(await interactions.find('i-long')).toBeDefined();

    const deleted = await deleteExpiredOidcState(handle.db, clock.now());
    expect(deleted).toBeGreaterThanOrEqual(1);
    const left = await handle.db
      .selectFrom('oidc_state')
      .select('id')
      .where('id', 'in', ['i-short', 'i-long'])
      .execute();
    expect(left.map((r) => r.id)).toEqual(['i-long']);
    expect(await deleteExpiredOidcState(handle.db, clock.now())).toBe(0);
  });

  it('answers for clients from the registered applications and stores none', async () => {
    const adapter = adapterFor('Client');
    expect(await adapter.find('reports')).toEqual(clients.get('reports'));
    expect(await adapter.find('unknown')).toBeUndefined();
    await expect(adapter.upsert('new', { client_id: 'new' }, 0)).rejects.toThrow(/central support/);
  });
});
