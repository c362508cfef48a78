// Which addresses the browser may reach. In AWS mode only public unicast addresses: no loopback,
// private, link-local (the instance metadata service at 169.254.169.254), unique-local, CGNAT,
// multicast or reserved space — also when hidden in an IPv6 form that carries an IPv4 address:
// IPv4-mapped (::ffff:0:0/96) is judged by the address it carries; IPv4-compatible (::/96),
// IPv4-translated (::ffff:0:0:0/96), NAT64 (64:ff9b::/96, 64:ff9b:1::/48), 6to4 (2002::/16) and
// Teredo (2001::/32) are refused whatever they carry: they reach their IPv4 address only through
// a translator or tunnel a crawler never needs, and which might sit next to private networks.
import ipaddr from 'ipaddr.js';

export type AddressVerdict = { allowed: true } | { allowed: false; reason: string };

/** 2000::/3, the only IPv6 space IANA hands out as global unicast; ipaddr.js calls all else 'unicast' too. */
const GLOBAL_UNICAST_V6 = ipaddr.parseCIDR('2000::/3');
const IPV4_COMPATIBLE = ipaddr.parseCIDR('::/96');
/** `::a.b.c.d` is IPv4-compatible, but ipaddr.js parses it as IPv4-mapped `::ffff:a.b.c.d`. */
const DOTTED_IPV4_COMPATIBLE = /^::(?:[0-9a-fx]+\.){3}[0-9a-fx]+(?:%.*)?$/i;

export function checkAddress(address: string): AddressVerdict {
  if (!ipaddr.isValid(address)) return { allowed: false, reason: `not an IP address: ${address}` };
  let parsed = ipaddr.parse(address);
  if (parsed.kind() === 'ipv6') {
    const v6 = parsed as ipaddr.IPv6;
    const compatible = DOTTED_IPV4_COMPATIBLE.test(address) || (v6.match(IPV4_COMPATIBLE) && v6.range() === 'unicast');
    if (compatible) {
      const embedded = ipaddr.fromByteArray(v6.toByteArray().slice(12));
      return { allowed: false, reason: `${address} is in the ipv4Compatible range (embeds ${embedded.toString()})` };
    }
    if (v6.isIPv4MappedAddress()) parsed = v6.toIPv4Address();
  }
  const range = parsed.range();
  // 'unicast' is what ipaddr.js calls global unicast, the only range that is the public internet.
  if (range !== 'unicast') return { allowed: false, reason: `${address} is in the ${range} range` };
  if (parsed.kind() === 'ipv6' && !parsed.match(GLOBAL_UNICAST_V6)) {
    return { allowed: false, reason: `${address} is outside 2000::/3, the IPv6 global unicast space` };
  }
  return { allowed: true };
}

/** Literal IPs in URLs come bracketed (IPv6) or in forms WHATWG URL already canonicalised. */
export function hostToAddress(hostname: string): string | null {
  const bare = hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname;
  return ipaddr.isValid(bare) ? bare : null;
}
