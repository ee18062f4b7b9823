import { jwtVerify, type JWTVerifyGetKey } from 'jose';

/**
 * Validation of a back-channel logout token (OpenID Connect Back-Channel Logout 1.0 §2.6):
 * openid-client 6 does not validate logout tokens, so this uses jose (its own dependency) against
 * the provider's key set.
 */

export const BACKCHANNEL_LOGOUT_EVENT = 'http://schemas.openid.net/event/backchannel-logout';

/** Whom to sign out: every session of `sub`, or the one session `sid` (both when both are given). */
export interface LogoutTarget {
  readonly sub: string | undefined;
  readonly sid: string | undefined;
}

/** A token that passed every check: whom to sign out, and what identifies it against a replay. */
export interface VerifiedLogoutToken extends LogoutTarget {
  readonly jti: string;
  /** When it was issued (seconds since the epoch). */
  readonly iat: number;
}

export class InvalidLogoutToken extends Error {}

/** How old a logout token may be, by default: an older one is refused whatever it says. */
export const LOGOUT_TOKEN_MAX_AGE_SECONDS = 120;

export interface LogoutTokenChecks {
  /** The provider's public keys (jose's createRemoteJWKSet of its jwks_uri). */
  readonly keys: JWTVerifyGetKey;
  readonly issuer: string;
  /** This application's client id. */
  readonly audience: string;
  readonly now: Date;
  /** How old a token may be: a replayed old token is refused. */
  readonly maxAgeSeconds?: number;
}

const optionalString = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

export async function verifyLogoutToken(token: string, checks: LogoutTokenChecks): Promise<VerifiedLogoutToken> {
  let payload: Record<string, unknown>;
  try {
    ({ payload } = await jwtVerify(token, checks.keys, {
      issuer: checks.issuer,
      audience: checks.audience,
      algorithms: ['ES256'],
      currentDate: checks.now,
      maxTokenAge: checks.maxAgeSeconds ?? LOGOUT_TOKEN_MAX_AGE_SECONDS,
      requiredClaims: ['iat', 'jti'],
    }));
  } catch (error) {
    throw new InvalidLogoutToken(error instanceof Error ? error.message : 'The logout token could not be verified');
  }
  const events = payload.events;
  const event =
    typeof events === 'object' && events !== null
      ? (events as Record<string, unknown>)[BACKCHANNEL_LOGOUT_EVENT]
      : undefined;
  if (typeof event !== 'object' || event === null)
    throw new InvalidLogoutToken('The token has no back-channel logout event');
  // A nonce would make it an ID token: the spec forbids it here so that one cannot pass for the other.
  if ('nonce' in payload) throw new InvalidLogoutToken('A logout token must not have a nonce');
  const target = { sub: optionalString(payload.sub), sid: optionalString(payload.sid) };
  if (!target.sub && !target.sid) throw new InvalidLogoutToken('The token names neither a sub nor a sid');
  if (typeof payload.jti !== 'string' || payload.jti === '') throw new InvalidLogoutToken('The token has no jti');
  return { ...target, jti: payload.jti, iat: payload.iat as number };
}

/**
 * The jti of every logout token accepted within its age limit, so that a token captured on the way
 * (or sent twice) is refused the second time. A jti is forgotten once its token is too old to pass
 * the age check anyway, which bounds the memory by what the provider sends in that window.
 */
export class SeenLogoutTokens {
  /** jti → when it may be forgotten (seconds since the epoch). */
  readonly #seen = new Map<string, number>();

  constructor(private readonly maxAgeSeconds = LOGOUT_TOKEN_MAX_AGE_SECONDS) {}

  /** Remembers the token's jti; false when it was already seen (a replay). */
  firstTime(token: Pick<VerifiedLogoutToken, 'jti' | 'iat'>, now: Date): boolean {
    const seconds = now.getTime() / 1000;
    for (const [jti, until] of this.#seen) if (until < seconds) this.#seen.delete(jti);
    if (this.#seen.has(token.jti)) return false;
    this.#seen.set(token.jti, token.iat + this.maxAgeSeconds);
    return true;
  }

  get size(): number {
    return this.#seen.size;
  }
}
