// Redriving a finished job, the route's part: its URLs that failed (robots.txt refusals excepted)
// are crawled again in the same job, with the accounting of a first crawl, and the job ends (and
// says so) once more. The route only validates and answers, from the job item and its counters
// (no listing: a job may have thousands of failed pages, the route has 256 MB and 28 s); the
// listing, the reset of the failed items and their sending run in the finisher's function
// (app/redrive-run.ts), asked through its queue.
//
// Order of effects, and why each crash point is safe:
//   open (one transaction: final → running marked `redriving` with its run number, a slot of the
//   asking connection)   → all or nothing: a crash before it changed nothing; a second redrive at
//                          once finds the job no longer as it read it and is refused.
//   accepted             → before the URLs are sent, so it arrives before progress or completed.
//   ask the finisher's function to put the URLs back
//                        → a crash before it leaves a running job that cannot end by its counts
//                          (`redriving`) and settles nothing: the sweeper ends it as stalled, with
//                          its failed URLs still in errors. A send that fails ends the run now.
// From there on the workers and the finisher do what they do for a first crawl: one claim per URL,
// children of a recovered page admitted (against maxPages), one `completed`.
import { ClientInputError, ErrorCode } from '../core/errors.js';
import { clientQuotaFor, exceedsDay, quotaError } from '../core/client-quota.js';
import { isFinal, redrivableCount, type JobRecord } from '../core/job.js';
import type { JobRequest } from '../core/messages.js';
import type { AppDeps } from './deps.js';
import { startHeartbeat } from './heartbeat.js';
import { askToFinish } from './finish-job.js';
import { findOwnJob } from './own-job.js';
import { continueRedrive } from './redrive-run.js';

/** `principal`: the authorizer's principal of the asking connection; only the job's creator may redrive it. */
export async function redriveJob(request: JobRequest, connectionId: string, deps: AppDeps, principal?: string): Promise<void> {
  const job = await findOwnJob(request, principal, deps);
  const running = () =>
    new ClientInputError(ErrorCode.jobRunning, `job "${job.jobId}" is running; redrive it once it has completed`, request.requestId, job.jobId);
  // A final job whose last ending is not complete yet (slot, completed) is still ending: running.
  if (!isFinal(job.status) || job.slotPending || job.notifiedAt === undefined) throw running();
  // Its headers and cookies were deleted when it ended: crawled again without them, its pages would not be the same.
  if (job.usedCredentials) {
    throw new ClientInputError(
      ErrorCode.invalidRequest,
      `job "${job.jobId}" was crawled with headers or cookies (or its own proxy), which were deleted when it ended; start a new crawl with them instead`,
      request.requestId,
      job.jobId,
    );
  }
  // From the counters: failed but not refused by robots.txt, or never settled (a job that ended early).
  if (redrivableCount(job) === 0) {
    throw new ClientInputError(
      ErrorCode.nothingToRedrive,
      `job "${job.jobId}" has no failed URL to crawl again (pages that robots.txt disallows are not redriven)`,
      request.requestId,
      job.jobId,
    );
  }
  const now = deps.clock.now();
  // Its client's allowance (core/client-quota.ts): a running-job slot, and its URLs from today's pages.
  const quota = clientQuotaFor(job.owner, redrivableCount(job), deps.limits, now, false);
  if (quota && exceedsDay(quota)) throw quotaError('client-pages-quota', quota, request.requestId, job.jobId);
  const outcome = await deps.jobs.openRedrive(
    job,
    { connectionId, ...(request.requestId !== undefined ? { requestId: request.requestId } : {}), now, deadlineAt: now + timeLimitOf(job) },
    deps.limits.maxJobsPerConnection,
    quota,
  );
  if (outcome === 'refused') throw running();
  if ((outcome === 'client-jobs-quota' || outcome === 'client-pages-quota') && quota) throw quotaError(outcome, quota, request.requestId, job.jobId);
  if (outcome === 'too-many-jobs') {
    throw new ClientInputError(
      ErrorCode.tooManyJobs,
      `this connection already has ${deps.limits.maxJobsPerConnection} running jobs; wait for one to complete or cancel one`,
      request.requestId,
      job.jobId,
    );
  }
  const run = (job.redrives ?? 0) + 1;

  try {
    await deps.notifier.send(connectionId, {
      type: 'accepted',
      jobId: job.jobId,
      ...(request.requestId !== undefined ? { requestId: request.requestId } : {}),
      cached: false,
      redrive: true,
    });
  } catch (error) {
    deps.log.error('could not send accepted; the redrive runs anyway', { jobId: job.jobId, connectionId, error: String(error) });
  }
  try {
    // Without a finisher queue (unit tests) the URLs are put back here.
    if (deps.finishRequests) await deps.finishRequests.requestWork({ kind: 'redrive', jobId: job.jobId, run });
    else await continueRedrive(job.jobId, run, deps);
  } catch (error) {
    await endUnsentRun(job.jobId, error, deps);
    return;
  }
  // The reopened job's heartbeat: its earlier chain ended when the job was final (app/heartbeat.ts).
  await startHeartbeat(job.jobId, deps);
  deps.log.info('job redriven', { jobId: job.jobId, run, redrivable: redrivableCount(job), connectionId });
}

/** The time limit the job was created with, for the new run. */
function timeLimitOf(job: JobRecord): number {
  return Math.max(1, job.deadlineAt - job.startedAt);
}

/** Without its URLs on their way to the queue the run would wait for the sweeper: it ends now, with them in errors. */
async function endUnsentRun(jobId: string, error: unknown, deps: AppDeps): Promise<void> {
  deps.log.error('could not ask for the redriven URLs to be queued; ending the run', { jobId, error: String(error) });
  try {
    const job = await deps.jobs.getJob(jobId);
    const status = job && job.done > 0 ? 'partial' : 'failed';
    await deps.jobs.beginFinish(jobId, status, deps.clock.now(), { reason: 'the redriven URLs could not be queued' });
    await askToFinish(jobId, deps);
  } catch (finishError) {
    deps.log.error('could not end the run now; the sweeper will', { jobId, error: String(finishError) });
  }
}
