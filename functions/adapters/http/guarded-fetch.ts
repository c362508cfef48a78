// A GET for the crawler's own fetches (robots.txt, sitemaps): redirects followed by hand, each hop
// asked of the same address guard as the browser's requests (so neither file can be used to reach
// private hosts), at most `maxBytes` of the body read, the crawler's User-Agent sent.
//
// The connection goes to the addresses the guard checked, never to a second DNS answer: the
// guard's host check is the connection's lookup (a name that resolves to a public address for the
// check and to 169.254.169.254 for the connection, DNS rebinding, gains nothing).
//
// Through the stack's upstream proxies (core/upstream-proxy.ts) when it names some: each hop is
// judged as before, then tunnelled (CONNECT) through the proxy its host is given, whose own address
// is judged by the same check (the connection's lookup) and which gets its Proxy-Authorization.
import { connect as tlsConnect } from 'node:tls';
import { Agent, fetch as undiciFetch, type Dispatcher } from 'undici';
import { pickUpstream, type UpstreamProxy } from '../../core/upstream-proxy.js';
import { anyHost, checkedLookup, type HostCheck } from '../browser/egress-policy.js';
import { admitUpstream, tunnelVia } from '../browser/upstream-hop.js';
import type { RequestGuard } from '../browser/request-guard.js';

export interface GuardedFetchOptions {
  guard?: RequestGuard;
  userAgent: string;
  accept: string;
  maxBytes: number;
  maxRedirects: number;
  timeoutMs: number;
  /** more request headers, sent on every hop (a conditional request's If-None-Match / If-Modified-Since) */
  headers?: Record<string, string>;
  /** for tests: replaces the pinned fetch (and with it the connection-time check) */
  fetch?: typeof fetch;
  /** the stack's upstream proxies (adapters/upstream-proxies.ts); absent or empty: straight to the site */
  upstreams?: () => Promise<readonly UpstreamProxy[]>;
}

const dispatchers = new WeakMap<HostCheck, Agent>();

/** One connection pool per host check, whose every connection is looked up through that check. */
function pinnedDispatcher(hosts: HostCheck): Agent {
  let agent = dispatchers.get(hosts);
  if (!agent) {
    agent = new Agent({ connect: { lookup: checkedLookup(hosts) }, keepAliveTimeout: 4_000 });
    dispatchers.set(hosts, agent);
  }
  return agent;
}

const proxyDispatchers = new Map<string, Agent>();
const TUNNEL_TIMEOUT_MS = 10_000;

/**
 * One pool per upstream (and host check) whose connections are tunnels through it (the egress
 * proxy's own hop, upstream-hop.ts: the upstream judged by the check, its refusals named masked).
 */
function proxyDispatcher(upstream: UpstreamProxy, hosts: HostCheck = anyHost): Dispatcher {
  const key = `${upstream.hostname}:${upstream.port}\n${upstream.authorization ?? ''}`;
  let agent = proxyDispatchers.get(key);
  if (!agent) {
    agent = new Agent({
      keepAliveTimeout: 4_000,
      connect: (opts, callback) => {
        const port = Number(opts.port || (opts.protocol === 'https:' ? 443 : 80));
        admitUpstream(upstream, hosts)
          .then((addresses) => tunnelVia(upstream, addresses, `${opts.hostname}:${port}`, TUNNEL_TIMEOUT_MS))
          .then(
            (socket) => {
              if (opts.protocol !== 'https:') return callback(null, socket.resume());
              const secure = tlsConnect({ socket, servername: opts.servername ?? opts.hostname, ALPNProtocols: ['http/1.1'] });
              secure.once('secureConnect', () => callback(null, secure));
              secure.once('error', (error) => callback(error, null));
            },
            (error: Error) => callback(error, null),
          );
      },
    });
    proxyDispatchers.set(key, agent);
  }
  return agent;
}

export type Fetch = (url: string, init: { redirect: 'manual'; headers: Record<string, string>; signal: AbortSignal }) => Promise<Response>;

/** The fetch whose connections go only to addresses the guard's host check allowed, or through `upstream` (also the page fetcher's, http/page-fetch.ts). */
export function fetchFor(options: GuardedFetchOptions, upstream: UpstreamProxy | undefined): Fetch {
  if (options.fetch) return options.fetch;
  const hosts = options.guard?.hosts;
  if (upstream) {
    const dispatcher = proxyDispatcher(upstream, hosts);
    return (url, init) => undiciFetch(url, { ...init, dispatcher }) as unknown as Promise<Response>;
  }
  if (!hosts) return fetch;
  const dispatcher = pinnedDispatcher(hosts);
  return (url, init) => undiciFetch(url, { ...init, dispatcher }) as unknown as Promise<Response>;
}

/** The upstream this hop goes through: the stack's pick for its host (the same for every environment). */
async function upstreamFor(options: GuardedFetchOptions, target: string): Promise<UpstreamProxy | undefined> {
  const proxies = await options.upstreams?.();
  return proxies?.length ? pickUpstream({ key: '', proxies }, new URL(target).hostname) : undefined;
}

