// The result cache with `maxAge`: a succeeded, uncapped crawl of the same seeds and options (any
// depth), recent enough, answers a request of equal depth at once, one of smaller depth by an
// answer cut from it (reuse-answer.ts), or is built upon for a larger one (reuse-build.ts); the
// route reads job items only: cutting and building run in the finisher's function (reuse-run.ts). Entries are kept per reuse key and depth
// (`{reuseKey}#d{depth}`, written by jobs.completeFinish from the job's cacheKey), so one batched
// read finds every depth; entries written before reuse by depth (the exact key) are read too.
import { isExpired, isVisibleTo, type JobRecord, type ReusePending } from '../core/job.js';
import { cacheKeyOf, depthCacheKeyOf, reuseKeyOf } from '../core/keys.js';
import type { CrawlRequest } from '../core/messages.js';
import { reuseCandidates, type CachedCrawlRef } from '../core/reuse-plan.js';
import type { AppDeps } from './deps.js';
import { sendAnswer } from './reuse-answer.js';

export interface RequestCacheKeys {
  /** the request's key before reuse by depth (depth and maxPages in it): entries of older jobs */
  exact: string;
  /** the request's options but depth (and its bounds): every depth of one crawl */
  reuse: string;
  /** the entry this request's job writes when it succeeds: its reuse key at its depth */
  entry: string;
}

/** Each principal has its own result cache: one client's crawls are not answers for another. */
export function requestCacheKeys(request: CrawlRequest, owner: string | undefined): RequestCacheKeys {
  const mine = (key: string) => (owner === undefined ? key : `${owner}#${key}`);
  const reuse = mine(reuseKeyOf(request));
  return { exact: mine(cacheKeyOf(request)), reuse, entry: depthCacheKeyOf(reuse, request.depth) };
}

/**
 * Headers and cookies may show what only that client may see, and a crawl's own proxy what only its
 * vantage point sees (another country, another network): such a crawl is never shared or reused.
 */
export function sendsCredentials(request: CrawlRequest): boolean {
  return request.headers !== undefined || request.cookies !== undefined || request.proxy !== undefined;
}

export type ReuseOutcome =
  /** nothing usable: crawl as usual */
  | { kind: 'none' }
  /** `accepted` and `completed` sent, from a crawl of equal depth */
  | { kind: 'answered' }
  /**
   * a deeper crawl to cut an answer from, or a shallower one to build upon: the caller creates the
   * job with `reusePending` and asks the finisher's function for it (app/reuse-run.ts); the route
   * neither lists, walks nor copies
   */
  | { kind: 'build'; from: ReusePending };

/**
 * Looks for a cached crawl that serves `request` (whose job would be `template`). Any failure while
 * planning (a record gone, a throttled read) falls back to a crawl from the seeds: nothing has been
 * sent or created by then.
 */
export async function reuseEarlierCrawl(
  request: CrawlRequest,
  template: JobRecord,
  keys: RequestCacheKeys,
  connectionId: string,
  deps: AppDeps,
  owner: string | undefined,
): Promise<ReuseOutcome> {
  const depthOf = new Map<string, number>([[keys.exact, request.depth]]);
  for (let depth = 0; depth <= deps.limits.maxDepth; depth++) depthOf.set(depthCacheKeyOf(keys.reuse, depth), depth);
  const entries = await deps.jobs.getCacheEntries([...depthOf.keys()]);
  const refs = entries.map((e) => ({ jobId: e.jobId, finishedAt: e.finishedAt, depth: depthOf.get(e.cacheKey) ?? Number.NaN }));
  const { answer, build } = reuseCandidates(refs, request.depth, deps.clock.now(), request.maxAgeSeconds);

  for (const entry of answer) {
    const source = await usableSource(entry, owner, deps);
    if (!source) continue;
    if (source.depth === request.depth && source.admitted <= request.maxPages) {
      await sendAnswer(source, connectionId, request.requestId, deps);
      deps.log.info('answered from the result cache', { jobId: source.jobId, url: request.url, depth: request.depth });
      return { kind: 'answered' };
    }
    // Deeper: cut by the finisher's function (a walk of up to REUSE_MAX_PAGES reads), which falls
    // back to a crawl from the seeds if this crawl cannot answer after all.
    if (source.depth > request.depth) return { kind: 'build', from: { jobId: source.jobId, finishedAt: entry.finishedAt, state: 'planning' } };
  }
  // The deepest usable crawl is built upon (if it cannot be after all, a shallower one would do no
  // better: the job is crawled from its seeds). Only its job item is read here.
  for (const entry of build) {
    const source = await usableSource(entry, owner, deps);
    if (source) return { kind: 'build', from: { jobId: source.jobId, finishedAt: entry.finishedAt, state: 'planning' } };
  }
  return { kind: 'none' };
}

/** The cached job, if it may still answer this principal: it succeeded, listed every page (not capped), and has not expired. */
export async function usableSource(entry: CachedCrawlRef, owner: string | undefined, deps: AppDeps): Promise<JobRecord | null> {
  const job = await deps.jobs.getJob(entry.jobId);
  if (!job || job.status !== 'succeeded' || !job.manifestKey || !isVisibleTo(job, owner) || isExpired(job, deps.clock.now())) return null;
  // Entries written before caps were counted may name a capped crawl.
  if ((job.capped ?? 0) > 0) return null;
  // The entry's depth comes from its key; the job says what it crawled.
  if (job.depth !== entry.depth) return null;
  return job;
}

/** Runs a reuse plan; a failure gives up the reuse (logged), not the request. */
export async function planned<T>(plan: () => Promise<T>, source: JobRecord, deps: AppDeps): Promise<T | null> {
  try {
    return await plan();
  } catch (error) {
    deps.log.warn('could not reuse a cached crawl; crawling instead', { from: source.jobId, error: String(error) });
    return null;
  }
}
