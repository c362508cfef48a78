// A page fetched without a browser (`render: "http"`): a GET through the same pinned, guarded
// connections as robots.txt and sitemaps (guarded-fetch.ts), each redirect hop judged by the guard
// before it is requested, the body read up to a byte cap within a time bound. Every hop is kept as
// an exchange (request and response, as sent and received), so the archive product can write the
// page's WARC records as it does for the browser's.
//
// The job's headers and cookies go to the seeds' origins only (core/seed-credentials.ts), hop by
// hop: a redirect to another origin does not carry them.
import { STATUS_CODES } from 'node:http';
import { credentialOverrides, type SeedCredentials } from '../../core/seed-credentials.js';
import type { RequestGuard } from '../browser/request-guard.js';
import { RenderError } from '../browser/errors.js';
import type { Exchange } from '../products/archive/exchange-recorder.js';
import type { UpstreamProxy } from '../../core/upstream-proxy.js';
import { fetchFor, readCapped, type Fetch } from './guarded-fetch.js';

export interface PageFetchOptions {
  guard?: RequestGuard;
  userAgent: string;
  maxBytes: number;
  maxRedirects: number;
  timeoutMs: number;
  credentials?: SeedCredentials & { origins: readonly string[] };
  /** the upstream proxy every hop of this page goes through (the crawl's own, or the stack's pick for its host) */
  upstream?: UpstreamProxy;
  /** for tests: replaces the pinned fetch */
  fetch?: typeof fetch;
}

export interface FetchedPage {
  /** the URL the answer came from, after redirects */
  finalUrl: string;
  status: number;
  contentType: string | null;
  /** response headers of the final answer, lower-case names */
  headers: Record<string, string>;
  body: Uint8Array;
  truncated: boolean;
  /** the hops before finalUrl, in order */
  redirectChain: string[];
  /** every hop as requested and answered (redirects with empty bodies), for the archive */
  exchanges: Exchange[];
}

/** Accept as a browser sends it for a navigation: servers that vary on it answer the same page. */
const ACCEPT = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';

/** Fetches a page; throws RenderError as the browser's renderer does (blocked, timeout, network). */
export async function fetchPage(url: string, options: PageFetchOptions): Promise<FetchedPage> {
  const doFetch: Fetch = fetchFor({ ...options, accept: ACCEPT }, options.upstream);
  const deadline = AbortSignal.timeout(options.timeoutMs);
  const exchanges: Exchange[] = [];
  const redirectChain: string[] = [];
  let target = url;
  try {
    for (let hop = 0; hop <= options.maxRedirects; hop++) {
      if (options.guard) {
        const verdict = await options.guard(target);
        if (!verdict.allowed) throw new RenderError('blocked', `blocked: ${verdict.reason} (${target})`, false);
      }
      const headers = requestHeaders(target, options);
      const date = new Date().toISOString();
      const response = await doFetch(target, { redirect: 'manual', headers, signal: deadline });
      const location = response.headers.get('location');
      const redirect = response.status >= 300 && response.status < 400 && location;
      const { body, truncated } = redirect ? (await response.body?.cancel(), { body: new Uint8Array(), truncated: false }) : await readCapped(response, options.maxBytes);
      const responseHeaders = headerPairs(response.headers);
      exchanges.push({
        url: target,
        method: 'GET',
        date,
        // as sent: the connection adds Host (the archive's request record names it)
        requestHeaders: [['host', new URL(target).host], ...Object.entries(headers)],
        response: {
          status: response.status,
          statusText: response.statusText || STATUS_CODES[response.status] || '',
          headers: responseHeaders,
          mimeType: (response.headers.get('content-type') ?? '').split(';')[0]!.trim(),
        },
        body,
        truncated,
        done: true,
        bodyMissing: false,
      });
      if (redirect) {
        redirectChain.push(target);
        target = new URL(location, target).href;
        continue;
      }
      return {
        finalUrl: target,
        status: response.status,
        contentType: response.headers.get('content-type'),
        headers: Object.fromEntries(responseHeaders.map(([name, value]) => [name.toLowerCase(), value])),
        body,
        truncated,
        redirectChain,
        exchanges,
      };
    }
    throw new RenderError('network', `more than ${options.maxRedirects} redirects (${url})`, false);
  } catch (error) {
    if (error instanceof RenderError) throw error;
    if (deadline.aborted) throw new RenderError('timeout', `navigation timeout of ${options.timeoutMs} ms exceeded (${target})`, true);
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    throw new RenderError('network', `fetch failed: ${cause?.code ?? cause?.message ?? (error as Error).message} (${target})`, true);
  }
}

/** The crawler's headers, and the job's for a seed origin (a Cookie header the site set is not kept: no jar). */
function requestHeaders(target: string, options: PageFetchOptions): Record<string, string> {
  const headers: Record<string, string> = { 'user-agent': options.userAgent, accept: ACCEPT, 'accept-encoding': 'gzip, deflate, br' };
  const added = options.credentials ? credentialOverrides(target, undefined, options.credentials) : undefined;
  if (added) {
    for (const [name, value] of Object.entries(added.headers)) headers[name.toLowerCase()] = value;
    if (added.cookie !== undefined) headers['cookie'] = added.cookie;
  }
  return headers;
}

/** Headers in order, Set-Cookie lines kept apart (as WARC keeps them). */
function headerPairs(headers: Headers): [string, string][] {
  const pairs: [string, string][] = [];
  headers.forEach((value, name) => {
    if (name !== 'set-cookie') pairs.push([name, value]);
  });
  for (const cookie of headers.getSetCookie?.() ?? []) pairs.push(['set-cookie', cookie]);
  return pairs;
}
