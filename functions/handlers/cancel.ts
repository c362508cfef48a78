// Route `cancel`: ends a running job as cancelled (only for its creator's principal).
import { cancelJob } from '../app/cancel-job.js';
import { parseJobRequest } from '../core/messages.js';
import { principalOf } from './caller.js';
import { websocketRoute } from './websocket-route.js';

export const handler = websocketRoute(async (event, deps) => cancelJob(parseJobRequest(event.body, 'cancel', deps.limits), deps, principalOf(event)));
