import { describe, expect, it } from 'vitest';
import { redactUrl } from '../../src/http/logging.ts';

describe('request URLs in the log', () => {
  it('leave out the secret of a single-use link and the query of an OpenID Connect request or answer', () => {
    expect(redactUrl('/invitation/s3cr3t-token')).toBe('/invitation/[redacted]');
    expect(redactUrl('/reset-password/s3cr3t-token?x=1')).toBe('/reset-password/[redacted]?x=1');
    expect(redactUrl('/sign-in/la-account/callback?code=abc&state=def')).toBe(
      '/sign-in/la-account/callback?[redacted]',
    );
    expect(redactUrl('/oidc/auth?client_id=a&code_challenge=z&state=s')).toBe('/oidc/auth?[redacted]');
    expect(redactUrl('/oidc/session/end?id_token_hint=eyJ\nx')).toBe('/oidc/session/end?[redacted]');
  });

  it('keep everything else as it is', () => {
    for (const url of ['/oidc/.well-known/openid-configuration', '/admin/users?q=smith', '/sign-in', '/oidcx?code=1'])
      expect(redactUrl(url)).toBe(url);
  });
});
