// The end of a page's journey: it is settled in the frontier (a transaction on the URL's item and
// its counter shard, core/counter-shards.ts; not the job item), counted exactly once, as done with
// its summary or as failed; then the job is finished if that was its last URL, or its client is
// told of the progress.
import type { FrontierRecord, JobRecord, PageFailure, PageSummary } from '../core/job.js';
import { outstanding } from '../core/job.js';
import { pageObjectKey } from '../core/keys.js';
import { usageOf } from '../core/usage.js';
import type { PageRecord } from '../core/ports.js';
import { progressOf } from '../core/progress.js';
import { resendOwnChildren } from './admit-children.js';
import type { WorkerDeps } from './deps.js';
import { askToFinish, finishIfDone } from './finish-job.js';
import { outputKeys } from './page-outputs.js';
import type { PhaseTimer } from './phase-timer.js';

/** What the frontier keeps of a crawled page (the manifest's entry), with where its time went. */
export function pageSummaryOf(job: JobRecord, record: FrontierRecord, page: PageRecord, queueWaitMs: number | undefined, timer: PhaseTimer): PageSummary {
  return {
    url: record.url,
    finalUrl: page.page.finalUrl,
    depth: record.depth,
    parent: record.parent,
    status: page.page.status,
    title: page.page.title,
    sha256: page.sha256,
    links: page.page.links.length,
    key: pageObjectKey(job.jobId, record.urlKey),
    ...(outputKeys(page.outputs) ? { outputs: outputKeys(page.outputs) } : {}),
    // what a later `since` crawl asks with and compares (core/changes.ts)
    ...(page.page.etag !== undefined ? { etag: page.page.etag } : {}),
    ...(page.page.lastModified !== undefined ? { lastModified: page.page.lastModified } : {}),
    ...(page.page.contentHash !== undefined ? { contentHash: page.page.contentHash } : {}),
    // A job that chose its renderer says which made each page (the manifest's entry is this summary).
    ...(job.render && page.page.renderer ? { renderer: page.page.renderer, ...(page.page.renderReason ? { renderReason: page.page.renderReason.slice(0, 200) } : {}) } : {}),
    timings: {
      queueWaitMs: queueWaitMs ?? null,
      navigationMs: page.page.timings.navigationMs,
      settleMs: page.page.timings.settleMs,
      extractMs: page.page.timings.extractMs,
      dynamodbMs: timer.totals.dynamodb,
      sqsMs: timer.totals.sqs,
      s3Ms: timer.totals.s3,
      totalMs: timer.elapsed(),
    },
  };
}

/**
 * The page ends as failed (robots, giving up, a render that cannot succeed); children an earlier
 * attempt admitted are sent again first.
 */
export async function settleFailed(job: JobRecord, record: FrontierRecord, error: string, deps: WorkerDeps, kind?: PageFailure['kind']): Promise<'failed' | 'lease-lost'> {
  deps.log.warn('page failed', { jobId: job.jobId, url: record.url, attempt: record.attempts, error });
  // It no longer waits for its host, whatever it waited for before.
  if (record.waitingSince !== undefined) await deps.frontier.endWait(job.jobId, record.urlKey, deps.workerId, job.counterShards);
  // However the page ends, children an earlier attempt admitted are counted in the job: they must
  // be on the queue before the page settles, or the job waits for them until the sweeper.
  await resendOwnChildren(job, record, deps);
  const settled = await deps.frontier.settle(
    job.jobId,
    record.urlKey,
    deps.workerId,
    // robots.txt refusals are marked: a redrive leaves them alone.
    { kind: 'failed', failure: { url: record.url, error, ...(kind ? { kind } : {}) } },
    job.counterShards,
  );
  if (!settled) return 'lease-lost';
  await afterSettle(job, deps);
  return 'failed';
}

/**
 * The page's answer was a bot challenge or block page (core/pushback.ts): it settles as `blocked`,
 * its summary kept with its blockReason, counted in the job's `blocked` (not done, not failed),
 * and none of its links is admitted (children an earlier attempt admitted are still sent, as for
 * any page that ends).
 */
export async function settleBlocked(
  job: JobRecord,
  record: FrontierRecord,
  page: PageRecord,
  deps: WorkerDeps,
  queueWaitMs: number | undefined,
  timer: PhaseTimer,
): Promise<'blocked' | 'lease-lost'> {
  const reason = page.blocked!.reason;
  deps.log.warn('page blocked', { jobId: job.jobId, url: record.url, status: page.page.status, blockReason: reason, signal: page.blocked!.signal });
  await resendOwnChildren(job, record, deps);
  const summary: PageSummary = { ...pageSummaryOf(job, record, page, queueWaitMs, timer), state: 'blocked', blockReason: reason };
  if (!(await deps.frontier.settle(job.jobId, record.urlKey, deps.workerId, { kind: 'blocked', summary }, job.counterShards))) return 'lease-lost';
  await afterSettle(job, deps);
  return 'blocked';
}

/** After a settle: the job's end when this was its last URL, else a progress message when one is due. */
export async function afterSettle(settings: JobRecord, deps: WorkerDeps): Promise<void> {
  const jobId = settings.jobId;
  const { job, progressDue } = await deps.jobs.readAfterSettle(jobId, deps.clock.now(), deps.limits.progressIntervalMs, settings.counterShards);
  if (!job) return;
  // Read after this settle, the counts include it and every settle before it; <= 0 because the job
  // item and its shards are separate item reads (a child admitted after the item was read may be
  // seen settled). After a job's last settle nothing admits any more, so that read is exact.
  if (job.status === 'running' && outstanding(job) <= 0) {
    await finishIfDone(jobId, deps);
    return;
  }
  // The same read has what the job used so far (core/usage.ts): a job at its budget ends here.
  if (job.status === 'running' && job.budgetUsd !== undefined && usageOf(job).estimatedCostUsd >= job.budgetUsd) {
    await endAtBudget(job, deps);
    return;
  }
  if (progressDue) await deps.notifier.send(job.connectionId, progressOf(job, deps.clock.now()));
}

/**
 * A job whose estimated cost reached its budget ends as the sweeper ends one at its time limit:
 * what is crawled is kept, the open URLs are listed as not crawled (endReason 'budget'). Workers
 * that hold its URLs find it no longer running and drop them.
 */
async function endAtBudget(job: JobRecord, deps: WorkerDeps): Promise<void> {
  const status = job.done > 0 ? 'partial' : 'failed';
  if (!(await deps.jobs.beginFinish(job.jobId, status, deps.clock.now(), { reason: 'budget' }))) return;
  deps.log.info('job reached its budget', { jobId: job.jobId, budgetUsd: job.budgetUsd, estimatedCostUsd: usageOf(job).estimatedCostUsd, done: job.done });
  // The finisher writes the manifest (handlers/finish.ts); this worker only asks.
  await askToFinish(job.jobId, deps);
}
