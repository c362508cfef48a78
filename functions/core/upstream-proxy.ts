// Upstream proxies: the proxies the crawler's traffic leaves through, when a stack names some (its
// setting: a Secrets Manager secret on AWS, UPSTREAM_PROXIES locally) or a crawl brings its own
// (`proxy`, where the stack allows it). Parsed and checked here, picked here; the connection is the
// egress proxy's (adapters/browser/egress-proxy.ts).
//
// A proxy URL holds credentials (`http://user:pass@host:port`): they are kept in `authorization`
// (the Proxy-Authorization header) and nowhere else; what logs, errors, manifests and messages may
// show is `shown`, with user and password masked (a user name can be a secret too: many providers
// put the account, zone or session in it).
import { createHash } from 'node:crypto';

export interface UpstreamProxy {
  /** as WHATWG URL gives it (IPv6 in brackets) */
  hostname: string;
  port: number;
  /** `Basic …` for Proxy-Authorization; absent when the URL names no user */
  authorization?: string;
  /** the URL with its credentials masked: the only form that may be logged or shown */
  shown: string;
}

/** Which proxies one job's traffic may leave through; `key` spreads its hosts over them (pickUpstream). */
export interface UpstreamRoute {
  key: string;
  proxies: readonly UpstreamProxy[];
}

/** Longest proxy URL taken (the request's `proxy`, one entry of the stack's list). */
export const MAX_PROXY_URL_LENGTH = 2_048;
/** Most proxies a stack's list may name. */
export const MAX_STACK_PROXIES = 1_000;

export type ProxyParse = { ok: true; proxy: UpstreamProxy } | { ok: false; reason: string };

/** `http://***@host:port` (or the URL itself when it holds no credentials); never throws. */
export function redactProxyUrl(raw: string): string {
  try {
    const url = new URL(raw);
    const masked = url.username || url.password ? '***@' : '';
    return `${url.protocol}//${masked}${url.host}`;
  } catch {
    // Not a URL: whatever sits before an "@" may be credentials.
    const at = raw.lastIndexOf('@');
    return at >= 0 ? `***@${raw.slice(at + 1, at + 1 + 200)}` : raw.slice(0, 200);
  }
}

/**
 * An upstream proxy's URL: `http://[user:pass@]host[:port]` (port 80 by default). Plain `http:`
 * only: the hop to the proxy is not encrypted (the https pages inside its tunnels are), which is
 * how the common proxy services are reached. Reasons never hold the credentials.
 */
export function parseProxyUrl(raw: string): ProxyParse {
  if (raw.length > MAX_PROXY_URL_LENGTH) return { ok: false, reason: `is longer than ${MAX_PROXY_URL_LENGTH} characters` };
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { ok: false, reason: 'is not a URL (expected http://user:pass@host:port)' };
  }
  const shown = redactProxyUrl(raw);
  if (url.protocol !== 'http:') return { ok: false, reason: `${shown}: only http:// proxies are supported (got ${url.protocol.slice(0, 16)})` };
  if (!url.hostname) return { ok: false, reason: `${shown}: has no host` };
  if ((url.pathname !== '/' && url.pathname !== '') || url.search || url.hash) {
    return { ok: false, reason: `${shown}: a proxy URL has no path, query or fragment` };
  }
  if (url.password && !url.username) return { ok: false, reason: `${shown}: has a password without a user` };
  let authorization: string | undefined;
  if (url.username) {
    let user: string;
    let password: string;
    try {
      user = decodeURIComponent(url.username);
      password = decodeURIComponent(url.password);
    } catch {
      return { ok: false, reason: `${shown}: its credentials are not valid percent-encoding` };
    }
    // RFC 7617: the user id may not hold a colon; neither part a control character.
    if (user.includes(':') || /[\x00-\x1f\x7f]/.test(user + password)) return { ok: false, reason: `${shown}: its credentials hold a colon in the user or a control character` };
    authorization = `Basic ${Buffer.from(`${user}:${password}`, 'utf8').toString('base64')}`;
  }
  return { ok: true, proxy: { hostname: url.hostname, port: Number(url.port || 80), ...(authorization ? { authorization } : {}), shown } };
}

export class ProxyListError extends Error {
  override name = 'ProxyListError';
}

/**
 * The stack's list: a JSON array of URLs, or URLs separated by white space or commas (what an
 * operator types into a secret or an environment variable). An empty text is no proxies. A bad
 * entry fails the whole list (named by its position, never by its credentials): a crawl must not
 * go direct, or through fewer proxies, because one entry had a typo.
 */
export function parseProxyList(text: string): UpstreamProxy[] {
  const trimmed = text.trim();
  if (trimmed === '') return [];
  let entries: unknown[];
  if (trimmed.startsWith('[')) {
    try {
      entries = JSON.parse(trimmed) as unknown[];
    } catch {
      throw new ProxyListError('the proxy list starts with "[" but is not a JSON array');
    }
    if (!Array.isArray(entries)) throw new ProxyListError('the proxy list is not a JSON array');
  } else {
    entries = trimmed.split(/[\s,]+/).filter(Boolean);
  }
  if (entries.length > MAX_STACK_PROXIES) throw new ProxyListError(`the proxy list names ${entries.length} proxies; at most ${MAX_STACK_PROXIES}`);
  return entries.map((entry, index) => {
    if (typeof entry !== 'string') throw new ProxyListError(`proxy list entry ${index + 1} is not a string`);
    const parsed = parseProxyUrl(entry);
    if (!parsed.ok) throw new ProxyListError(`proxy list entry ${index + 1} ${parsed.reason}`);
    return parsed.proxy;
  });
}

/**
 * The proxy a route's traffic to `host` goes through. Rotation is per host within a route (a job):
 * every connection of a job to one host leaves through the same proxy, so a site sees one address
 * for the whole crawl (its cookies and sessions stay consistent, as a visitor's would), while a
 * job's other hosts, and other jobs, are spread over the list. The pick is a hash, not a counter:
 * every crawler environment of the stack picks the same proxy for the same job and host.
 */
export function pickUpstream(route: UpstreamRoute, host: string): UpstreamProxy | undefined {
  const { proxies } = route;
  if (proxies.length <= 1) return proxies[0];
  const digest = createHash('sha256').update(`${route.key}\n${host.toLowerCase()}`).digest();
  return proxies[digest.readUInt32BE(0) % proxies.length];
}
