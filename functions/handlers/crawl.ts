// Route `crawl`: validates the request and starts the job.
import { randomUUID } from 'node:crypto';
import { submitCrawl } from '../app/submit-crawl.js';
import { publicOnlyGuard } from '../adapters/browser/request-guard.js';
import { HttpRobotsPolicy } from '../adapters/http/robots-policy.js';
import { HttpSitemapSource } from '../adapters/http/sitemap-source.js';
import { EXTRACTOR_NAMES } from '../adapters/products/registry.js';
import { flushInvocationUsage, functionMemoryMb } from '../adapters/usage/usage-flush.js';
import { InvocationTally, withUsageScope } from '../adapters/usage/usage-meter.js';
import { parseCrawlRequest } from '../core/messages.js';
import { principalOf } from './caller.js';
import { appRuntime, logger } from './runtime.js';
import { websocketRoute } from './websocket-route.js';

let sitemaps: HttpSitemapSource | undefined;

/** The sitemap reader of this environment, made on the first estimate that needs it: as the workers' (robots.txt's Sitemap: lines, the address guard). */
function routeSitemaps(): HttpSitemapSource {
  if (sitemaps) return sitemaps;
  const { config } = appRuntime();
  // Outside the local runtime only public addresses may be fetched (SSRF protection), as by the workers.
  const guard = config.allowPrivateTargets ? undefined : publicOnlyGuard();
  const robots = new HttpRobotsPolicy({ userAgent: config.robotsUserAgent, header: config.userAgent, transientCacheMs: config.robotsTransientCacheMs, log: logger, guard });
  sitemaps = new HttpSitemapSource({ robots, userAgent: config.userAgent, log: logger, guard });
  return sitemaps;
}

export const handler = websocketRoute(async (event, deps) => {
  const startedAt = Date.now();
  const request = parseCrawlRequest(event.body, deps.limits, { extractors: EXTRACTOR_NAMES });
  const jobId = randomUUID();
  // An estimate with `sitemap: true` counts the seeds' sitemaps (app/estimate-crawl.ts, bounded in time).
  if (request.estimate) return submitCrawl(request, event.requestContext.connectionId, jobId, request.sitemap ? { ...deps, sitemaps: routeSitemaps() } : deps, principalOf(event));
  // The route's own work (this invocation, the job's creation) is the job's usage too: one update
  // of the new job item at the end (none is made when no job was: the update is conditional).
  const { config, clients } = appRuntime();
  const tally = new InvocationTally(startedAt, functionMemoryMb(config.limits.crawlerMemoryMb));
  tally.invokedFor(jobId);
  try {
    await withUsageScope(jobId, tally, () => submitCrawl(request, event.requestContext.connectionId, jobId, deps, principalOf(event)));
  } finally {
    await flushInvocationUsage(tally, clients.dynamo, config.tables.jobs, logger);
  }
});
