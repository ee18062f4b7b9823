import { afterAll, beforeAll, expect, it } from 'vitest';
import type { DatabaseHandle } from '../../src/data/connect.ts';
import type { Db } from '../../src/data/database.ts';
import { createOidcAccountService } from '../../src/services/oidc/oidc-account-service.ts';
import { createAccount, createOrganisation } from '../support/fixtures.ts';
import { createTestDatabase } from '../support/test-db.ts';
import { withQueryHook } from '../support/query-hook.ts';

/**
 * The provider's accounts (src/services/oidc/oidc-account-service.ts): what a request already knows
 * is used, and what it does not is read, at the moment the provider needs it.
 */
let handle: DatabaseHandle;
let db: Db;
let statements = 0;
const SECRET = 'test-secret-key-test-secret-key-0123456789';

beforeAll(async () => {
  handle = await createTestDatabase();
  db = withQueryHook(handle.db, () => statements++);
});
afterAll(async () => handle.close());

it('an account the request has just signed in is found without a statement; its claims are read when asked for', async () => {
  const la = await createOrganisation(handle.db, '381', 'Hereshire');
  const person = await createAccount(handle.db, SECRET, {
    organisationId: la,
    username: 'here.now',
    privileges: ['cin_cla'],
    firstName: 'Hana',
    lastName: 'Here',
  });
  const accounts = createOidcAccountService({ db });
  const before = statements;
  const found = await accounts.find(person.id, { signedInHere: person.id });
  expect(found?.accountId).toBe(person.id);
  expect(statements).toBe(before);

  const claims = await found!.claims('id_token', 'openid profile nexus', {}, []);
  expect(statements).toBe(before + 1);
  expect(claims).toMatchObject({
    sub: person.id,
    name: 'Hana Here',
    preferred_username: 'here.now',
    nexus_la: { code: '381', name: 'Hereshire' },
    nexus_privileges: ['cin_cla'],
    nexus_schools: [],
  });

  // Archived since: no claims for it, and another account is not taken for the one signed in here.
  await handle.db
    .updateTable('accounts')
    .set({ status: 'archived', archived_at: new Date(), archive_reason: 'manual' })
    .where('id', '=', person.id)
    .execute();
  await expect(found!.claims('id_token', 'openid', {}, [])).rejects.toThrow('no longer active');
  expect(await accounts.find(person.id, { signedInHere: '00000000-0000-4000-8000-000000000000' })).toBeUndefined();
});
