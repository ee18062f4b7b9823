/** The machine interfaces (JSON API, SCIM): bearer tokens, their own error formats, no CSRF. */
export function isMachineInterface(url: string): boolean {
  return url.startsWith('/api/') || url.startsWith('/scim/');
}
