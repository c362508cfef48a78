// Which addresses the browser may reach. In AWS mode only public unicast addresses: no loopback,
// private, link-local (the instance metadata service at 169.254.169.254), unique-local, CGNAT,
// multicast or reserved space — also when hidden in IPv4-mapped or NAT64/6to4 IPv6 forms.
import ipaddr from 'ipaddr.js';

export type AddressVerdict = { allowed: true } | { allowed: false; reason: string };

export function checkAddress(address: string): AddressVerdict {
  if (!ipaddr.isValid(address)) return { allowed: false, reason: `not an IP address: ${address}` };
  let parsed = ipaddr.parse(address);
  if (parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).isIPv4MappedAddress()) {
    parsed = (parsed as ipaddr.IPv6).toIPv4Address();
  }
  const range = parsed.range();
  // 'unicast' is what ipaddr.js calls global unicast, the only range that is the public internet.
  if (range !== 'unicast') return { allowed: false, reason: `${address} is in the ${range} range` };
  return { allowed: true };
}

/** Literal IPs in URLs come bracketed (IPv6) or in forms WHATWG URL already canonicalised. */
export function hostToAddress(hostname: string): string | null {
  const bare = hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname;
  return ipaddr.isValid(bare) ? bare : null;
}
