import { afterEach, describe, expect, it, vi } from 'vitest';
import { libraryFetch } from '../../src/oidc/provider.ts';

/** The provider's outgoing requests keep oidc-provider's guard against private addresses, except its back-channel logouts. */
describe('libraryFetch', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  const guard = { name: 'the library’s SSRF-protected dispatcher' };
  const sent = () => {
    const spy = vi.spyOn(globalThis, 'fetch').mockResolvedValue(new Response(null, { status: 200 }));
    return () => spy.mock.calls.map(([, options]) => (options as { dispatcher?: unknown }).dispatcher);
  };

  it('keeps the guard on a GET of an application’s key set', async () => {
    const dispatchers = sent();
    await libraryFetch('https://10.0.0.5/jwks.json', { method: 'GET', dispatcher: guard } as RequestInit);
    expect(dispatchers()).toEqual([guard]);
  });

  it('keeps the guard on a POST that is not a logout token', async () => {
    const dispatchers = sent();
    await libraryFetch('http://127.0.0.1/notify', {
      method: 'POST',
      body: new URLSearchParams({ auth_req_id: 'x' }),
      dispatcher: guard,
    } as RequestInit);
    expect(dispatchers()).toEqual([guard]);
  });

  it('drops it for a back-channel logout, which may go to the platform’s own network', async () => {
    const dispatchers = sent();
    await libraryFetch('http://127.0.0.1/backchannel-logout', {
      method: 'POST',
      body: new URLSearchParams({ logout_token: 'a.b.c' }),
      dispatcher: guard,
    } as RequestInit);
    expect(dispatchers()).toEqual([undefined]);
  });
});
