// Accepting a crawl: validate, create the job with its seed, answer at once, enqueue the seed.
import { ClientInputError, ErrorCode } from '../core/errors.js';
import type { FrontierRecord, JobRecord } from '../core/job.js';
import { urlKeyOf } from '../core/keys.js';
import type { CrawlRequest } from '../core/messages.js';
import { expiresAt, type AppDeps } from './deps.js';

export async function submitCrawl(request: CrawlRequest, connectionId: string, jobId: string, deps: AppDeps): Promise<JobRecord> {
  const now = deps.clock.now();
  const job: JobRecord = {
    jobId,
    url: request.url,
    depth: request.depth,
    maxPages: request.maxPages,
    scope: request.scope,
    include: request.include,
    exclude: request.exclude,
    connectionId,
    ...(request.requestId !== undefined ? { requestId: request.requestId } : {}),
    status: 'running',
    startedAt: now,
    admitted: 1,
    settled: 0,
    done: 0,
    failed: 0,
    expiresAt: expiresAt(deps.clock, deps.limits),
  };
  const seed: FrontierRecord = {
    jobId,
    urlKey: urlKeyOf(request.url),
    url: request.url,
    depth: 0,
    parent: null,
    discoveredBy: null,
    state: 'queued',
    attempts: 0,
    expiresAt: job.expiresAt,
  };
  await deps.jobs.createJob(job, seed);
  // `accepted` goes out before the seed is queued, so it always arrives before `progress` or `completed`.
  await deps.notifier.send(connectionId, {
    type: 'accepted',
    jobId,
    ...(request.requestId !== undefined ? { requestId: request.requestId } : {}),
    cached: false,
  });
  try {
    await deps.queue.send([{ jobId, url: request.url, depth: 0 }]);
  } catch (error) {
    // Without its seed on the queue the job would wait forever: end it now as failed.
    deps.log.error('could not enqueue the seed; failing the job', { jobId, error: String(error) });
    await deps.jobs.beginFinish(jobId, 'failed', deps.clock.now(), true);
    throw new ClientInputError(ErrorCode.internal, 'the crawl could not be queued; please retry', request.requestId, jobId);
  }
  deps.log.info('crawl accepted', { jobId, url: request.url, depth: request.depth, maxPages: request.maxPages, connectionId });
  return job;
}
