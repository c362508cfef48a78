// The sweeper: makes sure every job ends, whatever died on the way. Runs on a schedule, finds the
// open jobs through the jobs table's sparse index (not a scan), handles several at once, and only
// asks the finisher for the heavy part (functions/handlers/finish.ts).
//   running   → ended when past its time limit or stopped moving (its last messages went to the
//               DLQ, or were lost);
//   finishing → resumed when its finisher has had time enough and the job is still not final (the
//               finisher died, or failed, between beginning the finish and writing the manifest);
//   final     → resumed when its connection's slot is still held or `completed` was never claimed
//               (the finisher died between the last steps).
// Finishing is idempotent (see finish-job.ts), so resuming a finisher that is in fact alive costs
// only repeated work. One job that cannot be handled now is logged and left to the next sweep; it
// does not stop the others.
import { isFinal, type JobRecord } from '../core/job.js';
import type { Limits } from '../core/limits.js';
import { mapInOrder } from '../core/ordered-pool.js';
import type { AppDeps } from './deps.js';
import { askToFinish, completeJob } from './finish-job.js';

export type SweepVerdict = 'time limit reached' | 'stalled: no page settled recently' | null;

export function sweepVerdict(job: JobRecord, now: number, stallTimeoutMs: number): SweepVerdict {
  if (now >= job.deadlineAt) return 'time limit reached';
  if (now - lastSignOfLife(job) >= stallTimeoutMs) return 'stalled: no page settled recently';
  return null;
}

/**
 * The last instant the job was known to move: a settle, a URL sent back to wait for its host
 * (politeness), or the latest instant such a URL is due back. A job whose URLs wait for a slow host
 * is not stalled until they are due and then nothing settles.
 */
function lastSignOfLife(job: JobRecord): number {
  return Math.max(job.lastActivityAt ?? job.startedAt, job.lastDelayedAt ?? 0, job.delayedUntil ?? 0);
}

/**
 * How long after a job began finishing the sweeper asks the finisher again. Asking early is
 * harmless: a finisher at work holds the job's finish lease and the request is dropped; the
 * request only matters when the first was lost (its sender died after the transition).
 */
export function finishingGraceMs(limits: Limits): number {
  return limits.leaseMs;
}

/** A job that began finishing (or ended) but whose finish is not complete, past the finisher's grace. */
export function needsResuming(job: JobRecord, now: number, graceMs: number): boolean {
  if (job.status === 'running' || job.finishedAt === undefined) return false;
  const incomplete = job.status === 'finishing' || (isFinal(job.status) && (job.slotPending === true || job.notifiedAt === undefined));
  return incomplete && now - job.finishedAt >= graceMs;
}

export interface SweepResult {
  checked: number;
  /** running jobs this sweep ended */
  ended: string[];
  /** jobs whose interrupted finish this sweep completed */
  resumed: string[];
  /** jobs that could not be handled this time (logged); the next sweep tries again */
  failed: string[];
}

/** Jobs the sweeper handles at once: each is a few reads and writes, or one request to the finisher. */
export const SWEEP_CONCURRENCY = 8;

export async function sweepJobs(deps: AppDeps): Promise<SweepResult> {
  const jobs = await deps.jobs.listUnfinished();
  const result: SweepResult = { checked: jobs.length, ended: [], resumed: [], failed: [] };
  const handle = async (job: JobRecord) => {
    try {
      const outcome = await sweepJob(job, deps);
      if (outcome) result[outcome].push(job.jobId);
    } catch (error) {
      result.failed.push(job.jobId);
      deps.log.error('sweeper could not handle a job; the next sweep tries again', {
        jobId: job.jobId,
        status: job.status,
        error: error instanceof Error ? error.message : String(error),
      });
    }
  };
  for await (const _ of mapInOrder(jobs, SWEEP_CONCURRENCY, handle)) void _;
  return result;
}

async function sweepJob(job: JobRecord, deps: AppDeps): Promise<'ended' | 'resumed' | null> {
  const now = deps.clock.now();
  if (job.status === 'running') {
    const reason = sweepVerdict(job, now, deps.limits.stallTimeoutMs);
    if (!reason) return null;
    // Open URLs are listed in the manifest's errors; what did finish is kept.
    const status = job.done > 0 ? 'partial' : 'failed';
    if (!(await deps.jobs.beginFinish(job.jobId, status, now, { reason }))) return null;
    deps.log.warn('sweeper ended a job', { jobId: job.jobId, reason, done: job.done, open: job.admitted - job.settled });
    await askToFinish(job.jobId, deps);
    return 'ended';
  }
  if (!needsResuming(job, now, finishingGraceMs(deps.limits))) return null;
  deps.log.warn('sweeper resumes an interrupted finish', { jobId: job.jobId, status: job.status, finishedAt: job.finishedAt });
  // A final job owes only its slot or `completed`: cheap, done here. A finishing one is asked of
  // the finisher again; if its finisher is in fact alive, the request finds its lease and is dropped.
  if (job.status === 'finishing') await askToFinish(job.jobId, deps);
  else await completeJob(job, deps);
  return 'resumed';
}
