// The sweeper: ends jobs that passed their time limit or stopped moving (their last messages went
// to the DLQ, or were lost), so no job waits forever. Runs on a schedule.
import type { JobRecord } from '../core/job.js';
import type { AppDeps } from './deps.js';
import { completeJob } from './finish-job.js';

export type SweepVerdict = 'time limit reached' | 'stalled: no page settled recently' | null;

export function sweepVerdict(job: JobRecord, now: number, stallTimeoutMs: number): SweepVerdict {
  if (now >= job.deadlineAt) return 'time limit reached';
  if (now - (job.lastActivityAt ?? job.startedAt) >= stallTimeoutMs) return 'stalled: no page settled recently';
  return null;
}

export async function sweepJobs(deps: AppDeps): Promise<{ checked: number; ended: string[] }> {
  const running = await deps.jobs.listRunning();
  const ended: string[] = [];
  for (const job of running) {
    const now = deps.clock.now();
    const reason = sweepVerdict(job, now, deps.limits.stallTimeoutMs);
    if (!reason) continue;
    // Open URLs are listed in the manifest's errors; what did finish is kept.
    const status = job.done > 0 ? 'partial' : 'failed';
    if (await deps.jobs.beginFinish(job.jobId, status, now, { reason })) {
      deps.log.warn('sweeper ended a job', { jobId: job.jobId, reason, done: job.done, open: job.admitted - job.settled });
      const finishing = await deps.jobs.getJob(job.jobId);
      if (finishing) await completeJob(finishing, deps);
      ended.push(job.jobId);
    }
  }
  return { checked: running.length, ended };
}
