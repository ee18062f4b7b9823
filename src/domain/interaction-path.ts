/**
 * The addresses of a sign-in that an application started through the OpenID Connect provider
 * (issue 16). The provider keeps its interaction cookie for the interaction's own path, and its
 * resume cookie for the path above it (/oidc/auth/:uid): a request below the interaction's path
 * brings both, so the provider can finish the authorization in that request.
 */
const INTERACTION = /^\/oidc\/auth\/([\w-]{1,100})\/interaction$/;

/** Where the provider is mounted; the issuer is BASE_URL followed by this. */
export const OIDC_PATH = '/oidc';

/** Where the provider sends a person to be signed in, and where the sign-in pages return to. */
export const interactionPath = (uid: string): string => `${OIDC_PATH}/auth/${uid}/interaction`;

/** The interaction a return path names, if it names one. */
export function interactionUidOf(returnTo: string | undefined): string | undefined {
  return returnTo === undefined ? undefined : INTERACTION.exec(returnTo)?.[1];
}

/** The sign-in steps whose answer signs the person in. */
export const FINISHING_STEPS = ['two-factor', 'two-factor/passkey', 'two-factor/setup', 'passkey'] as const;
export type FinishingStep = (typeof FINISHING_STEPS)[number];
// Only a uid of the provider's shape: any other names no interaction, so its step is never run.
const FINISHING_STEP_IN_INTERACTION = new RegExp(
  `^/oidc/auth/[\\w-]{1,100}/interaction/(${FINISHING_STEPS.join('|')})/?(\\?|$)`,
);

/**
 * Where a page posts a step that signs the person in: below the interaction when signing in to an
 * application (the browser brings the provider's cookies, and the answer is the application's
 * redirect with the code), else the sign-in pages' own address.
 */
export function finishingStepPath(step: FinishingStep, returnTo: string | undefined): string {
  const uid = interactionUidOf(returnTo);
  return `${uid === undefined ? '/sign-in' : interactionPath(uid)}/${step}`;
}

/**
 * Whether an address is one of those steps inside an interaction: a page's form (CSRF), though below /oidc.
 * Read as the router reads it, %-escapes decoded: `…/two-f%61ctor` runs the two-factor step, so it
 * must not pass for one of the provider's own addresses, which take no CSRF token.
 */
export function isFinishingStepInInteraction(url: string): boolean {
  const path = url.split('?', 1)[0]!;
  let decoded = path;
  try {
    decoded = decodeURIComponent(path);
  } catch {
    // A broken escape is refused by the router before any hook or route runs.
  }
  return FINISHING_STEP_IN_INTERACTION.test(path) || FINISHING_STEP_IN_INTERACTION.test(decoded);
}
