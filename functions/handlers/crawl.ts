// Route `crawl`: validates the request and starts the job.
import { randomUUID } from 'node:crypto';
import { submitCrawl } from '../app/submit-crawl.js';
import { EXTRACTOR_NAMES } from '../adapters/products/registry.js';
import { flushInvocationUsage, functionMemoryMb } from '../adapters/usage/usage-flush.js';
import { InvocationTally, withUsageScope } from '../adapters/usage/usage-meter.js';
import { parseCrawlRequest } from '../core/messages.js';
import { principalOf } from './caller.js';
import { appRuntime, logger } from './runtime.js';
import { websocketRoute } from './websocket-route.js';

export const handler = websocketRoute(async (event, deps) => {
  const startedAt = Date.now();
  const request = parseCrawlRequest(event.body, deps.limits, { extractors: EXTRACTOR_NAMES });
  const jobId = randomUUID();
  if (request.estimate) return submitCrawl(request, event.requestContext.connectionId, jobId, deps, principalOf(event));
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
