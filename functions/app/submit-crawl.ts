// Accepting a crawl: validate, create the job with its seed, answer at once, enqueue the seed.
import { ClientInputError, ErrorCode } from '../core/errors.js';
import { isFinal, isVisibleTo, type FinalStatus, type FrontierRecord, type JobRecord } from '../core/job.js';
import { cacheKeyOf, urlKeyOf } from '../core/keys.js';
import type { CrawlRequest } from '../core/messages.js';
import { expiresAt, type AppDeps } from './deps.js';
import { completedMessage, completeJob, exportUrls } from './finish-job.js';

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
    ...(request.formats.join() !== 'html' ? { formats: request.formats } : {}),
    ...(request.extract !== undefined ? { extract: request.extract } : {}),
    ...(request.hostRate !== undefined ? { hostRate: request.hostRate } : {}),
    ...(request.sitemap ? { sitemap: true as const } : {}),
    ...(request.seeds !== undefined && request.seeds.length > 1 ? { seeds: request.seeds } : {}),
    ...(request.actions?.length ? { actions: request.actions } : {}),
    ...(request.autoscroll === false ? { autoscroll: false as const } : {}),
    // Possibly secrets: kept on the job item only while it runs (jobs.beginFinish removes them).
    ...(request.headers || request.cookies
      ? { seedCredentials: { ...(request.headers ? { headers: request.headers } : {}), ...(request.cookies ? { cookies: request.cookies } : {}) }, usedCredentials: true as const }
      : {}),
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
  if ((await deps.jobs.createJob(job, seedRecord(job, request.url), deps.limits.maxJobsPerConnection)) === 'too-many-jobs') {
    throw new ClientInputError(
      ErrorCode.tooManyJobs,
      `this connection already has ${deps.limits.maxJobsPerConnection} running jobs; wait for one to complete or cancel one`,
      request.requestId,
    );
  }
  // The job exists from here on: nothing below may answer as if nothing had started. Every failure
  // leaves the job on a path to its end: `completed` now, or the sweeper later.
  // `accepted` goes out before the seed is queued, so it always arrives before `progress` or `completed`.
  await sendAccepted(connectionId, jobId, request.requestId, deps);
  try {
    const others = await admitOtherSeeds(job, deps);
    await deps.queue.send([{ jobId, url: request.url, depth: 0 }, ...others.map((url) => ({ jobId, url, depth: 0 }))]);
  } catch (error) {
    await failUnseededJob(jobId, error, deps);
    return;
  }
  deps.log.info('crawl accepted', { jobId, url: request.url, depth: request.depth, maxPages: request.maxPages, connectionId });
}

/** A seed's frontier item: depth 0, found by no page, queued. */
function seedRecord(job: JobRecord, url: string): FrontierRecord {
  return { jobId: job.jobId, urlKey: urlKeyOf(url), url, depth: 0, parent: null, discoveredBy: null, state: 'queued', attempts: 0, expiresAt: job.expiresAt };
}

/**
 * The seeds after the first (`urls`), admitted before any seed is on the queue, so the job cannot
 * end (admitted = settled) between the first seed and the rest. Seeds count against maxPages: the
 * ones past it are counted in `capped`. Returns the seeds to send.
 */
async function admitOtherSeeds(job: JobRecord, deps: AppDeps): Promise<string[]> {
  const others = (job.seeds ?? []).slice(1);
  if (others.length === 0) return [];
  const records = others.map((url) => seedRecord(job, url));
  const outcomes = await deps.frontier.admitAll(records, job.maxPages);
  const capped = records.filter((_, i) => outcomes[i] === 'cap-reached');
  if (capped.length > 0) await deps.frontier.markCapped(capped);
  // 'exists-mine' cannot happen for seeds (no parent); a retried submit does not exist either.
  return others.filter((_, i) => outcomes[i] === 'admitted');
}

/** A lost `accepted` does not stop the job: it runs, and `completed` (or `status`) tells the client. */
async function sendAccepted(connectionId: string, jobId: string, requestId: string | undefined, deps: AppDeps): Promise<void> {
  try {
    await deps.notifier.send(connectionId, { type: 'accepted', jobId, ...(requestId !== undefined ? { requestId } : {}), cached: false });
  } catch (error) {
    deps.log.error('could not send accepted; the job runs anyway', { jobId, connectionId, error: String(error) });
  }
}

/**
 * Without its seed on the queue the job would wait forever: it ends now, failed, with the seed in
 * its errors, and the client gets `completed`. (If the send did reach the queue after all, the
 * worker finds the job no longer running and drops the message.)
 */
async function failUnseededJob(jobId: string, error: unknown, deps: AppDeps): Promise<void> {
  deps.log.error('could not enqueue the seed; failing the job', { jobId, error: String(error) });
  try {
    await deps.jobs.beginFinish(jobId, 'failed', deps.clock.now(), { reason: 'the seed could not be queued' });
    // Finishing, or already ended some other way (a cancel): either way complete what is left.
    const job = await deps.jobs.getJob(jobId);
    if (job && job.status !== 'running') await completeJob(job, deps);
  } catch (finishError) {
    // A running job with no activity is ended by the sweeper, a finishing one resumed by it.
    deps.log.error('could not end the job now; the sweeper will', { jobId, error: String(finishError) });
  }
}

/** Answers from an equal crawl that succeeded recently enough; false when there is none. */
async function answerFromCache(request: CrawlRequest, cacheKey: string, connectionId: string, deps: AppDeps, owner: string | undefined): Promise<boolean> {
  const entry = await deps.jobs.getCacheEntry(cacheKey);
  if (!entry || deps.clock.now() - entry.finishedAt > request.maxAgeSeconds * 1000) return false;
  const job = await deps.jobs.getJob(entry.jobId);
  // Another principal's crawl is not ours to hand out (nor could this client then ask its status).
  if (!job || !isFinal(job.status) || !job.manifestKey || !isVisibleTo(job, owner)) return false;
  // A capped crawl lists only some of the pages asked for (entries written before caps were counted).
  if ((job.capped ?? 0) > 0) return false;
  const requestId = request.requestId;
  await deps.notifier.send(connectionId, { type: 'accepted', jobId: job.jobId, ...(requestId !== undefined ? { requestId } : {}), cached: true });
  const manifestUrl = await deps.results.presignGet(job.manifestKey, deps.limits.manifestUrlTtlSeconds);
  await deps.notifier.send(connectionId, completedMessage(job, job.status as FinalStatus, manifestUrl, { cached: true, requestId, ...(await exportUrls(job, deps)) }));
  deps.log.info('answered from the result cache', { jobId: job.jobId, url: request.url });
  return true;
}
