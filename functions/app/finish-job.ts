// Ending a job: one conditional transition picks the one that asks the finisher; the finisher
// (functions/handlers/finish.ts, its own function and queue) writes the manifest, the exports and
// the archive and tells the client. Every step is idempotent, so a redelivered finish message, or
// the sweeper asking again, resumes a finisher that died.
import { answeredFromCache, finalStatusOf, formatsOf, isFinal, keepsContent, outstanding, realFailures, skippedCount, type FinalStatus, type JobRecord, type PageSummary } from '../core/job.js';
import { archiveObjectKey, manifestObjectKey, resultsObjectKey } from '../core/keys.js';
import type { ServerMessage } from '../core/messages.js';
import { usageOf } from '../core/usage.js';
import { blockedFieldsOf } from '../core/pushback.js';
import { writeContentExport } from './content-export.js';
import type { AppDeps } from './deps.js';
import { writeManifest } from './manifest-writer.js';
import { queueRunEnd } from './webhook-delivery.js';

/** Finishes the job if every admitted URL is settled; resumes a finish that was interrupted. */
export async function finishIfDone(jobId: string, deps: AppDeps): Promise<void> {
  const job = await deps.jobs.getJob(jobId);
  if (!job) return;
  if (job.status === 'running') {
    if (outstanding(job) > 0) return;
    // Decided on the counts the store checks in the same transaction, not on this read.
    const won = await deps.jobs.beginFinishIfSettled(jobId, finalStatusOf, deps.clock.now());
    if (!won) return finishIfDoneAfterRace(jobId, deps);
    await askToFinish(jobId, deps);
    return;
  }
  // With a finisher, a job already finishing has its finish message (or the sweeper asks again):
  // a crawler's stray message must not add the heavy work, nor another request, for each page.
  if (deps.finishRequests && job.status === 'finishing') return;
  await completeJob(job, deps);
}

/**
 * Whoever won the transition to `finishing` (crawler, sweeper, cancel, a route) asks the finisher.
 * Without a finisher queue (unit tests) the job is completed here, as before.
 */
export async function askToFinish(jobId: string, deps: AppDeps): Promise<void> {
  if (deps.finishRequests) {
    await deps.finishRequests.request(jobId);
    return;
  }
  const job = await deps.jobs.getJob(jobId);
  if (job && job.status !== 'running') await completeJob(job, deps);
}

async function finishIfDoneAfterRace(jobId: string, deps: AppDeps): Promise<void> {
  // Someone else began finishing: it asks the finisher. A job already final may still owe its
  // slot or `completed`: cheap, and idempotent.
  const job = await deps.jobs.getJob(jobId);
  if (job && isFinal(job.status)) await completeJob(job, deps);
}

/**
 * The finisher's work for one request: a job that is finishing (or final but owing its slot or
 * `completed`) is completed; a job still running, or gone, needs nothing.
 */
export async function runFinish(jobId: string, deps: AppDeps): Promise<'completed' | 'running' | 'missing'> {
  const job = await deps.jobs.getJob(jobId);
  if (!job) return 'missing';
  if (job.status === 'running') return 'running';
  await completeJob(job, deps);
  return 'completed';
}

/** For a job in `finishing` or final: writes the manifest, marks it final, and notifies once. */
export async function completeJob(finishing: JobRecord, deps: AppDeps): Promise<void> {
  let job = finishing;
  const status = job.finalStatus ?? (isFinal(job.status) ? job.status : undefined);
  if (!status || job.finishedAt === undefined) return;
  const key = manifestObjectKey(job.jobId);
  if (job.status === 'finishing') {
    // Streamed from the frontier in bounded memory (app/manifest-writer.ts), the exports first and
    // the manifest last: a manifest in S3 means everything it points at is there. Rewritten whole
    // by a finisher that resumes this one.
    const written = await writeManifest(job, status, job.finishedAt, key, deps, (pages) => writeExports(job, pages, deps));
    // A `since` crawl's counts go on the job item with its final state: `completed`, a resumed
    // finisher and a later cached answer read them there.
    if (written.changes) job = { ...job, changes: written.changes };
    // The webhook's delivery of this end (app/webhook-delivery.ts): queued once the manifest it
    // points at exists, before the job is final, so a finisher that dies here queues it again
    // (same webhook-id) rather than never.
    if (job.webhook) await queueRunEnd(job, status, completedMessage(job, status, await deps.results.presignGet(key, deps.limits.manifestUrlTtlSeconds), { cached: answeredFromCache(job), ...(await exportUrls(job, deps)) }), deps);
    const first = await deps.jobs.completeFinish(job, status, key);
    // Finishers racing on the same job all get here; only the one that made it final counts it.
    if (first) {
      deps.log.info('job finished', { jobId: job.jobId, status, pages: job.done, failed: realFailures(job), skipped: skippedCount(job) });
      deps.metrics.jobFinished(status);
    }
  } else if (job.slotPending) {
    // The finisher that made the job final died before freeing the connection's slot.
    await deps.jobs.releaseSlot(job);
  }
  await notifyCompleted(job, status, key, deps);
}

