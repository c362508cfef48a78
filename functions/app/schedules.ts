// The schedule routes' use cases: make one (its item, then its timer), remove one (its item marked,
// then its timer deleted), list the client's. Only the owner (core/owners.ts) sees or removes a
// schedule; another client's is answered as none.
import { ClientInputError, ErrorCode } from '../core/errors.js';
import type { ServerMessage } from '../core/messages.js';
import { maxSchedulesOf, type ScheduleIdRequest, type ScheduleRequest } from '../core/schedule-messages.js';
import { ownerFor } from '../core/owners.js';
import { scheduleView, type ScheduleRecord } from '../core/schedule.js';
import type { ScheduleStore, ScheduleTimers } from '../core/schedule-ports.js';
import type { AppDeps } from './deps.js';

export interface ScheduleDeps {
  schedules: ScheduleStore;
  timers: ScheduleTimers;
}

/** `owner`: the authorizer's principal of the connection (undefined when auth is off). */
export async function createSchedule(
  request: ScheduleRequest,
  scheduleId: string,
  connectionId: string,
  deps: AppDeps & ScheduleDeps,
  principal?: string,
): Promise<ServerMessage> {
  const owner = ownerFor(principal);
  const now = deps.clock.now();
  const record: ScheduleRecord = {
    scheduleId,
    owner,
    connectionId,
    ...(request.every !== undefined ? { every: request.every } : {}),
    ...(request.cron !== undefined ? { cron: request.cron } : {}),
    expression: request.timing.expression,
    crawl: request.crawl,
    ...(request.webhook ? { webhook: request.webhook } : {}),
    createdAt: now,
    runs: 0,
    skipped: 0,
  };
  // The item first, with the client's count in the same write: the maximum holds under racing requests.
  const max = maxSchedulesOf(deps.limits);
  if ((await deps.schedules.create(record, max)) === 'too-many') {
    throw new ClientInputError(ErrorCode.tooManySchedules, `this client already has ${max} schedules (the stack's maximum); unschedule one first`, request.requestId);
  }
  try {
    await deps.timers.create(scheduleId, record.expression);
  } catch (error) {
    // No timer, no schedule: the item goes too (a firing never comes for it), and the route answers an internal error.
    await deps.schedules.remove(scheduleId, owner, deps.clock.now());
    throw error;
  }
  deps.log.info('schedule made', { scheduleId, expression: record.expression, owner });
  return {
    type: 'scheduled',
    scheduleId,
    ...(request.requestId !== undefined ? { requestId: request.requestId } : {}),
    ...(request.every !== undefined ? { every: request.every } : {}),
    ...(request.cron !== undefined ? { cron: request.cron } : {}),
    expression: record.expression,
  };
}

/** No more runs; a run under way is left alone (it is a job like any other: `cancel` ends it). */
export async function removeSchedule(request: ScheduleIdRequest, deps: AppDeps & ScheduleDeps, principal?: string): Promise<ServerMessage> {
  const owner = ownerFor(principal);
  const outcome = await deps.schedules.remove(request.scheduleId, owner, deps.clock.now());
  if (outcome === 'not-found') {
    throw new ClientInputError(ErrorCode.scheduleNotFound, `no schedule ${request.scheduleId} of this client`, request.requestId);
  }
  // Marked removed first: a firing from now on finds it so and starts nothing. Deleted again on a
  // retried unschedule (already-removed), in case the first try's delete did not go through.
  await deps.timers.remove(request.scheduleId);
  deps.log.info('schedule removed', { scheduleId: request.scheduleId, owner, again: outcome === 'already-removed' });
  return { type: 'unscheduled', scheduleId: request.scheduleId, ...(request.requestId !== undefined ? { requestId: request.requestId } : {}) };
}

export async function listSchedules(requestId: string | undefined, deps: AppDeps & ScheduleDeps, principal?: string): Promise<ServerMessage> {
  const schedules = await deps.schedules.listOf(ownerFor(principal));
  return { type: 'schedules', ...(requestId !== undefined ? { requestId } : {}), schedules: schedules.map(scheduleView) };
}
