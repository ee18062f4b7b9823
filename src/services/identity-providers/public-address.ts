import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';

/**
 * Addresses an LA administrator's issuer URL must not make this server fetch from (a request
 * forged through the connection test would otherwise reach the platform's own network):
 * loopback, private, link-local (cloud metadata at 169.254.169.254), shared, multicast, reserved.
 */
const INTERNAL = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const)
  INTERNAL.addSubnet(network, prefix, 'ipv4');
for (const [network, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['64:ff9b::', 96],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
] as const)
  INTERNAL.addSubnet(network, prefix, 'ipv6');

const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');

export function isInternalAddress(address: string): boolean {
  // An IPv4-mapped IPv6 address is the IPv4 address it carries (BlockList matches IPv4 rules for it).
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return isInternalAddress(mapped[1]!);
  const family = isIP(address);
  if (family === 0) return true;
  return INTERNAL.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

function isLoopbackAddress(address: string): boolean {
  const family = isIP(address);
  return family !== 0 && LOOPBACK.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

/**
 * Why this server will not fetch from `url`'s host, or undefined: every address its name resolves
 * to must be public, except loopback when `allowLoopback` (this service itself runs on localhost:
 * development and tests). The name is resolved again by the fetch itself, so a name that changes
 * its answer in between is not caught here.
 */
export async function internalAddressProblem(
  url: URL,
  allowLoopback: boolean,
  resolve: (host: string) => Promise<string[]> = async (host) =>
    (await lookup(host, { all: true, verbatim: true })).map((a) => a.address),
): Promise<string | undefined> {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  let addresses: string[];
  try {
    addresses = isIP(host) ? [host] : await resolve(host);
  } catch {
    return `Nexus could not find ${url.hostname}: check the issuer URL.`;
  }
  const refused = addresses.filter((a) => isInternalAddress(a) && !(allowLoopback && isLoopbackAddress(a)));
  return refused.length > 0
    ? `${url.hostname} is an address inside a private network (${refused[0]}). The provider must be reachable on the internet.`
    : undefined;
}
