import { isFinishingStepInInteraction } from '../domain/interaction-path.ts';

/**
 * The machine interfaces (JSON API, SCIM, the OpenID Connect provider): bearer tokens or client
 * credentials, their own error formats, no CSRF (the provider guards its own forms). The sign-in
 * pages' last steps inside an interaction are pages, though below /oidc for the provider's cookies.
 */
export function isMachineInterface(url: string): boolean {
  return url.startsWith('/api/') || url.startsWith('/scim/') || (isOidc(url) && !isFinishingStepInInteraction(url));
}

/** The OpenID Connect provider's paths (src/oidc/). */
export function isOidc(url: string): boolean {
  return url === '/oidc' || url.startsWith('/oidc/') || url.startsWith('/oidc?');
}
