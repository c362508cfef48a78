// A `since` crawl's conditional request (app/conditional-fetch.ts): a GET with the page's stored
// validators, through the same egress guard and pinned lookup as robots.txt and sitemaps
// (guarded-fetch.ts), the crawler's User-Agent sent. Only the status matters: a 304 has no body,
// and of a 200 nothing is read (the page is rendered next, in the browser).
import type { ConditionalAnswer, ConditionalFetcher, Validators } from '../../core/ports.js';
import type { UpstreamProxy } from '../../core/upstream-proxy.js';
import type { RequestGuard } from '../browser/request-guard.js';
import { guardedGet } from './guarded-fetch.js';

export interface HttpConditionalFetcherOptions {
  guard?: RequestGuard;
  userAgent: string;
  timeoutMs?: number;
  /** the stack's upstream proxies, as for robots.txt (a job with its own proxy asks nothing conditionally) */
  upstreams?: () => Promise<readonly UpstreamProxy[]>;
  /** for tests: replaces the pinned fetch */
  fetch?: typeof fetch;
}

export class HttpConditionalFetcher implements ConditionalFetcher {
  constructor(private readonly options: HttpConditionalFetcherOptions) {}

  async fetch(url: string, validators: Validators): Promise<ConditionalAnswer> {
    const headers: Record<string, string> = {};
    if (validators.etag) headers['if-none-match'] = validators.etag;
    if (validators.lastModified) headers['if-modified-since'] = validators.lastModified;
    const answer = await guardedGet(url, {
      ...(this.options.guard ? { guard: this.options.guard } : {}),
      ...(this.options.fetch ? { fetch: this.options.fetch } : {}),
      ...(this.options.upstreams ? { upstreams: this.options.upstreams } : {}),
      userAgent: this.options.userAgent,
      accept: 'text/html,application/xhtml+xml,*/*;q=0.8',
      headers,
      // nothing of a 200 is kept: the browser renders the page next
      maxBytes: 0,
      maxRedirects: 5,
      timeoutMs: this.options.timeoutMs ?? 15_000,
    });
    const sent = { ...(answer.etag ? { etag: answer.etag } : {}), ...(answer.lastModified ? { lastModified: answer.lastModified } : {}) };
    return { status: answer.status, ...(Object.keys(sent).length > 0 ? { validators: sent } : {}), ...(answer.error ? { error: answer.error } : {}) };
  }
}
