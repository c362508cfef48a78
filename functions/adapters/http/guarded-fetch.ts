// A GET for the crawler's own fetches (robots.txt, sitemaps): redirects followed by hand, each hop
// asked of the same address guard as the browser's requests (so neither file can be used to reach
// private hosts), at most `maxBytes` of the body read, the crawler's User-Agent sent.
//
// The connection goes to the addresses the guard checked, never to a second DNS answer: the
// guard's host check is the connection's lookup (a name that resolves to a public address for the
// check and to 169.254.169.254 for the connection, DNS rebinding, gains nothing).
import { Agent, fetch as undiciFetch } from 'undici';
import { checkedLookup, type HostCheck } from '../browser/egress-policy.js';
import type { RequestGuard } from '../browser/request-guard.js';

export interface GuardedFetchOptions {
  guard?: RequestGuard;
  userAgent: string;
  accept: string;
  maxBytes: number;
  maxRedirects: number;
  timeoutMs: number;
  /** for tests: replaces the pinned fetch (and with it the connection-time check) */
  fetch?: typeof fetch;
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

export type Fetch = (url: string, init: { redirect: 'manual'; headers: Record<string, string>; signal: AbortSignal }) => Promise<Response>;

/** The fetch whose connections go only to addresses the guard's host check allowed (also the page fetcher's, http/page-fetch.ts). */
export function fetchFor(options: GuardedFetchOptions): Fetch {
  if (options.fetch) return options.fetch;
  const hosts = options.guard?.hosts;
  if (!hosts) return fetch;
  const dispatcher = pinnedDispatcher(hosts);
  return (url, init) => undiciFetch(url, { ...init, dispatcher }) as unknown as Promise<Response>;
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
}

export async function guardedGet(start: string, options: GuardedFetchOptions): Promise<GuardedResponse> {
  const doFetch = fetchFor(options);
  let target = start;
  try {
    for (let hop = 0; hop <= options.maxRedirects; hop++) {
      if (options.guard) {
        const verdict = await options.guard(target);
        if (!verdict.allowed) return { status: null, error: `blocked: ${verdict.reason}` };
      }
      const response = await doFetch(target, {
        redirect: 'manual',
        headers: { 'user-agent': options.userAgent, accept: options.accept },
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
        return { status: response.status, finalUrl: target };
      }
      const { body, truncated } = await readCapped(response, options.maxBytes);
      return { status: response.status, body, truncated, finalUrl: target };
    }
    return { status: null, error: `more than ${options.maxRedirects} redirects` };
  } catch (error) {
    return { status: null, error: error instanceof Error ? error.message : String(error) };
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
