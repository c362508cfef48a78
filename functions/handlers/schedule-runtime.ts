// The schedule functions' adapters, made once per execution environment beside appRuntime's:
// schedules in the jobs table, timers in EventBridge Scheduler (locally its emulator).
import { SchedulerClient } from '@aws-sdk/client-scheduler';
import { DynamoScheduleStore } from '../adapters/dynamodb/schedule-store.js';
import { EventBridgeScheduleTimers } from '../adapters/scheduler/eventbridge-timers.js';
import { RETRY_ATTEMPTS, SDK_LOGGER } from '../adapters/aws-clients.js';
import type { ScheduleStore, ScheduleTimers } from '../core/schedule-ports.js';
import { appRuntime } from './runtime.js';

let store: ScheduleStore | undefined;
let timers: ScheduleTimers | undefined;

export function scheduleStore(): ScheduleStore {
  const { config, clients } = appRuntime();
  return (store ??= new DynamoScheduleStore(clients.dynamo, config.tables.jobs));
}

/** Only the schedule routes make and delete timers: the others are not given the scheduler's settings. */
export function scheduleTimers(): ScheduleTimers {
  if (timers) return timers;
  const { config } = appRuntime();
  if (!config.scheduler) throw new Error('SCHEDULE_GROUP, SCHEDULE_TARGET_ARN, SCHEDULER_ROLE_ARN and SCHEDULE_DLQ_ARN are not set: this function cannot make schedules');
  const client = new SchedulerClient({
    region: config.region,
    maxAttempts: RETRY_ATTEMPTS.sqs,
    logger: SDK_LOGGER,
    ...(config.endpoints.scheduler ? { endpoint: config.endpoints.scheduler } : {}),
  });
  return (timers = new EventBridgeScheduleTimers(client, config.scheduler));
}
