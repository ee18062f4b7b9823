import { generateKeyPairSync, randomBytes } from 'node:crypto';
import type { JWK } from 'oidc-provider';
import {
  deleteRetiredSigningKeys,
  insertCurrentSigningKey,
  listLiveSigningKeys,
  retireCurrentSigningKey,
  type OidcSigningKey,
} from '../../data/queries/oidc-key-queries.ts';
import { audit, type Who } from '../audit.ts';
import type { ServiceDeps } from '../deps.ts';
import { SYSTEM_CONTEXT } from '../request-context.ts';

/** Seconds of clock difference allowed between Nexus and an application checking a token. */
const CLOCK_LEEWAY_SECONDS = 60;

export interface KeySet {
  /** Private JWKs for oidc-provider, the signing key first (the library signs with the first). */
  readonly keys: JWK[];
  /** Changes whenever the keys or the signing key change: a process rebuilds its provider then. */
  readonly fingerprint: string;
}

export interface Rotation {
  readonly kid: string;
  readonly previousKid: string | undefined;
  /** When the new key starts signing. */
  readonly signsFrom: Date;
  /** When the previous key leaves the key set. */
  readonly previousRetiresAt: Date | undefined;
}

function newKey(now: Date, box: ServiceDeps['secretBox']) {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const kid = randomBytes(8).toString('hex');
  const meta = { kid, alg: 'ES256', use: 'sig' };
  return {
    kid,
    privateJwkSealed: box.seal(JSON.stringify({ ...privateKey.export({ format: 'jwk' }), ...meta })),
    publicJwk: { ...publicKey.export({ format: 'jwk' }), ...meta },
    createdAt: now,
  };
}

/**
 * The provider's ES256 signing keys (R61, issue 16 item 6), generated on first start and sealed with
 * the SecretBox. A rotation makes a new key the current one but lets it sign only after
 * `keyPropagationSeconds`, so that every process serves it in the key set before any token carries
 * it; the old key signs until then and stays in the key set until every ID token it signed has
 * expired (its `retire_after`).
 */
export function createSigningKeyService({ db, clock, config, secretBox }: ServiceDeps) {
  const propagationMs = config.oidc.keyPropagationSeconds * 1000;

  /** The key that signs at `now`: the current one once it has propagated, else its predecessor. */
  function signingKey(keys: readonly OidcSigningKey[], now: Date): OidcSigningKey | undefined {
    const current = keys.find((k) => k.retired_at === null);
    const predecessor = keys.find((k) => k.retired_at !== null);
    if (current && (current.created_at.getTime() + propagationMs <= now.getTime() || !predecessor)) return current;
    return predecessor ?? current;
  }

  return {
    /** Makes the first key when there is none; harmless when several processes start at once. */
    async ensureKey(): Promise<void> {
      const keys = await listLiveSigningKeys(db, clock.now());
      if (keys.some((k) => k.retired_at === null)) return;
      await insertCurrentSigningKey(db, newKey(clock.now(), secretBox));
    },

    async keySet(): Promise<KeySet> {
      const now = clock.now();
      const keys = await listLiveSigningKeys(db, now);
      const signer = signingKey(keys, now);
      const ordered = signer ? [signer, ...keys.filter((k) => k !== signer)] : keys;
      return {
        keys: ordered.map((k) => JSON.parse(secretBox.open(k.private_jwk_sealed)) as JWK),
        fingerprint: ordered.map((k) => k.kid).join(' '),
      };
    },

    /** `nexus-accounts keys rotate`: a new current key; audited. */
    async rotate(by: Who): Promise<Rotation> {
      const now = clock.now();
      const signsFrom = new Date(now.getTime() + propagationMs);
      const previousRetiresAt = new Date(
        signsFrom.getTime() + (config.oidc.idTokenMinutes * 60 + CLOCK_LEEWAY_SECONDS) * 1000,
      );
      const key = newKey(now, secretBox);
      const previous = await db.transaction().execute(async (trx) => {
        const retired = await retireCurrentSigningKey(trx, { retiredAt: now, retireAfter: previousRetiresAt });
        await insertCurrentSigningKey(trx, key);
        await audit(trx, by, SYSTEM_CONTEXT, now, {
          action: 'oidc.signing-key-rotated',
          organisationId: null,
          subjectAccountId: null,
          details: {
            kid: key.kid,
            previousKid: retired?.kid,
            signsFrom: signsFrom.toISOString(),
            previousRetiresAt: retired ? previousRetiresAt.toISOString() : undefined,
          },
        });
        return retired;
      });
      return {
        kid: key.kid,
        previousKid: previous?.kid,
        signsFrom,
        previousRetiresAt: previous ? previousRetiresAt : undefined,
      };
    },

    /** Deletes keys whose overlap has ended (they are no longer in the key set anyway). */
    async purgeRetired(): Promise<number> {
      return deleteRetiredSigningKeys(db, clock.now());
    },
  };
}

export type SigningKeyService = ReturnType<typeof createSigningKeyService>;
