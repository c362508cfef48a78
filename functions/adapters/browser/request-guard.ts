// Decides, for each request a tab is about to make, whether it may reach its target: only http(s)
// to public addresses (see core/network-policy.ts and egress-policy.ts). It is the early check: a
// refused navigation or redirect fails the page with a clear reason before anything leaves. The
// enforcement point for every connection the browser opens (pop-ups, workers, WebSockets, WebRTC
// included) is the egress proxy, which applies the same host check; the guard hands it over as
// `hosts`, so the two never disagree and share one lookup per name.
import type { AddressVerdict, OwnEndpoints } from '../../core/network-policy.js';
import { hostCheck, localStackHostCheck, type AddressPolicy, type HostCheck, type Resolver } from './egress-policy.js';

export type { Resolver } from './egress-policy.js';

export type RequestGuard = ((url: string) => Promise<AddressVerdict>) & {
  /** the host check behind the guard; the browser's egress proxy enforces it on every connection */
  readonly hosts?: HostCheck;
};

const NO_NETWORK_SCHEMES = new Set(['data:', 'blob:', 'about:']);

const DEFAULT_PORTS: Record<string, number> = { 'http:': 80, 'https:': 443 };

export function publicOnlyGuard(resolve?: Resolver, policy?: AddressPolicy): RequestGuard {
  return guardOf(hostCheck(resolve, policy));
}

/**
 * Local mode (ALLOW_PRIVATE_TARGETS): loopback and private test sites are crawlable; link-local and
 * metadata addresses and the stack's own services (`own`: the emulators', the gateway's ports) are not.
 */
export function localStackGuard(own: OwnEndpoints, resolve?: Resolver): RequestGuard {
  return guardOf(localStackHostCheck(own, resolve));
}

function guardOf(hosts: HostCheck): RequestGuard {
  const guard = async (url: string): Promise<AddressVerdict> => {
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
    const verdict = await hosts(parsed.hostname, Number(parsed.port || DEFAULT_PORTS[parsed.protocol]));
    return verdict.allowed ? { allowed: true } : { allowed: false, reason: verdict.reason };
  };
  return Object.assign(guard, { hosts });
}
