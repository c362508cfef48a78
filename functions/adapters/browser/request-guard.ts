// Decides, for each request the browser is about to make, whether it may reach its target: only
// http(s) to public addresses (see core/network-policy.ts). Names are resolved before allowing,
// and every address a name resolves to must be public.
import { lookup } from 'node:dns/promises';
import { checkAddress, hostToAddress, type AddressVerdict } from '../../core/network-policy.js';

export type RequestGuard = (url: string) => Promise<AddressVerdict>;

const NO_NETWORK_SCHEMES = new Set(['data:', 'blob:', 'about:']);
const CACHE_MS = 30_000;

export type Resolver = (hostname: string) => Promise<string[]>;

const systemResolver: Resolver = async (hostname) => (await lookup(hostname, { all: true, verbatim: true })).map((a) => a.address);

export function publicOnlyGuard(resolve: Resolver = systemResolver, policy: (address: string) => AddressVerdict = checkAddress): RequestGuard {
  const cache = new Map<string, { verdict: AddressVerdict; until: number }>();
  return async (url) => {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      return { allowed: false, reason: 'unparseable URL' };
    }
    if (NO_NETWORK_SCHEMES.has(parsed.protocol)) return { allowed: true };
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
      return { allowed: false, reason: `scheme ${parsed.protocol} is not allowed` };
    }
    const literal = hostToAddress(parsed.hostname);
    if (literal) return policy(literal);
    const cached = cache.get(parsed.hostname);
    if (cached && cached.until > Date.now()) return cached.verdict;
    let verdict: AddressVerdict;
    try {
      const addresses = await resolve(parsed.hostname);
      const refused = addresses.map(policy).find((v) => !v.allowed);
      verdict = addresses.length === 0 ? { allowed: false, reason: `${parsed.hostname} does not resolve` } : (refused ?? { allowed: true });
      if (!verdict.allowed) verdict = { allowed: false, reason: `${parsed.hostname} resolves to a non-public address (${verdict.reason})` };
    } catch (error) {
      verdict = { allowed: false, reason: `${parsed.hostname} does not resolve (${(error as Error).message})` };
    }
    cache.set(parsed.hostname, { verdict, until: Date.now() + CACHE_MS });
    return verdict;
  };
}
