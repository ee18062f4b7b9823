import type Provider from 'oidc-provider';
import type { Services } from '../services/index.ts';
import { buildProvider } from './provider.ts';

/** How often a process looks for a new signing key (`keys rotate` in another process). */
export const KEY_CHECK_MS = 30_000;

/**
 * The provider of this process, rebuilt when the signing keys change. The library takes its keys
 * once, when it is made; everything else it keeps is in the database, so a new instance carries on
 * where the old one was. The keys are looked at again at most every KEY_CHECK_MS, which is why a
 * rotated key is published for OIDC_KEY_PROPAGATION_SECONDS (twice this, by default) before it signs.
 */
export function providerHost(services: Services) {
  let current: { provider: Provider; fingerprint: string; checkedAt: number } | undefined;
  let checking: Promise<Provider> | undefined;

  const check = (): Promise<Provider> =>
    (checking ??= (async () => {
      await services.oidcKeys.ensureKey();
      const keySet = await services.oidcKeys.keySet();
      const checkedAt = performance.now();
      if (current?.fingerprint === keySet.fingerprint) current.checkedAt = checkedAt;
      else current = { provider: buildProvider(services, keySet.keys), fingerprint: keySet.fingerprint, checkedAt };
      return current.provider;
    })().finally(() => {
      checking = undefined;
    }));

  return {
    async provider(): Promise<Provider> {
      if (current && performance.now() - current.checkedAt < KEY_CHECK_MS) return current.provider;
      return check();
    },
    /** Looks at the keys now (tests, after a rotation). */
    refresh: check,
  };
}

export type ProviderHost = ReturnType<typeof providerHost>;

declare module 'fastify' {
  interface FastifyInstance {
    /** The OpenID Connect provider of this process. */
    oidc: ProviderHost;
  }
}
