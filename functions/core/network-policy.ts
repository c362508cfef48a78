// Which addresses the browser may reach (and, in local mode, which ports). In AWS mode only public
// unicast addresses: no loopback, private, link-local (the instance metadata service at
// 169.254.169.254), unique-local, CGNAT, multicast or reserved space — also when hidden in an IPv6
// form that carries an IPv4 address: IPv4-mapped (::ffff:0:0/96) is judged by the address it
// carries; IPv4-compatible (::/96), IPv4-translated (::ffff:0:0:0/96), NAT64 (64:ff9b::/96, 64:ff9b:1::/48), 6to4 (2002::/16) and
// Teredo (2001::/32) are refused whatever they carry: they reach their IPv4 address only through
// a translator or tunnel a crawler never needs, and which might sit next to private networks.
import ipaddr from 'ipaddr.js';

export type AddressVerdict = { allowed: true } | { allowed: false; reason: string };

/** 2000::/3, the only IPv6 space IANA hands out as global unicast; ipaddr.js calls all else 'unicast' too. */
const GLOBAL_UNICAST_V6 = ipaddr.parseCIDR('2000::/3');
const IPV4_COMPATIBLE = ipaddr.parseCIDR('::/96');
/** `::a.b.c.d` is IPv4-compatible, but ipaddr.js parses it as IPv4-mapped `::ffff:a.b.c.d`. */
const DOTTED_IPV4_COMPATIBLE = /^::(?:[0-9a-fx]+\.){3}[0-9a-fx]+(?:%.*)?$/i;

/**
 * The address as the policies judge it: IPv4-mapped IPv6 unwrapped to the IPv4 address it carries;
 * IPv4-compatible refused outright (see above). A verdict when there is nothing to judge further.
 */
function judged(address: string): { ip: ipaddr.IPv4 | ipaddr.IPv6 } | { verdict: AddressVerdict } {
  if (!ipaddr.isValid(address)) return { verdict: { allowed: false, reason: `not an IP address: ${address}` } };
  const parsed = ipaddr.parse(address);
  if (parsed.kind() === 'ipv6') {
    const v6 = parsed as ipaddr.IPv6;
    const compatible = DOTTED_IPV4_COMPATIBLE.test(address) || (v6.match(IPV4_COMPATIBLE) && v6.range() === 'unicast');
    if (compatible) {
      const embedded = ipaddr.fromByteArray(v6.toByteArray().slice(12));
      return { verdict: { allowed: false, reason: `${address} is in the ipv4Compatible range (embeds ${embedded.toString()})` } };
    }
    if (v6.isIPv4MappedAddress()) return { ip: v6.toIPv4Address() };
  }
  return { ip: parsed };
}

/** 'unicast' is what ipaddr.js calls global unicast; for IPv6 only 2000::/3 is handed out as such. */
function globalUnicast(address: string, ip: ipaddr.IPv4 | ipaddr.IPv6): AddressVerdict {
  if (ip.kind() === 'ipv6' && !ip.match(GLOBAL_UNICAST_V6)) return { allowed: false, reason: `${address} is outside 2000::/3, the IPv6 global unicast space` };
  return { allowed: true };
}

export function checkAddress(address: string): AddressVerdict {
  const read = judged(address);
  if ('verdict' in read) return read.verdict;
  const range = read.ip.range();
  // 'unicast' is what ipaddr.js calls global unicast, the only range that is the public internet.
  if (range !== 'unicast') return { allowed: false, reason: `${address} is in the ${range} range` };
  return globalUnicast(address, read.ip);
}

/**
 * Cloud instance metadata services, refused in local mode by name (a clearer reason than the range,
 * and some sit in ranges local mode otherwise lets through: fd00:ec2::254 is unique-local,
 * 100.100.100.200 CGNAT): a developer's machine may be a cloud instance, and its role's
 * credentials are one request away.
 */
const METADATA_ADDRESSES: ReadonlySet<string> = new Set(
  [
    '169.254.169.254', // AWS, GCP, Azure, OpenStack…
    '169.254.170.2', // ECS task credentials
    'fd00:ec2::254', // AWS IMDS over IPv6
    'fd00:ec2::23', // AWS Route 53 resolver over IPv6
    '100.100.100.200', // Alibaba Cloud
    '192.0.0.192', // Oracle Cloud (classic)
  ].map((a) => ipaddr.parse(a).toNormalizedString()),
);

/** Ranges local mode reaches beside the public internet: this machine and the networks it is on. */
const LOCAL_RANGES: ReadonlySet<string> = new Set(['unicast', 'loopback', 'private', 'uniqueLocal', 'carrierGradeNat']);

/**
 * Local mode (ALLOW_PRIVATE_TARGETS): test sites on loopback and private networks are crawlable, but
 * not link-local space (cloud metadata at 169.254.169.254, fe80::/10), metadata addresses elsewhere,
 * unspecified, multicast, broadcast or reserved space, nor an IPv4 address hidden in an IPv6 form
 * (NAT64, 6to4, Teredo, IPv4-compatible), which the public policy refuses too.
 */
export function checkLocalAddress(address: string): AddressVerdict {
  const read = judged(address);
  if ('verdict' in read) return read.verdict;
  if (METADATA_ADDRESSES.has(read.ip.toNormalizedString())) return { allowed: false, reason: `${address} is a cloud metadata address` };
  const range = read.ip.range();
  if (!LOCAL_RANGES.has(range)) return { allowed: false, reason: `${address} is in the ${range} range` };
  return range === 'unicast' ? globalUnicast(address, read.ip) : { allowed: true };
}

/**
 * The stack's own services (in local mode: the emulators and the gateway, whose APIs take writes
 * without real credentials): their ports, and the addresses that reach them besides loopback (the
 * machine's own interfaces, as an emulator may listen on every one, and the address it was named by).
 */
export interface OwnEndpoints {
  ports: ReadonlySet<number>;
  /** normalised (ipaddr.js toNormalizedString) */
  addresses: ReadonlySet<string>;
}

/** Whether a connection to `address`:`port` would reach one of the stack's own services. */
export function checkEndpoint(address: string, port: number, own: OwnEndpoints): AddressVerdict {
  if (!own.ports.has(port) || !ipaddr.isValid(address)) return { allowed: true };
  const read = judged(address);
  const ip = 'ip' in read ? read.ip : ipaddr.parse(address);
  const range = ip.range();
  if (range === 'loopback' || range === 'unspecified' || own.addresses.has(ip.toNormalizedString())) {
    return { allowed: false, reason: `${address}:${port} is one of the stack's own services` };
  }
  return { allowed: true };
}

/** The normalised form OwnEndpoints.addresses holds, or null for what is not an IP address. */
export function normalisedAddress(address: string): string | null {
  const bare = address.replace(/^\[|\]$/g, '').replace(/%.*$/, '');
  if (!ipaddr.isValid(bare)) return null;
  const read = judged(bare);
  return ('ip' in read ? read.ip : ipaddr.parse(bare)).toNormalizedString();
}

/** Literal IPs in URLs come bracketed (IPv6) or in forms WHATWG URL already canonicalised. */
export function hostToAddress(hostname: string): string | null {
  const bare = hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname;
  return ipaddr.isValid(bare) ? bare : null;
}
