// Answering `status`: the job's counters, and its manifest once it has one.
import { isFinal, outstanding, realFailures, skippedCount } from '../core/job.js';
import type { JobRequest, ServerMessage } from '../core/messages.js';
import type { AppDeps } from './deps.js';
import { exportUrls } from './finish-job.js';
import { findOwnJob } from './own-job.js';
import { deliveryAnswer } from './webhook-delivery.js';

/**
 * `principal`: the authorizer's principal of the asking connection (undefined when auth is off).
 * `connectionId`: the asking connection. A running job's notifications follow its owner there, so a
 * client that reconnects (API Gateway closes any connection after 2 hours) and asks `status` gets
 * the job's progress and `completed` on its new connection: the answer says where the job stands,
 * and every message after it comes to the connection that asked.
 */
export async function jobStatus(request: JobRequest, deps: AppDeps, principal?: string, connectionId?: string): Promise<ServerMessage> {
  const job = await findOwnJob(request, principal, deps);
  if (connectionId !== undefined && job.status === 'running' && job.connectionId !== connectionId) {
    const moved = await deps.jobs.moveNotifications(job, connectionId);
    deps.log.info('job notifications follow its owner to a new connection', { jobId: job.jobId, from: job.connectionId, moved });
  }
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
    failed: realFailures(job),
    ...(skippedCount(job) > 0 ? { skipped: skippedCount(job) } : {}),
    ...(manifestUrl !== undefined ? { manifestUrl } : {}),
    // what `completed` carried, for a client that resumes after it was sent to a lost connection
    ...(manifestUrl !== undefined ? await exportUrls(job, deps) : {}),
    ...deliveryAnswer(job.webhookDelivery),
  };
}
