/** The session cookie's name: the __Host- prefix pins the cookie to this host and path over HTTPS. */
export function sessionCookieName(secure: boolean): string {
  return secure ? '__Host-nexus_session' : 'nexus_session';
}
