// What a running job's client is told of its progress: after settles (throttled, app/settle-page.ts)
// and, so a WebSocket is never idle long enough for API Gateway to close it (10 minutes) and a slow
// or polite job is never silent, at least every heartbeat interval (app/heartbeat.ts).
import { outstanding, realFailures, type JobRecord } from './job.js';
import type { ServerMessage } from './messages.js';

/**
 * Heartbeats of a running job come this often; one is skipped when a progress went out within the
 * interval, so the client hears from the job at least every two intervals: under a minute.
 */
export const DEFAULT_HEARTBEAT_INTERVAL_SECONDS = 25;
/** SQS delays a message at most 15 minutes; a heartbeat far shorter is the point. */
export const MAX_HEARTBEAT_INTERVAL_SECONDS = 30;

export type ProgressMessage = Extract<ServerMessage, { type: 'progress' }>;

/** The progress message of a job read with its counters summed; `waiting` while its URLs wait for a host. */
export function progressOf(job: JobRecord, now: number): ProgressMessage {
  // URLs sent back to wait (`delayed`) or children sent paced to their turns: either way the job
  // waits on the host until `delayedUntil`.
  const waiting = job.delayedHost !== undefined && job.delayedUntil !== undefined && job.delayedUntil > now;
  return {
    type: 'progress',
    jobId: job.jobId,
    done: job.done,
    // the job item and its counter shards are read one after the other: never below zero
    queued: Math.max(0, outstanding(job)),
    // URLs robots.txt disallows are skipped, not failed (core/job.ts isSkipped)
    failed: realFailures(job),
    // Waiting for their host: a slow job that is polite, not stalled.
    ...(job.delayed ? { delayed: job.delayed } : {}),
    ...(waiting ? { waiting: { host: job.delayedHost!, untilMs: job.delayedUntil! } } : {}),
  };
}

/** The heartbeat interval the limits set, within what the heartbeat is for. */
export function heartbeatIntervalSecondsOf(limits: { heartbeatIntervalSeconds?: number }): number {
  return Math.min(MAX_HEARTBEAT_INTERVAL_SECONDS, Math.max(1, limits.heartbeatIntervalSeconds ?? DEFAULT_HEARTBEAT_INTERVAL_SECONDS));
}
