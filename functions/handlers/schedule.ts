// Route `schedule`: validates a recurring crawl, stores it and makes its timer.
import { randomUUID } from 'node:crypto';
import { createSchedule } from '../app/schedules.js';
import { EXTRACTOR_NAMES } from '../adapters/products/registry.js';
import { parseScheduleRequest } from '../core/schedule-messages.js';
import { principalOf } from './caller.js';
import { scheduleStore, scheduleTimers } from './schedule-runtime.js';
import { websocketRoute } from './websocket-route.js';

export const handler = websocketRoute(async (event, deps) => {
  const request = parseScheduleRequest(event.body, deps.limits, { extractors: EXTRACTOR_NAMES });
  return createSchedule(request, randomUUID(), event.requestContext.connectionId, { ...deps, schedules: scheduleStore(), timers: scheduleTimers() }, principalOf(event));
});
