// Schedules' timers in EventBridge Scheduler: one schedule per entry, in the stack's group, whose
// target is the schedule-run function (functions/handlers/schedule-run.ts), invoked with the
// scheduler's role (which may invoke only it), its failed deliveries sent to the stack's DLQ.
// Locally the same calls go to local/emulators/scheduler.ts (AWS_ENDPOINT_URL_SCHEDULER).
import { ConflictException, CreateScheduleCommand, DeleteScheduleCommand, ResourceNotFoundException, type SchedulerClient } from '@aws-sdk/client-scheduler';
import { SCHEDULED_TIME_PLACEHOLDER, type ScheduleFiring } from '../../core/schedule.js';
import type { ScheduleTimers } from '../../core/schedule-ports.js';

export interface SchedulerTarget {
  group: string;
  /** the schedule-run function */
  targetArn: string;
  /** the role EventBridge Scheduler assumes to invoke it (and to send to the DLQ) */
  roleArn: string;
  deadLetterArn: string;
}

/**
 * A firing that fails to reach the function is retried for an hour at most: a later firing is the
 * better run. Retries carry the same scheduled time, so the target runs a firing once (app/run-schedule.ts).
 */
const RETRY_POLICY = { MaximumEventAgeInSeconds: 3600, MaximumRetryAttempts: 10 };

export class EventBridgeScheduleTimers implements ScheduleTimers {
  constructor(
    private readonly client: SchedulerClient,
    private readonly target: SchedulerTarget,
  ) {}

  async create(scheduleId: string, expression: string): Promise<void> {
    const input: Record<keyof ScheduleFiring, string> = { scheduleId, scheduledTime: SCHEDULED_TIME_PLACEHOLDER };
    try {
      await this.client.send(
        new CreateScheduleCommand({
          Name: scheduleId,
          GroupName: this.target.group,
          ScheduleExpression: expression,
          ScheduleExpressionTimezone: 'UTC',
          // A recurring crawl needs no window: on time is what the client asked.
          FlexibleTimeWindow: { Mode: 'OFF' },
          State: 'ENABLED',
          Target: {
            Arn: this.target.targetArn,
            RoleArn: this.target.roleArn,
            Input: JSON.stringify(input),
            RetryPolicy: RETRY_POLICY,
            DeadLetterConfig: { Arn: this.target.deadLetterArn },
          },
        }),
      );
    } catch (error) {
      // A retried create of the same id (its first try did land): the schedule is there.
      if (error instanceof ConflictException || (error as Error)?.name === 'ConflictException') return;
      throw error;
    }
  }

  async remove(scheduleId: string): Promise<void> {
    try {
      await this.client.send(new DeleteScheduleCommand({ Name: scheduleId, GroupName: this.target.group }));
    } catch (error) {
      if (error instanceof ResourceNotFoundException || (error as Error)?.name === 'ResourceNotFoundException') return;
      throw error;
    }
  }
}
