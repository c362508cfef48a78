// Accepting a crawl: validate, create the job with its seed, answer at once, enqueue the seed.
import { ClientInputError, ErrorCode } from '../core/errors.js';
import { isFinal, isVisibleTo, type FinalStatus, type FrontierRecord, type JobRecord } from '../core/job.js';
import { cacheKeyOf, urlKeyOf } from '../core/keys.js';
import type { CrawlRequest } from '../core/messages.js';
import { expiresAt, type AppDeps } from './deps.js';
import { completedMessage } from './finish-job.js';

/** `owner`: the authorizer's principal of the connection (undefined when auth is off); only it may act on the job. */
export async function submitCrawl(request: CrawlRequest, connectionId: string, jobId: string, deps: AppDeps, owner?: string): Promise<void> {
  const now = deps.clock.now();
  // Each principal has its own result cache: one client's crawls are not answers for another.
  const cacheKey = owner === undefined ? cacheKeyOf(request) : `${owner}#${cacheKeyOf(request)}`;
  if (request.maxAgeSeconds > 0 && (await answerFromCache(request, cacheKey, connectionId, deps, owner))) return;
  const job: JobRecord = {
    jobId,
    url: request.url,
    depth: request.depth,
    maxPages: request.maxPages,
    scope: request.scope,
    include: request.include,
    exclude: request.exclude,
    ...(request.block.length > 0 ? { block: request.block } : {}),
    ...(request.obeyRobots ? {} : { ignoreRobots: true as const }),
    connectionId,
    ...(owner !== undefined ? { owner } : {}),
    ...(request.requestId !== undefined ? { requestId: request.requestId } : {}),
    status: 'running',
    cacheKey,
    startedAt: now,
    deadlineAt: now + request.timeLimitSeconds * 1000,
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
  if ((await deps.jobs.createJob(job, seed, deps.limits.maxJobsPerConnection)) === 'too-many-jobs') {
    throw new ClientInputError(
      ErrorCode.tooManyJobs,
      `this connection already has ${deps.limits.maxJobsPerConnection} running jobs; wait for one to complete or cancel one`,
      request.requestId,
    );
  }
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
    await deps.jobs.beginFinish(jobId, 'failed', deps.clock.now(), { reason: 'the seed could not be queued' });
    throw new ClientInputError(ErrorCode.internal, 'the crawl could not be queued; please retry', request.requestId, jobId);
  }
  deps.log.info('crawl accepted', { jobId, url: request.url, depth: request.depth, maxPages: request.maxPages, connectionId });
}

/** Answers from an equal crawl that succeeded recently enough; false when there is none. */
async function answerFromCache(request: CrawlRequest, cacheKey: string, connectionId: string, deps: AppDeps, owner: string | undefined): Promise<boolean> {
  const entry = await deps.jobs.getCacheEntry(cacheKey);
  if (!entry || deps.clock.now() - entry.finishedAt > request.maxAgeSeconds * 1000) return false;
  const job = await deps.jobs.getJob(entry.jobId);
  // Another principal's crawl is not ours to hand out (nor could this client then ask its status).
  if (!job || !isFinal(job.status) || !job.manifestKey || !isVisibleTo(job, owner)) return false;
  const requestId = request.requestId;
  await deps.notifier.send(connectionId, { type: 'accepted', jobId: job.jobId, ...(requestId !== undefined ? { requestId } : {}), cached: true });
  const manifestUrl = await deps.results.presignGet(job.manifestKey, deps.limits.manifestUrlTtlSeconds);
  await deps.notifier.send(connectionId, completedMessage(job, job.status as FinalStatus, manifestUrl, { cached: true, requestId }));
  deps.log.info('answered from the result cache', { jobId: job.jobId, url: request.url });
  return true;
}
