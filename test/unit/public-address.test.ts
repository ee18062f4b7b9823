import { describe, expect, it } from 'vitest';
import { internalAddressProblem, isInternalAddress } from '../../src/services/identity-providers/public-address.ts';

describe("an LA provider's address must be on the internet (no request forged into the platform's network)", () => {
  it('knows internal addresses from public ones, IPv4 and IPv6', () => {
    for (const internal of [
      '127.0.0.1',
      '10.1.2.3',
      '172.20.0.1',
      '192.168.1.1',
      '169.254.169.254',
      '100.64.0.1',
      '0.0.0.0',
      '::1',
      '::',
      'fd00::1',
      'fe80::1',
      '::ffff:127.0.0.1',
      'not an address',
    ])
      expect(isInternalAddress(internal), internal).toBe(true);
    for (const external of ['20.190.128.1', '8.8.8.8', '172.32.0.1', '2606:4700::1111'])
      expect(isInternalAddress(external), external).toBe(false);
  });

  it('refuses a name that resolves to any internal address, says which, and allows loopback only when told', async () => {
    const resolveTo = (addresses: string[]) => () => Promise.resolve(addresses);
    const url = new URL('https://login.example.org/tenant/v2.0');
    expect(await internalAddressProblem(url, false, resolveTo(['20.190.128.1']))).toBeUndefined();
    expect(await internalAddressProblem(url, false, resolveTo(['20.190.128.1', '10.0.0.7']))).toBe(
      'login.example.org is an address inside a private network (10.0.0.7). The provider must be reachable on the internet.',
    );
    expect(await internalAddressProblem(new URL('https://169.254.169.254/latest'), false)).toMatch(/private network/);
    expect(await internalAddressProblem(new URL('http://127.0.0.1:4000/'), false)).toMatch(/private network/);
    expect(await internalAddressProblem(new URL('http://127.0.0.1:4000/'), true)).toBeUndefined();
    expect(await internalAddressProblem(new URL('http://[::1]:4000/'), true)).toBeUndefined();
    // Loopback allowed does not open the rest of the private network.
    expect(await internalAddressProblem(new URL('https://10.0.0.7/'), true)).toMatch(/private network/);
    expect(await internalAddressProblem(url, false, () => Promise.reject(new Error('ENOTFOUND')))).toBe(
      'Nexus could not find login.example.org: check the issuer URL.',
    );
  });
});