/** status null: no answer (network, refused by the guard, too many redirects), with why in `error`. */
export interface GuardedResponse {
  status: number | null;
  /** the body of a 2xx answer, cut at maxBytes */
  body?: Uint8Array;
  /** true when the body was longer than maxBytes */
  truncated?: boolean;
  error?: string;
  /** the URL the answer came from, after redirects */
  finalUrl?: string;
  /** the answer's ETag and Last-Modified headers, when it sent them */
  etag?: string;
  lastModified?: string;
}

function validatorsOf(response: Response): { etag?: string; lastModified?: string } {
  const etag = response.headers.get('etag');
  const lastModified = response.headers.get('last-modified');
  return { ...(etag ? { etag } : {}), ...(lastModified ? { lastModified } : {}) };
}

export async function guardedGet(start: string, options: GuardedFetchOptions): Promise<GuardedResponse> {
  let target = start;
  try {
    for (let hop = 0; hop <= options.maxRedirects; hop++) {
      if (options.guard) {
        const verdict = await options.guard(target);
        if (!verdict.allowed) return { status: null, error: `blocked: ${verdict.reason}` };
      }
      const upstream = await upstreamFor(options, target);
      const response = await fetchFor(options, upstream)(target, {
        redirect: 'manual',
        headers: { ...options.headers, 'user-agent': options.userAgent, accept: options.accept },
        signal: AbortSignal.timeout(options.timeoutMs),
      });
      const location = response.headers.get('location');
      if (response.status >= 300 && response.status < 400 && location) {
        await response.body?.cancel();
        target = new URL(location, target).href;
        continue;
      }
      if (response.status < 200 || response.status >= 300) {
        await response.body?.cancel();
        return { status: response.status, finalUrl: target, ...validatorsOf(response) };
      }
      const { body, truncated } = await readCapped(response, options.maxBytes);
      return { status: response.status, body, truncated, finalUrl: target, ...validatorsOf(response) };
    }
    return { status: null, error: `more than ${options.maxRedirects} redirects` };
  } catch (error) {
    // fetch() says only "fetch failed"; its cause says what (undici's words for a proxy's refusal
    // name its status, never its credentials)
    const cause = error instanceof Error && error.cause instanceof Error ? `: ${error.cause.message}` : '';
    return { status: null, error: error instanceof Error ? `${error.message}${cause}` : String(error) };
  }
}

/** The first `maxBytes` of the body; the rest is not downloaded. */
export async function readCapped(response: Response, maxBytes: number): Promise<{ body: Uint8Array; truncated: boolean }> {
  if (!response.body) return { body: new Uint8Array(), truncated: false };
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  let done = false;
  while (size <= maxBytes) {
    const next = await reader.read();
    if (next.done) {
      done = true;
      break;
    }
    chunks.push(next.value);
    size += next.value.byteLength;
  }
  await reader.cancel().catch(() => {});
  const all = Buffer.concat(chunks);
  return { body: all.subarray(0, maxBytes), truncated: !done || all.byteLength > maxBytes };
}

export interface GuardedPostOptions {
  guard?: RequestGuard;
  headers: Record<string, string>;
  timeoutMs: number;
  /** for tests: replaces the pinned fetch */
  fetch?: typeof fetch;
}

/**
 * One POST through the same guard and pinned connection as guardedGet (a webhook delivery).
 * Redirects are not followed: a 3xx is an answer like any other non-2xx. The answer's body is not
 * read. status null: no answer (timeout, refused connection, refused by the guard), why in `error`.
 * The stack's own call to its client's receiver: never through the crawls' upstream proxies.
 */
export async function guardedPost(url: string, body: string, options: GuardedPostOptions): Promise<{ status: number | null; error?: string }> {
  const doFetch = fetchFor({ guard: options.guard, fetch: options.fetch, userAgent: '', accept: '', maxBytes: 0, maxRedirects: 0, timeoutMs: options.timeoutMs }, undefined) as unknown as (
    url: string,
    init: { method: 'POST'; redirect: 'manual'; headers: Record<string, string>; body: string; signal: AbortSignal },
  ) => Promise<Response>;
  try {
    if (options.guard) {
      const verdict = await options.guard(url);
      if (!verdict.allowed) return { status: null, error: `blocked: ${verdict.reason}` };
    }
    const response = await doFetch(url, { method: 'POST', redirect: 'manual', headers: options.headers, body, signal: AbortSignal.timeout(options.timeoutMs) });
    await response.body?.cancel().catch(() => {});
    return { status: response.status };
  } catch (error) {
    const name = (error as { name?: string }).name;
    if (name === 'TimeoutError' || name === 'AbortError') return { status: null, error: `no answer within ${options.timeoutMs} ms` };
    return { status: null, error: error instanceof Error ? ((error.cause as Error | undefined)?.message ?? error.message) : String(error) };
  }
}
