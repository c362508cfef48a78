// Which hosts the browser may connect to. A name is resolved once and every address it resolves to
// must pass the address policy (core/network-policy.ts); the verdict carries the addresses that
// were checked, so the egress proxy connects to exactly those. No second lookup happens between
// the check and the connection, which is what a DNS-rebinding name server relies on.
import { lookup } from 'node:dns/promises';
import type { LookupFunction } from 'node:net';
import { networkInterfaces } from 'node:os';
import { checkAddress, checkEndpoint, checkLocalAddress, hostToAddress, normalisedAddress, type AddressVerdict, type OwnEndpoints } from '../../core/network-policy.js';

export type Resolver = (hostname: string) => Promise<string[]>;
export type AddressPolicy = (address: string) => AddressVerdict;

export type HostVerdict =
  | { allowed: true; addresses: string[] }
  /** `unresolved`: the name has no address (the browser would say ERR_NAME_NOT_RESOLVED) */
  | { allowed: false; unresolved: boolean; reason: string };

/**
 * Resolves and checks a host name (or IP literal, bracketed or not); with `port`, also the
 * connection's port (local mode refuses the stack's own services by port).
 */
export type HostCheck = (hostname: string, port?: number) => Promise<HostVerdict>;

const CACHE_MS = 30_000;

export const systemResolver: Resolver = async (hostname) => (await lookup(hostname, { all: true, verbatim: true })).map((a) => a.address);

/**
 * A host check with a short cache (a page asks for the same few hosts many times). Caching is safe
 * against rebinding because a cached verdict is used with the addresses it checked, never with a
 * fresh answer.
 */
export function hostCheck(resolve: Resolver = systemResolver, policy: AddressPolicy = checkAddress, cacheMs = CACHE_MS, own?: OwnEndpoints): HostCheck {
  const byName = namesCheck(resolve, policy, cacheMs);
  if (!own) return (hostname) => byName(hostname);
  return async (hostname, port) => {
    const verdict = await byName(hostname);
    if (!verdict.allowed || port === undefined) return verdict;
    for (const address of verdict.addresses) {
      const endpoint = checkEndpoint(address, port, own);
      if (!endpoint.allowed) return { allowed: false, unresolved: false, reason: endpoint.reason };
    }
    return verdict;
  };
}

function namesCheck(resolve: Resolver, policy: AddressPolicy, cacheMs: number): (hostname: string) => Promise<HostVerdict> {
  const cache = new Map<string, { verdict: Promise<HostVerdict>; until: number }>();
  const decide = async (hostname: string): Promise<HostVerdict> => {
    let addresses: string[];
    try {
      addresses = await resolve(hostname);
    } catch (error) {
      return { allowed: false, unresolved: true, reason: `${hostname} does not resolve (${(error as Error).message})` };
    }
    if (addresses.length === 0) return { allowed: false, unresolved: true, reason: `${hostname} does not resolve` };
    for (const address of addresses) {
      const verdict = policy(address);
      if (!verdict.allowed) return { allowed: false, unresolved: false, reason: `${hostname} resolves to a non-public address (${verdict.reason})` };
    }
    return { allowed: true, addresses };
  };
  return async (hostname) => {
    const literal = hostToAddress(hostname);
    if (literal) {
      const verdict = policy(literal);
      return verdict.allowed ? { allowed: true, addresses: [literal] } : { allowed: false, unresolved: false, reason: verdict.reason };
    }
    const now = Date.now();
    const cached = cache.get(hostname);
    if (cached && cached.until > now) return cached.verdict;
    // One lookup per name at a time: the tabs that ask at once share it.
    const verdict = decide(hostname);
    cache.set(hostname, { verdict, until: now + cacheMs });
    if (cache.size > 1_000) {
      for (const [name, entry] of cache) if (entry.until <= now) cache.delete(name);
    }
    return verdict;
  };
}

/** No policy (a browser launched without one, as some tests do): every address is allowed, names are still resolved here. */
export const anyHost: HostCheck = hostCheck(systemResolver, () => ({ allowed: true }));

/**
 * The stack's own services as the local-mode check refuses them: the ports of `endpoints` (the
 * emulators', the gateway's URLs), on loopback, on the addresses those URLs name, and on every
 * address of this machine's interfaces (an emulator may listen on all of them).
 */
export function ownEndpointsOf(endpoints: readonly (string | undefined)[], interfaces = networkInterfaces()): OwnEndpoints {
  const ports = new Set<number>();
  const addresses = new Set<string>();
  for (const endpoint of endpoints) {
    if (!endpoint) continue;
    let url: URL;
    try {
      url = new URL(endpoint);
    } catch {
      continue;
    }
    ports.add(Number(url.port || (url.protocol === 'https:' ? 443 : 80)));
    const named = normalisedAddress(url.hostname);
    if (named) addresses.add(named);
  }
  for (const entries of Object.values(interfaces)) {
    for (const entry of entries ?? []) {
      const own = normalisedAddress(entry.address);
      if (own) addresses.add(own);
    }
  }
  return { ports, addresses };
}

/**
 * Local mode (ALLOW_PRIVATE_TARGETS): loopback and private networks are reachable (the test sites),
 * link-local and metadata addresses are not (core/network-policy.ts checkLocalAddress), nor the
 * stack's own services by their ports.
 */
export function localStackHostCheck(own: OwnEndpoints, resolve: Resolver = systemResolver): HostCheck {
  return hostCheck(resolve, checkLocalAddress, CACHE_MS, own);
}

/** A lookup that answers with the checked addresses only: net.connect never asks DNS again. */
export function pinnedLookup(addresses: readonly string[]): LookupFunction {
  const entries = addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  return (_hostname, options, callback) => {
    if (options.all) (callback as (error: null, addresses: typeof entries) => void)(null, entries);
    else callback(null, entries[0]!.address, entries[0]!.family);
  };
}

/**
 * A lookup that checks the name and answers with the addresses it checked, for connections made
 * outside the browser (robots.txt, sitemaps): the address that was judged is the one connected to.
 */
export function checkedLookup(hosts: HostCheck): LookupFunction {
  return (hostname, options, callback) => {
    hosts(hostname).then(
      (verdict) => {
        if (verdict.allowed) return pinnedLookup(verdict.addresses)(hostname, options, callback);
        const error = Object.assign(new Error(verdict.reason), { code: verdict.unresolved ? 'ENOTFOUND' : 'EHOSTBLOCKED' });
        callback(error, '', 0);
      },
      (error: Error) => callback(error, '', 0),
    );
  };
}
