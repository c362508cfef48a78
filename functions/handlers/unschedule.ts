// Route `unschedule`: no more runs of one of the client's schedules (a run under way goes on).
import { removeSchedule } from '../app/schedules.js';
import { parseScheduleIdRequest } from '../core/schedule-messages.js';
import { principalOf } from './caller.js';
import { scheduleStore, scheduleTimers } from './schedule-runtime.js';
import { websocketRoute } from './websocket-route.js';

export const handler = websocketRoute(async (event, deps) =>
  removeSchedule(parseScheduleIdRequest(event.body, deps.limits), { ...deps, schedules: scheduleStore(), timers: scheduleTimers() }, principalOf(event)),
);
