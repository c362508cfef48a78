// Which hosts the browser may connect to. A name is resolved once and every address it resolves to
// must pass the address policy (core/network-policy.ts); the verdict carries the addresses that
// were checked, so the egress proxy connects to exactly those. No second lookup happens between
// the check and the connection, which is what a DNS-rebinding name server relies on.
import { lookup } from 'node:dns/promises';
import { checkAddress, hostToAddress, type AddressVerdict } from '../../core/network-policy.js';

export type Resolver = (hostname: string) => Promise<string[]>;
export type AddressPolicy = (address: string) => AddressVerdict;

export type HostVerdict =
  | { allowed: true; addresses: string[] }
  /** `unresolved`: the name has no address (the browser would say ERR_NAME_NOT_RESOLVED) */
  | { allowed: false; unresolved: boolean; reason: string };

/** Resolves and checks a host name (or IP literal, bracketed or not). */
export type HostCheck = (hostname: string) => Promise<HostVerdict>;

const CACHE_MS = 30_000;

export const systemResolver: Resolver = async (hostname) => (await lookup(hostname, { all: true, verbatim: true })).map((a) => a.address);

/**
 * A host check with a short cache (a page asks for the same few hosts many times). Caching is safe
 * against rebinding because a cached verdict is used with the addresses it checked, never with a
 * fresh answer.
 */
export function hostCheck(resolve: Resolver = systemResolver, policy: AddressPolicy = checkAddress, cacheMs = CACHE_MS): HostCheck {
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

/** Local mode (ALLOW_PRIVATE_TARGETS): every address is allowed, names are still resolved here. */
export const anyHost: HostCheck = hostCheck(systemResolver, () => ({ allowed: true }));
