// Route `redrive`: crawls again the failed URLs of a finished job, in that job (only for its creator's principal).
import { redriveJob } from '../app/redrive-job.js';
import { parseJobRequest } from '../core/messages.js';
import { principalOf } from './caller.js';
import { websocketRoute } from './websocket-route.js';

export const handler = websocketRoute(async (event, deps) => {
  const request = parseJobRequest(event.body, 'redrive', deps.limits);
  await redriveJob(request, event.requestContext.connectionId, deps, principalOf(event));
});
