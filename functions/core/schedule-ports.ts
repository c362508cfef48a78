// The ports the schedule use cases (app/schedules.ts, app/run-schedule.ts) are given: where
// schedules are kept, and what fires them (EventBridge Scheduler on AWS, local/emulators/scheduler.ts
// locally, both through adapters/scheduler/eventbridge-timers.ts).
import type { ScheduleRecord } from './schedule.js';

export interface ScheduleRun {
  /** the firing's scheduled time (epoch ms) */
  firedAt: number;
  jobId: string;
  since?: string;
  lastSucceededJobId?: string;
}

export interface ScheduleStore {
  /** 'too-many': the owner already has maxPerOwner schedules (checked in the same write) */
  create(record: ScheduleRecord, maxPerOwner: number): Promise<'created' | 'too-many'>;
  get(scheduleId: string): Promise<ScheduleRecord | null>;
  /** the owner's schedules, not removed ones */
  listOf(owner: string): Promise<ScheduleRecord[]>;
  /** marks it removed (a firing on its way finds it so) and frees its place in the owner's count */
  remove(scheduleId: string, owner: string, now: number): Promise<'removed' | 'not-found' | 'already-removed'>;
  /** takes the firing for a run, once: false when another delivery of it (or a later firing) took it first, or it was removed */
  claimRun(scheduleId: string, previousFiredAt: number | undefined, run: ScheduleRun): Promise<boolean>;
  /** notes a firing skipped because the previous run still runs; false as claimRun */
  recordSkip(scheduleId: string, previousFiredAt: number | undefined, firedAt: number): Promise<boolean>;
  /** why the last firing started no job */
  recordError(scheduleId: string, message: string): Promise<void>;
}

export interface ScheduleTimers {
  /** fires the target with the schedule's id at each time of the expression (core/schedule.ts) */
  create(scheduleId: string, expression: string): Promise<void>;
  /** no more firings; an unknown schedule is no error */
  remove(scheduleId: string): Promise<void>;
}
