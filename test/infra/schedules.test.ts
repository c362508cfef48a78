// Schedules in the template (issue #29): the group the routes make schedules in, the run function
// they target, the DLQ and the role EventBridge Scheduler fires with, as the routes' environment names them.
import { beforeAll, describe, expect, it } from 'vitest';
import { flatten, synth, type Synthesized } from './synth.js';

let s: Synthesized;
beforeAll(() => {
  s = synth();
});

describe('schedules', () => {
  it('has a schedule group of its own, and an encrypted DLQ for the firings EventBridge Scheduler cannot deliver', () => {
    expect(s.resource(s.id('Schedules/Group')).Type).toBe('AWS::Scheduler::ScheduleGroup');
    const dlq = s.resource(s.id('Schedules/DeadLetters')).Properties;
    expect(dlq).toMatchObject({ SqsManagedSseEnabled: true, MessageRetentionPeriod: 14 * 86_400 });
  });

  it('gives the schedule and unschedule routes the group, the target, the role and the DLQ; the others not', () => {
    for (const name of ['ScheduleFunction', 'UnscheduleFunction']) {
      const env = s.resource(s.id(name)).Properties.Environment.Variables;
      expect(flatten(env.SCHEDULE_GROUP), name).toBe(s.resource(s.id('Schedules/Group')).Properties.Name);
      expect(flatten(env.SCHEDULE_TARGET_ARN), name).toBe(`<${s.id('ScheduleRunFunction')}.Arn>`);
      expect(flatten(env.SCHEDULER_ROLE_ARN), name).toBe(`<${s.id('Schedules/Role')}.Arn>`);
      expect(flatten(env.SCHEDULE_DLQ_ARN), name).toBe(`<${s.id('Schedules/DeadLetters')}.Arn>`);
      expect(env.SCHEDULE_MIN_INTERVAL_SECONDS).toBe('900');
      expect(env.MAX_SCHEDULES_PER_CLIENT).toBe('10');
    }
    for (const name of ['SchedulesFunction', 'ScheduleRunFunction', 'CrawlFunction']) {
      expect(s.resource(s.id(name)).Properties.Environment.Variables.SCHEDULE_GROUP, name).toBeUndefined();
    }
  });

  it('lets Lambda retry a failed run twice (a firing is claimed once, so a retry starts no second job)', () => {
    const config = s.ofType('AWS::Lambda::EventInvokeConfig').find(([, r]) => flatten(r.Properties.FunctionName) === `<${s.id('ScheduleRunFunction')}>`);
    expect(config?.[1].Properties.MaximumRetryAttempts).toBe(2);
  });

  it('honours the minimum interval and the maximum per client of the settings', () => {
    const env = synth({ scheduleMinIntervalMinutes: 60, maxSchedulesPerClient: 3 }).resource(s.id('ScheduleFunction')).Properties.Environment.Variables;
    expect(env.SCHEDULE_MIN_INTERVAL_SECONDS).toBe('3600');
    expect(env.MAX_SCHEDULES_PER_CLIENT).toBe('3');
    expect(() => synth({ scheduleMinIntervalMinutes: 0 })).toThrow(/scheduleMinIntervalMinutes must be between 1 and 1440/);
  });
});
