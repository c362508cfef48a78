// A seed host's sitemaps over HTTP: the robots.txt `Sitemap:` lines, else /sitemap.xml; indexes
// and gzip followed, bounded in files, bytes and URLs; every fetch through the address guard, as
// robots.txt's. A sitemap that cannot be used is a warning, never a failure of the crawl.
import { gunzipSync } from 'node:zlib';
import { STORED_TEXT_BYTES } from '../../core/limits.js';
import { SITEMAP_MAX_BYTES, SITEMAP_MAX_FILES, SITEMAP_MAX_REDIRECTS, SITEMAP_MAX_URL_LENGTH, parseSitemap, sitemapStartsFor } from '../../core/sitemap.js';
import { boundText } from '../../core/stored-text.js';
import type { Logger, SitemapSource, SitemapUrls } from '../../core/ports.js';
import type { RequestGuard } from '../browser/request-guard.js';
import { guardedGet } from './guarded-fetch.js';
import type { UpstreamProxy } from '../../core/upstream-proxy.js';

export interface SitemapSourceOptions {
  /** the robots.txt policy, which knows each origin's `Sitemap:` lines */
  robots: { sitemaps(url: string): Promise<string[]> };
  userAgent: string;
  log: Logger;
  guard?: RequestGuard;
  timeoutMs?: number;
  maxFiles?: number;
  maxBytes?: number;
  fetch?: typeof fetch;  /** the stack's upstream proxies: the fetches go through them as the browser's pages do */
  upstreams?: () => Promise<readonly UpstreamProxy[]>;
}

export class HttpSitemapSource implements SitemapSource {
  constructor(private readonly options: SitemapSourceOptions) {}

  async urlsFor(seedUrl: string, maxUrls: number, bounds: { keep?: (loc: string) => boolean; deadlineAt?: number } = {}): Promise<SitemapUrls> {
    const now = () => Date.now();
    const listed = await this.options.robots.sitemaps(seedUrl);
    const pending = sitemapStartsFor(seedUrl, listed);
    // The default /sitemap.xml may simply not exist; one robots.txt names must be there.
    const optional = listed.length === 0 ? new Set(pending) : new Set<string>();
    const seen = new Set<string>();
    const urls: string[] = [];
    const warnings: { url: string; error: string }[] = [];
    const maxFiles = this.options.maxFiles ?? SITEMAP_MAX_FILES;
    while (pending.length > 0 && urls.length < maxUrls) {
      const file = pending.shift()!;
      if (seen.has(file)) continue;
      if (seen.size >= maxFiles) {
        warnings.push({ url: file, error: `sitemap not read: more than ${maxFiles} sitemap files` });
        break;
      }
      const left = bounds.deadlineAt === undefined ? undefined : bounds.deadlineAt - now();
      if (left !== undefined && left <= 0) {
        warnings.push({ url: file, error: 'sitemap not read: out of time' });
        break;
      }
      seen.add(file);
      if (file.length > SITEMAP_MAX_URL_LENGTH) {
        warnings.push({ url: file, error: `sitemap not read: its URL has ${file.length} characters, more than ${SITEMAP_MAX_URL_LENGTH}` });
        continue;
      }
      const read = await this.read(file, left);
      if ('error' in read) {
        if (!(optional.has(file) && read.missing)) warnings.push({ url: file, error: `sitemap ${read.error}` });
        continue;
      }
      const content = parseSitemap(read.xml);
      if (content.kind === 'invalid') warnings.push({ url: file, error: `sitemap ${content.why}` });
      else if (content.kind === 'index') pending.push(...content.sitemaps.filter((s) => !seen.has(s)));
      else urls.push(...(bounds.keep ? content.urls.filter(bounds.keep) : content.urls).slice(0, maxUrls - urls.length));
    }
    // Each warning becomes an item of the job's frontier and a line of its manifest: the site chose
    // the URL (and often the error, which may quote it), so both are bounded here.
    const bounded = warnings.map((w) => ({ url: boundText(w.url, STORED_TEXT_BYTES.url), error: boundText(w.error, STORED_TEXT_BYTES.error) }));
    if (bounded.length > 0) this.options.log.warn('sitemap warnings', { seedUrl, warnings: bounded.slice(0, 5) });
    return { urls, warnings: bounded };
  }

  /** `leftMs`: the time left to the caller's deadline, which bounds this file's fetch too. */
  private async read(url: string, leftMs?: number): Promise<{ xml: string } | { error: string; missing?: boolean }> {
    const maxBytes = this.options.maxBytes ?? SITEMAP_MAX_BYTES;
    const answer = await guardedGet(url, {
      guard: this.options.guard,
      userAgent: this.options.userAgent,
      accept: 'application/xml, text/xml, */*',
      maxBytes,
      maxRedirects: SITEMAP_MAX_REDIRECTS,
      timeoutMs: Math.max(1, Math.min(this.options.timeoutMs ?? 10_000, leftMs ?? Number.POSITIVE_INFINITY)),
      fetch: this.options.fetch,
      upstreams: this.options.upstreams,
    });
    if (answer.status === null) return { error: `unavailable (${answer.error ?? 'no response'})` };
    if (answer.status < 200 || answer.status >= 300) return { error: `answered ${answer.status}`, missing: answer.status === 404 || answer.status === 410 };
    if (answer.truncated) return { error: `larger than ${maxBytes} bytes` };
    let body = Buffer.from(answer.body ?? new Uint8Array());
    // Gzip by its magic number, whatever the name or the Content-Type says.
    if (body[0] === 0x1f && body[1] === 0x8b) {
      try {
        body = gunzipSync(body, { maxOutputLength: maxBytes });
      } catch (error) {
        return { error: `not readable gzip or larger than ${maxBytes} bytes uncompressed (${error instanceof Error ? error.message : String(error)})` };
      }
    }
    return { xml: body.toString('utf8') };
  }
}
