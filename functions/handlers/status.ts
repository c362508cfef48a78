// Route `status`: a job's counters, and its manifest URL once finished (only to its creator's principal).
import { jobStatus } from '../app/job-status.js';
import { parseJobRequest } from '../core/messages.js';
import { principalOf } from './caller.js';
import { websocketRoute } from './websocket-route.js';

// The asking connection becomes the one a running job notifies (a client resuming after a reconnect).
export const handler = websocketRoute(async (event, deps) =>
  jobStatus(parseJobRequest(event.body, 'status', deps.limits), deps, principalOf(event), event.requestContext.connectionId),
);
