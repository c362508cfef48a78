// Route `crawl`: validates the request and starts the job.
import { randomUUID } from 'node:crypto';
import { submitCrawl } from '../app/submit-crawl.js';
import { EXTRACTOR_NAMES } from '../adapters/products/registry.js';
import { parseCrawlRequest } from '../core/messages.js';
import { principalOf } from './caller.js';
import { websocketRoute } from './websocket-route.js';

export const handler = websocketRoute(async (event, deps) => {
  const request = parseCrawlRequest(event.body, deps.limits, { extractors: EXTRACTOR_NAMES });
  await submitCrawl(request, event.requestContext.connectionId, randomUUID(), deps, principalOf(event));
});
