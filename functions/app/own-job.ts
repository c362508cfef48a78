// Finding the job a client names in `status`, `cancel` (and any later per-job action): only its
// creator's principal sees it, and only while its records live.
import { ClientInputError, ErrorCode } from '../core/errors.js';
import { isExpired, isVisibleTo, type JobRecord } from '../core/job.js';
import type { JobRequest } from '../core/messages.js';
import type { AppDeps } from './deps.js';

/**
 * The job, or `job_not_found`. Another principal's job, an expired one and an item without an owner
 * (none a client made: every job gets one, core/job.ts ownerFor) get the very answer an unknown id
 * gets, so a client cannot learn that a job id, or any other item of the table, exists.
 */
export async function findOwnJob(request: JobRequest, principal: string | undefined, deps: AppDeps): Promise<JobRecord> {
  const job = await deps.jobs.getJob(request.jobId);
  if (!job || !isVisibleTo(job, principal) || isExpired(job, deps.clock.now())) {
    throw new ClientInputError(ErrorCode.jobNotFound, `no job with id "${request.jobId}"`, request.requestId, request.jobId);
  }
  return job;
}
