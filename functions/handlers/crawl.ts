// Route `crawl`: validates the request and starts the job.
import { randomUUID } from 'node:crypto';
import { submitCrawl } from '../app/submit-crawl.js';
import { parseCrawlRequest } from '../core/messages.js';
import { principalOf } from './caller.js';
import { websocketRoute } from './websocket-route.js';

export const handler = websocketRoute(async (event, deps) => {
  const request = parseCrawlRequest(event.body, deps.limits);
  await submitCrawl(request, event.requestContext.connectionId, randomUUID(), deps, principalOf(event));
});
