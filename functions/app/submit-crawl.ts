// Accepting a crawl: validate, create the job with its seed, answer at once, enqueue the seed. With
// maxAge, an earlier crawl may answer at once or be built upon (app/reuse-crawl.ts).
import { DEFAULT_COUNTER_SHARDS } from '../core/counter-shards.js';
import { ClientInputError, ErrorCode } from '../core/errors.js';
import { timeLimitWarning } from '../core/estimate.js';
import { ownerFor, type FrontierRecord, type JobRecord } from '../core/job.js';
import { urlKeyOf } from '../core/keys.js';
import type { CrawlRequest } from '../core/messages.js';
import { expiresAt, type AppDeps } from './deps.js';
import { clientQuotaFor, exceedsDay, quotaError } from '../core/client-quota.js';
import { estimateAnswer } from './estimate-crawl.js';
import { startHeartbeat } from './heartbeat.js';
import { askToFinish } from './finish-job.js';
import { requestCacheKeys, reuseEarlierCrawl, sendsCredentials } from './reuse-crawl.js';
import { continueReuse } from './reuse-run.js';
import { sinceJobFor } from './since-job.js';
import { keepWebhook } from './webhook-delivery.js';

/** `owner`: the authorizer's principal of the connection (undefined when auth is off); only it may act on the job. */
export async function submitCrawl(request: CrawlRequest, connectionId: string, jobId: string, deps: AppDeps, owner?: string): Promise<void> {
  // An estimate only: answered, nothing created nor crawled.
  if (request.estimate) {
    await deps.notifier.send(connectionId, await estimateAnswer(request, deps.limits, deps.sitemaps));
    return;
  }
  const now = deps.clock.now();
  // `since`: an earlier finished job of this client, checked before anything is created.
  const since = request.since !== undefined ? await sinceJobFor({ ...request, since: request.since }, owner, deps) : undefined;
  const keys = requestCacheKeys(request, owner);
  const recordsExpireAt = expiresAt(deps.clock, deps.limits);
  // The receiver passes the egress guard and is kept with its secret in the secrets table before
  // the job exists, so a job never ends without it (app/webhook-delivery.ts); the job item keeps the events.
  const webhook = request.webhook ? await keepWebhook(jobId, request.webhook, recordsExpireAt, deps, request.requestId) : undefined;
  const template: JobRecord = {
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
    ...(request.consent !== undefined ? { consent: request.consent } : {}),
    ...(request.budgetUsd !== undefined ? { budgetUsd: request.budgetUsd } : {}),
    ...(since ? { since } : {}),
    ...(webhook ? { webhook } : {}),
    // Under `auto`, the page types' learning starts empty: the map its updates write into (core/render-choice.ts).
    ...(request.render !== undefined ? { render: request.render, ...(request.render === 'auto' ? { renderTypes: {} } : {}) } : {}),
    // Possibly secrets: kept on the job item only while it runs (jobs.beginFinish removes them).
    // The crawl's own proxy URL holds its credentials: kept with them, the same way.
    ...(request.headers || request.cookies || request.proxy
      ? {
          seedCredentials: {
            ...(request.headers ? { headers: request.headers } : {}),
            ...(request.cookies ? { cookies: request.cookies } : {}),
            ...(request.proxy ? { proxy: request.proxy } : {}),
          },
          usedCredentials: true as const,
        }
      : {}),
    connectionId,
    // Every job has an owner (ownerFor): an item without one is no client's (app/own-job.ts).
    owner: ownerFor(owner),
    ...(request.requestId !== undefined ? { requestId: request.requestId } : {}),
    status: 'running',
    // Its entry when it succeeds: the reuse key at its depth (app/reuse-crawl.ts).
    cacheKey: keys.entry,
    startedAt: now,
    deadlineAt: now + request.timeLimitSeconds * 1000,
    admitted: 1,
    settled: 0,
    done: 0,
    failed: 0,
    // Settles count on shard items, not on this one (core/counter-shards.ts).
    counterShards: deps.limits.counterShards ?? DEFAULT_COUNTER_SHARDS,
    expiresAt: recordsExpireAt,
  };
  const reuse = request.maxAgeSeconds > 0 && !sendsCredentials(request) ? await reuseEarlierCrawl(request, template, keys, connectionId, deps, owner) : { kind: 'none' as const };
  if (reuse.kind === 'answered') return;
  // To be built upon a shallower cached crawl: created as any job, its seed admitted but not sent,
  // marked; the finisher's function builds it (or crawls it from its seeds) off this route.
  const job: JobRecord = reuse.kind === 'build' ? { ...template, reusePending: reuse.from } : template;
  // The client's allowance over all its connections (core/client-quota.ts): a running-job slot and
  // the job's maxPages from today's pages, the unused part given back when it ends.
  const quota = clientQuotaFor(owner, job.maxPages, deps.limits, now, true);
  if (quota && exceedsDay(quota)) throw quotaError('client-pages-quota', quota, request.requestId);
  const created = await deps.jobs.createJob(job, seedRecord(job, request.url), deps.limits.maxJobsPerConnection, quota);
  // A job refused by a quota is none: its webhook goes (its TTL would remove it anyway).
  if (created !== 'created' && webhook) await deps.webhooks?.store.deleteTarget(jobId).catch(() => {});
  if ((created === 'client-jobs-quota' || created === 'client-pages-quota') && quota) throw quotaError(created, quota, request.requestId);
  if (created === 'too-many-jobs') {
    throw new ClientInputError(
      ErrorCode.tooManyJobs,
      `this connection already has ${deps.limits.maxJobsPerConnection} running jobs; wait for one to complete or cancel one`,
      request.requestId,
    );
  }
  // The job exists from here on: nothing below may answer as if nothing had started. Every failure
  // leaves the job on a path to its end: `completed` now, or the sweeper later.
  // `accepted` goes out before the seed is queued, so it always arrives before `progress` or `completed`.
  // A time limit the client chose that its hosts' pace cannot meet for maxPages: it is told so.
  const warning = request.timeLimitAsked ? timeLimitWarning(request.maxPages, request.seeds ?? [request.url], request.hostRate, request.timeLimitSeconds, deps.limits) : undefined;
  await sendAccepted(connectionId, jobId, request.requestId, deps, warning);
  try {
    if (reuse.kind === 'build') {
      await askToBuild(jobId, deps);
    } else {
      const others = await admitOtherSeeds(job, deps);
      await deps.queue.send([{ jobId, url: request.url, depth: 0 }, ...others.map((url) => ({ jobId, url, depth: 0 }))]);
    }
  } catch (error) {
    await failUnseededJob(jobId, error, deps);
    return;
  }
  // Its client hears from it at least every heartbeat interval while it runs (app/heartbeat.ts).
  await startHeartbeat(jobId, deps);
  deps.log.info('crawl accepted', { jobId, url: request.url, depth: request.depth, maxPages: request.maxPages, connectionId, ...(job.reusePending ? { buildUpon: job.reusePending.jobId } : {}) });
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
async function sendAccepted(connectionId: string, jobId: string, requestId: string | undefined, deps: AppDeps, warning?: string): Promise<void> {
  try {
    await deps.notifier.send(connectionId, { type: 'accepted', jobId, ...(requestId !== undefined ? { requestId } : {}), cached: false, ...(warning ? { warning } : {}) });
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
    // A job whose build upon a cached crawl was committed before the failure has its reused pages: partial, with them.
    const job = await deps.jobs.getJob(jobId);
    const [status, reason] = job && job.done > 0 ? (['partial', 'the next URLs could not be queued'] as const) : (['failed', 'the seed could not be queued'] as const);
    await deps.jobs.beginFinish(jobId, status, deps.clock.now(), { reason });
    // Finishing, or already ended some other way (a cancel): either way complete what is left.
    await askToFinish(jobId, deps);
  } catch (finishError) {
    // A running job with no activity is ended by the sweeper, a finishing one resumed by it.
    deps.log.error('could not end the job now; the sweeper will', { jobId, error: String(finishError) });
  }
}

/** A job to build upon a cached crawl: the finisher's function does it (app/reuse-run.ts); here (unit tests) without one. */
async function askToBuild(jobId: string, deps: AppDeps): Promise<void> {
  if (deps.finishRequests) await deps.finishRequests.requestWork({ kind: 'reuse', jobId });
  else await continueReuse(jobId, deps);
}
