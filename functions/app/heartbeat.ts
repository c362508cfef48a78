// A running job's heartbeat: its client hears from it at least every minute, even while nothing
// settles (every URL waiting in the queue for its host, a slow site), so API Gateway never closes
// the WebSocket as idle (10 minutes) and the client knows what the job waits on.
//
// One delayed message `{jobId, beat}` on the heartbeat queue per running job: the crawl route sends
// it when the job starts, redrive when it reopens one. Each delivery first passes the job's chain on
// (adapters/dynamodb/heartbeat-chain.ts: a message of a stale chain, such as the copy left by a
// heartbeat that died after sending its successor, stops there, so a job never has two chains).
// It then reads the job; while it runs, it sends a `progress` unless one went out within the
// interval (the job item's `lastProgressAt`, which the settles' progress claims too, so the two
// never double up), and sends its successor, delayed by the interval. A final job ends the chain.
import { randomUUID } from 'node:crypto';
import { isFinal } from '../core/job.js';
import { heartbeatIntervalSecondsOf, progressOf } from '../core/progress.js';
import type { AppDeps } from './deps.js';

/** Starts the job's heartbeat; never fails the caller (the job runs, its settles still report). */
export async function startHeartbeat(jobId: string, deps: AppDeps): Promise<void> {
  if (!deps.heartbeats) return;
  try {
    const beat = randomUUID();
    await deps.jobs.startHeartbeatChain(jobId, beat);
    await deps.heartbeats.schedule(jobId, heartbeatIntervalSecondsOf(deps.limits), beat);
  } catch (error) {
    deps.log.error('could not start the heartbeat; the client hears of settles only', { jobId, error: String(error) });
  }
}

/**
 * One heartbeat (`beat`: the message's chain token): the progress when due; the successor's token
 * while the job runs (the caller schedules it), 'stop' when the job is final or the chain stale.
 */
export async function heartbeat(jobId: string, beat: string | undefined, deps: AppDeps): Promise<{ next: string } | 'stop'> {
  const intervalSeconds = heartbeatIntervalSecondsOf(deps.limits);
  const next = randomUUID();
  if (!(await deps.jobs.passHeartbeat(jobId, beat, next))) {
    deps.log.debug('heartbeat of a stale chain stops', { jobId });
    return 'stop';
  }
  // A heartbeat renders nothing: it never reads the job's seed credentials.
  const settings = await deps.jobs.getJobSettings(jobId, { credentials: false });
  if (!settings || isFinal(settings.status)) return 'stop';
  const now = deps.clock.now();
  // Claims the interval's progress slot (a conditional write) only when none went out within it.
  const { job, progressDue } = await deps.jobs.readAfterSettle(jobId, now, intervalSeconds * 1000, settings.counterShards);
  if (!job || isFinal(job.status)) return 'stop';
  // Finishing (the manifest and archive of a big job may take minutes): still a running job to its
  // client, which hears of it as before; the progress slot is claimed only while running, so this
  // one goes by the last progress's time alone.
  const lastProgressAt = (job as { lastProgressAt?: number }).lastProgressAt ?? 0;
  const finishingDue = job.status === 'finishing' && lastProgressAt <= now - intervalSeconds * 1000;
  if (progressDue || finishingDue) {
    const delivered = await deps.notifier.send(job.connectionId, progressOf(job, now));
    if (!delivered) deps.log.info('heartbeat: the client is gone; the job goes on', { jobId });
  }
  // The heartbeat goes on until the job is final (the finisher sends `completed`).
  return { next };
}

/** After a heartbeat: its successor, delayed by the interval. */
export async function scheduleNext(jobId: string, beat: string, deps: AppDeps): Promise<void> {
  await deps.heartbeats?.schedule(jobId, heartbeatIntervalSecondsOf(deps.limits), beat);
}
