// `crawl` with `estimate: true`: the expected pages, duration and cost (core/estimate.ts), and
// nothing else: no job, no request to any site. The estimate is made from maxPages; the sitemap is
// not read here (a route has seconds and little memory; a sitemap index may name millions of URLs).
import { estimateCrawl } from '../core/estimate.js';
import { formatsOf, keepsContent } from '../core/job.js';
import type { Limits } from '../core/limits.js';
import type { CrawlRequest, ServerMessage } from '../core/messages.js';

export function estimateAnswer(request: CrawlRequest, limits: Limits): ServerMessage {
  const job = { formats: request.formats, ...(request.extract !== undefined ? { extract: request.extract } : {}) };
  const estimate = estimateCrawl(
    {
      seeds: request.seeds ?? [request.url],
      maxPages: request.maxPages,
      hostRate: request.hostRate,
      // Each format beyond the html record is one more object a page (the extractor's output too).
      extraProducts: formatsOf(job).filter((f) => f !== 'html').length + (request.extract !== undefined ? 1 : 0),
      keepsContent: keepsContent(job),
    },
    limits,
  );
  return { type: 'estimate', ...(request.requestId !== undefined ? { requestId: request.requestId } : {}), ...estimate };
}
