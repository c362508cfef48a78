// Answering `status`: the job's counters, and its manifest once it has one.
import { isFinal, outstanding } from '../core/job.js';
import type { JobRequest, ServerMessage } from '../core/messages.js';
import type { AppDeps } from './deps.js';
import { findOwnJob } from './own-job.js';

/** `principal`: the authorizer's principal of the asking connection (undefined when auth is off). */
export async function jobStatus(request: JobRequest, deps: AppDeps, principal?: string): Promise<ServerMessage> {
  const job = await findOwnJob(request, principal, deps);
  const manifestUrl =
    isFinal(job.status) && job.manifestKey ? await deps.results.presignGet(job.manifestKey, deps.limits.manifestUrlTtlSeconds) : undefined;
  return {
    type: 'status',
    jobId: job.jobId,
    ...(request.requestId !== undefined ? { requestId: request.requestId } : {}),
    status: job.status,
    done: job.done,
    // the job item and its counter shards are read one after the other: never below zero
    queued: Math.max(0, outstanding(job)),
    failed: job.failed,
    ...(manifestUrl !== undefined ? { manifestUrl } : {}),
  };
}
