// `crawl` with `estimate: true`: the expected pages, duration and cost (core/estimate.ts), and
// nothing else: no job, nothing crawled. From maxPages; with `sitemap: true`, from the number of
// in-scope URLs the seeds' sitemaps list (with the seeds), when that is smaller: the site's own
// count of its pages. The sitemaps are read within bounds a route can afford (it has 28 s and
// 256 MB; a sitemap index may name millions of URLs): at most SITEMAP_MAX_FILES files per host,
// maxPages URLs kept, and ESTIMATE_SITEMAP_BUDGET_MS for all of it — what was read by then counts.
import { estimateCrawl } from '../core/estimate.js';
import { formatsOf, keepsContent } from '../core/job.js';
import type { Limits } from '../core/limits.js';
import type { CrawlRequest, ServerMessage } from '../core/messages.js';
import type { SitemapSource } from '../core/ports.js';
import { makeSeedsScope } from '../core/scope.js';
import { normaliseLink } from '../core/url.js';

/** the time an estimate spends reading sitemaps, all seeds' hosts at once: well inside the route's 28 s */
export const ESTIMATE_SITEMAP_BUDGET_MS = 10_000;

export async function estimateAnswer(request: CrawlRequest, limits: Limits, sitemaps?: SitemapSource, now: () => number = Date.now): Promise<ServerMessage> {
  const counted = request.sitemap && sitemaps ? await sitemapPages(request, limits, sitemaps, now() + ESTIMATE_SITEMAP_BUDGET_MS) : undefined;
  const job = { formats: request.formats, ...(request.extract !== undefined ? { extract: request.extract } : {}) };
  const estimate = estimateCrawl(
    {
      seeds: request.seeds ?? [request.url],
      maxPages: counted === undefined ? request.maxPages : Math.min(counted.pages, request.maxPages),
      hostRate: request.hostRate,
      // Each format beyond the html record is one more object a page (the extractor's output too).
      extraProducts: formatsOf(job).filter((f) => f !== 'html').length + (request.extract !== undefined ? 1 : 0),
      keepsContent: keepsContent(job),
    },
    limits,
  );
  return {
    type: 'estimate',
    ...(request.requestId !== undefined ? { requestId: request.requestId } : {}),
    ...estimate,
    // What the pages were estimated from; with the sitemaps, how many in-scope URLs they listed
    // (a lower bound of the site: a crawl also follows links) and whether all of them were read.
    basis: counted === undefined ? 'maxPages' : 'sitemap',
    ...(counted !== undefined ? { sitemapUrls: counted.pages, sitemapComplete: counted.complete } : {}),
  };
}

/**
 * The distinct in-scope URLs of the seeds and their hosts' sitemaps, at most maxPages; undefined
 * when no sitemap listed any (none found, none readable): the estimate is then from maxPages.
 */
async function sitemapPages(request: CrawlRequest, limits: Limits, sitemaps: SitemapSource, deadlineAt: number): Promise<{ pages: number; complete: boolean } | undefined> {
  const seeds = request.seeds ?? [request.url];
  const inScope = makeSeedsScope({ seeds, scope: request.scope, include: request.include, exclude: request.exclude });
  const keep = (loc: string) => {
    const url = normaliseLink(loc, loc, limits.maxUrlLength);
    return url !== null && inScope(url);
  };
  // One read per host (seeds of one host share its sitemaps), all at once against one deadline.
  const byOrigin = new Map(seeds.map((seed) => [new URL(seed).origin, seed]));
  const reads = await Promise.all(
    [...byOrigin.values()].map((seed) =>
      sitemaps.urlsFor(seed, request.maxPages, { keep, deadlineAt }).catch((error: unknown) => ({ urls: [], warnings: [{ url: seed, error: String(error) }] })),
    ),
  );
  const listed = new Set(reads.flatMap((read) => read.urls.map((loc) => normaliseLink(loc, loc, limits.maxUrlLength)!)));
  if (listed.size === 0) return undefined;
  for (const seed of seeds) listed.add(seed);
  // Complete: every sitemap file was read (or maxPages URLs were found before the rest was needed).
  return { pages: Math.min(listed.size, request.maxPages), complete: reads.every((read) => read.warnings.length === 0) };
}
