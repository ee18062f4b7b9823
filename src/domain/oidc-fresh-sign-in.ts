/**
 * When an application's authorization request needs the person to prove who they are again
 * (OpenID Connect Core §3.1.2.1: `prompt=login`, `max_age`), even though they are signed in to Nexus.
 */
export interface SignInDemand {
  /** The application asked for `prompt=login`. */
  readonly promptLogin: boolean;
  /** The application's `max_age`, in seconds. */
  readonly maxAgeSeconds?: number;
  /**
   * Set once this interaction has sent the person to sign in: when the sign-in it found had
   * happened (the epoch if there was none). Only a later sign-in answers the demand, whatever the
   * clocks say, so the same request cannot send the person round again, and coming back with the
   * old session is not enough.
   */
  readonly refusedSignInAt?: Date;
}

/** Whether a person's sign-in at `signedInAt` answers the demand at `now`; if not, they must sign in again. */
export function freshSignInNeeded(demand: SignInDemand, signedInAt: Date, now: Date): boolean {
  if (demand.refusedSignInAt !== undefined) return signedInAt.getTime() <= demand.refusedSignInAt.getTime();
  if (demand.promptLogin) return true;
  return demand.maxAgeSeconds !== undefined && now.getTime() - signedInAt.getTime() > demand.maxAgeSeconds * 1000;
}

/** Whether the request asks anything of the sign-in at all (most do not: nothing is recorded for them). */
export function demandsFreshSignIn(demand: SignInDemand): boolean {
  return demand.promptLogin || demand.maxAgeSeconds !== undefined;
}

/** The demand of an authorization request's parameters, as the provider parsed them. */
export function signInDemandOf(params: Readonly<Record<string, unknown>>, refusedSignInAt?: Date): SignInDemand {
  const prompts = typeof params.prompt === 'string' ? params.prompt.split(' ') : [];
  const maxAge = params.max_age === undefined ? NaN : Number(params.max_age);
  const valid = Number.isSafeInteger(maxAge) && maxAge >= 0;
  return {
    // max_age=0 is prompt=login (Core §3.1.2.1), even within the second the person signed in.
    promptLogin: prompts.includes('login') || (valid && maxAge === 0),
    ...(valid ? { maxAgeSeconds: maxAge } : {}),
    ...(refusedSignInAt ? { refusedSignInAt } : {}),
  };
}
