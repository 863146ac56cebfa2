// Who a request comes from, for the per-client limits: the TCP peer's address, unless that peer is a reverse proxy
// named in ZIMAGE_TRUSTED_PROXIES, in which case the right-most X-Forwarded-For hop that is not a trusted proxy (each
// proxy appends the address it received the request from, so everything left of the last untrusted hop may be
// forged by the client). Next.js itself keeps whatever X-Forwarded-For a client sends (base-server.js sets it from
// the socket only when absent), so server.ts runs this on every request and overwrites the header before Next.js
// sees it. Deliberately pure: no sockets here, the server hands in the peer address and the header.
import net from 'node:net';

/** IPv4-mapped IPv6 ("::ffff:10.0.0.1") reads as the IPv4 address; brackets and zone ids go. */
export function normalizeAddress(address: string): string {
  const bare = address.trim().replace(/^\[(.*)\]$/, '$1').replace(/%.*$/, '').toLowerCase();
  return bare.replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/, '');
}

/** One entry of ZIMAGE_TRUSTED_PROXIES: an address or a CIDR range; an Error that says what is wrong otherwise. */
export function parseProxyEntry(entry: string): { address: string; prefix: number; family: 'ipv4' | 'ipv6' } | Error {
  const [rawAddress, rawPrefix, extra] = entry.trim().split('/');
  const address = normalizeAddress(rawAddress ?? '');
  const family = net.isIPv4(address) ? 'ipv4' : net.isIPv6(address) ? 'ipv6' : undefined;
  if (!family || extra !== undefined) return new Error(`"${entry}" is not an IP address or CIDR range (e.g. 10.0.0.0/8, ::1)`);
  const max = family === 'ipv4' ? 32 : 128;
  const prefix = rawPrefix === undefined ? max : Number(rawPrefix);
  if (!/^\d{1,3}$/.test(rawPrefix ?? String(max)) || prefix > max) return new Error(`"${entry}" has a prefix outside 0–${max}`);
  return { address, prefix, family };
}

/** Whether an address belongs to a trusted proxy. */
export type TrustedProxies = (address: string) => boolean;

export function trustedProxies(entries: readonly string[]): TrustedProxies {
  const list = new net.BlockList();
  for (const entry of entries) {
    const parsed = parseProxyEntry(entry);
    if (parsed instanceof Error) throw parsed;
    list.addSubnet(parsed.address, parsed.prefix, parsed.family);
  }
  return (address) => {
    const bare = normalizeAddress(address);
    const family = net.isIPv4(bare) ? 'ipv4' : net.isIPv6(bare) ? 'ipv6' : undefined;
    return family !== undefined && list.check(bare, family);
  };
}

/**
 * The client's address: the peer's, or behind trusted proxies the right-most X-Forwarded-For hop they did not add.
 * `forwardedFor` is the header as Node gives it (several headers arrive joined by ", ").
 */
export function clientAddress(peer: string | undefined, forwardedFor: string | string[] | undefined, trusted: TrustedProxies): string {
  const socket = normalizeAddress(peer ?? '') || 'unknown';
  if (!trusted(socket)) return socket;
  const hops = [forwardedFor ?? []].flat().join(',').split(',').map(normalizeAddress).filter(Boolean);
  let client = socket;
  for (let index = hops.length - 1; index >= 0; index--) {
    client = hops[index];
    if (!trusted(client)) break;
  }
  // A hop that is not an address was written by a trusted proxy (everything right of it is trusted): keep it short.
  return client.slice(0, 64);
}
