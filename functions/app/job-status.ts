// Answering `status`: the job's counters, and its manifest once it has one.
import { ClientInputError, ErrorCode } from '../core/errors.js';
import { isFinal, outstanding } from '../core/job.js';
import type { JobRequest, ServerMessage } from '../core/messages.js';
import type { AppDeps } from './deps.js';

export async function jobStatus(request: JobRequest, deps: AppDeps): Promise<ServerMessage> {
  const job = await deps.jobs.getJob(request.jobId);
  if (!job) throw new ClientInputError(ErrorCode.jobNotFound, `no job with id "${request.jobId}"`, request.requestId, request.jobId);
  const manifestUrl =
    isFinal(job.status) && job.manifestKey ? await deps.results.presignGet(job.manifestKey, deps.limits.manifestUrlTtlSeconds) : undefined;
  return {
    type: 'status',
    jobId: job.jobId,
    ...(request.requestId !== undefined ? { requestId: request.requestId } : {}),
    status: job.status,
    done: job.done,
    queued: outstanding(job),
    failed: job.failed,
    ...(manifestUrl !== undefined ? { manifestUrl } : {}),
  };
}
