// Route `schedules`: the asking client's schedules, with their runs and skips.
import { listSchedules } from '../app/schedules.js';
import type { ScheduleTimers } from '../core/schedule-ports.js';
import { parseSchedulesRequest } from '../core/schedule-messages.js';
import { principalOf } from './caller.js';
import { scheduleStore } from './schedule-runtime.js';
import { websocketRoute } from './websocket-route.js';

/** listing makes and deletes no timer (and this function may not) */
const NO_TIMERS: ScheduleTimers = {
  create: () => Promise.reject(new Error('the schedules route makes no timer')),
  remove: () => Promise.reject(new Error('the schedules route deletes no timer')),
};

export const handler = websocketRoute(async (event, deps) =>
  listSchedules(parseSchedulesRequest(event.body, deps.limits).requestId, { ...deps, schedules: scheduleStore(), timers: NO_TIMERS }, principalOf(event)),
);