async function writeExports(job: JobRecord, pages: () => AsyncIterable<PageSummary>, deps: AppDeps): Promise<void> {
  if (keepsContent(job)) await writeContentExport(job, pages(), deps.results, deps.limits.manifestUrlTtlSeconds);
  if (formatsOf(job).includes('archive')) {
    if (!deps.archives) {
      deps.log.warn('the job asked for an archive, but no assembler is configured', { jobId: job.jobId });
      return;
    }
    // The archive's page list is held whole (a few short strings a page): the WACZ writer takes it so.
    const archived: { url: string; title: string; warcKey: string }[] = [];
    for await (const p of pages()) if (p.outputs?.archive) archived.push({ url: p.url, title: p.title, warcKey: p.outputs.archive });
    // The job's end dates the archive: a resumed finisher writes the same bytes.
    await deps.archives.assemble(job, archived);
  }
}

/** Presigned URLs of the job's exports, for `completed` (and a cached answer). */
export async function exportUrls(job: JobRecord, deps: AppDeps): Promise<{ resultsUrl?: string; archiveUrl?: string }> {
  const ttl = deps.limits.manifestUrlTtlSeconds;
  return {
    ...(keepsContent(job) ? { resultsUrl: await deps.results.presignGet(resultsObjectKey(job.jobId), ttl) } : {}),
    ...(formatsOf(job).includes('archive') && deps.archives ? { archiveUrl: await deps.results.presignGet(archiveObjectKey(job.jobId), ttl) } : {}),
  };
}

async function notifyCompleted(job: JobRecord, status: FinalStatus, key: string, deps: AppDeps): Promise<void> {
  // Claim first, then send: the completion is sent at most once. If the send is lost the results
  // are still in S3 and `status` returns them.
  // Bound to this run's end: a stale read of a run that was redriven since claims nothing.
  if (!(await deps.jobs.claimNotification(job.jobId, deps.clock.now(), job.finishedAt))) return;
  const manifestUrl = await deps.results.presignGet(key, deps.limits.manifestUrlTtlSeconds);
  const message = completedMessage(job, status, manifestUrl, { cached: answeredFromCache(job), requestId: job.requestId, ...(await exportUrls(job, deps)) });
  const delivered = await deps.notifier.send(job.connectionId, message);
  if (!delivered) deps.log.info('client gone before completion', { jobId: job.jobId });
}

export function completedMessage(
  job: JobRecord,
  status: FinalStatus,
  manifestUrl: string,
  answer: { cached: boolean; requestId?: string; resultsUrl?: string; archiveUrl?: string },
): ServerMessage {
  return {
    type: 'completed',
    jobId: job.jobId,
    ...(answer.requestId !== undefined ? { requestId: answer.requestId } : {}),
    status,
    pages: job.done,
    // Real failures only: URLs robots.txt disallows are counted in `skipped` (core/job.ts isSkipped).
    failed: realFailures(job),
    ...(skippedCount(job) > 0 ? { skipped: skippedCount(job) } : {}),
    durationMs: Math.max(0, (job.finishedAt ?? job.startedAt) - job.startedAt),
    cached: answer.cached,
    manifestUrl,
    ...(answer.resultsUrl !== undefined ? { resultsUrl: answer.resultsUrl } : {}),
    ...(answer.archiveUrl !== undefined ? { archiveUrl: answer.archiveUrl } : {}),
    ...((job.capped ?? 0) > 0 ? { capped: job.capped } : {}),
    ...((job.linksDropped ?? 0) > 0 ? { linksDropped: job.linksDropped } : {}),
    ...((job.reused ?? 0) > 0 ? { reused: job.reused } : {}),
    // The manifest's figure: both are made from the same read of the job's counters.
    estimatedCostUsd: usageOf(job).estimatedCostUsd,
    ...(job.endReason !== undefined ? { endReason: job.endReason } : {}),
    // pages that were a bot challenge or block page, and whether they were most of the job (core/pushback.ts)
    ...blockedFieldsOf(job),
    ...(job.changes ? { changes: job.changes } : {}),
  };
}
