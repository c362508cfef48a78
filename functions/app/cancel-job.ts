// Cancelling: the job ends now as `cancelled`; workers stop taking its URLs (they check the status),
// pages already rendering finish but no longer count toward the manifest. The route only decides
// (the conditional transition) and asks the finisher for the manifest and `completed`.
import { ClientInputError, ErrorCode } from '../core/errors.js';
import type { JobRequest, ServerMessage } from '../core/messages.js';
import type { AppDeps } from './deps.js';
import { askToFinish } from './finish-job.js';
import { jobStatus } from './job-status.js';
import { findOwnJob } from './own-job.js';

/** `principal`: the authorizer's principal of the asking connection; only the job's creator may cancel it. */
export async function cancelJob(request: JobRequest, deps: AppDeps, principal?: string): Promise<ServerMessage> {
  const job = await findOwnJob(request, principal, deps);
  const won = await deps.jobs.beginFinish(job.jobId, 'cancelled', deps.clock.now(), { reason: 'job cancelled' });
  if (!won && job.status !== 'finishing') {
    throw new ClientInputError(ErrorCode.jobFinished, `job "${job.jobId}" has already ended (${job.status})`, request.requestId, job.jobId);
  }
  // The winner asks the finisher; a cancel that found the job already finishing asks again (harmless).
  await askToFinish(job.jobId, deps);
  deps.log.info('job cancelled', { jobId: job.jobId });
  const answer = await jobStatus(request, deps, principal);
  // The finisher writes the manifest after this answer: the job is `finishing`, its outcome decided.
  // The cancel answers that outcome, as it did when it finished the job itself; `completed` follows.
  return won && answer.type === 'status' && answer.status === 'finishing' ? { ...answer, status: 'cancelled' } : answer;
}
