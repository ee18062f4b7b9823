import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/test-app.ts';

let t: TestApp;
const SYSTEM = { accountId: null, label: 'command line' };

beforeAll(async () => {
  t = await createTestApp({ env: { OIDC_KEY_PROPAGATION_SECONDS: '60', OIDC_ID_TOKEN_MINUTES: '10' } });
});
afterAll(async () => {
  await t.close();
});

const kids = async () => (await t.services.oidcKeys.keySet()).keys.map((k) => k.kid);

describe('signing keys of the OpenID Connect provider (issue 16 item 6)', () => {
  let first: string;

  it('makes one ES256 key on first start, once however often it is asked, stored sealed', async () => {
    await Promise.all([t.services.oidcKeys.ensureKey(), t.services.oidcKeys.ensureKey()]);
    await t.services.oidcKeys.ensureKey();
    const { keys } = await t.services.oidcKeys.keySet();
    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig' });
    expect(keys[0]!.d).toBeTypeOf('string');
    first = keys[0]!.kid!;

    const row = await t.handle.db.selectFrom('oidc_signing_keys').selectAll().executeTakeFirstOrThrow();
    expect(row.private_jwk_sealed).toMatch(/^v1\./);
    expect(row.private_jwk_sealed).not.toContain(keys[0]!.d);
    expect(row.public_jwk).not.toHaveProperty('d');
  });

  it('a rotation publishes the new key at once, signs with it after the propagation time, and drops the old key once its tokens have expired', async () => {
    const rotation = await t.services.oidcKeys.rotate(SYSTEM);
    expect(rotation.previousKid).toBe(first);
    // Published first, signing later: the old key still comes first (the library signs with it).
    expect(await kids()).toEqual([first, rotation.kid]);

    t.clock.advance(60_000);
    expect(await kids()).toEqual([rotation.kid, first]);

    // Its last ID token (signed just before the new key took over) lives 10 minutes, plus a minute's leeway.
    expect(rotation.previousRetiresAt!.getTime() - rotation.signsFrom.getTime()).toBe(11 * 60_000);
    t.clock.set(new Date(rotation.previousRetiresAt!.getTime() - 1));
    expect(await kids()).toEqual([rotation.kid, first]);
    t.clock.set(rotation.previousRetiresAt!);
    expect(await kids()).toEqual([rotation.kid]);

    expect(await t.services.oidcKeys.purgeRetired()).toBe(1);
    const events = await t.handle.db
      .selectFrom('audit_events')
      .select(['action', 'actor_label', 'details'])
      .where('action', '=', 'oidc.signing-key-rotated')
      .execute();
    expect(events).toEqual([
      {
        action: 'oidc.signing-key-rotated',
        actor_label: 'command line',
        details: expect.objectContaining({ kid: rotation.kid, previousKid: first }) as unknown,
      },
    ]);
  });
});
