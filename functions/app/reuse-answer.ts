// Answering a crawl request from a cached crawl of equal or greater depth, with no page rendered.
// Equal depth: the cached job itself is the answer, sent by the crawl route at once (a read of its
// job item and two presigned URLs). Greater depth: the crawl route creates the job as for a build
// upon a cached crawl (`reusePending`, app/reuse-run.ts) and the finisher's function cuts the answer:
// the cached crawl listed and walked (a read per page), its pages within the requested depth put
// in the new job's frontier as done, each at its shortest depth (core/reuse-plan.ts), pointing at
// the cached job's page records and files — nothing is copied, so the job expires with the cached
// one and never points at objects gone. The job then ends as any job: the finisher writes its
// manifest, pages.jsonl and archive (streamed, checkpointed) and sends `completed` (`cached: true`:
// no page of it was rendered). None of this work runs in the 256 MB crawl route.
import { isFinal, type FinalStatus, type FrontierRecord, type JobRecord } from '../core/job.js';
import { manifestObjectKey } from '../core/keys.js';
import { crawlGraphOf, type CachedCrawlRef } from '../core/reuse-plan.js';
import type { AppDeps } from './deps.js';
import { completedMessage, exportUrls } from './finish-job.js';
import type { BuiltJob } from './reuse-build.js';
import { queueRunEnd } from './webhook-delivery.js';
import { REUSE_MAX_PAGES, walkCrawl } from './reuse-walk.js';

/**
 * The job `job` (running, `reusePending` planning, as the route created it) as an answer cut from
 * `source`, a succeeded uncapped crawl of its reuse key at `entry.depth` > the job's depth: its
 * frontier (the pages within the depth, done) and counters, with nothing left to crawl. Null when
 * `source` cannot answer — it missed a page within the requested depth, or lists more than
 * `maxPages` there — and the job is crawled from its seeds.
 */
export async function cutAnswer(source: JobRecord, entry: CachedCrawlRef, job: JobRecord, deps: AppDeps): Promise<BuiltJob | null> {
  const graph = crawlGraphOf(await deps.frontier.list(source.jobId));
  if (!graph || graph.pages.size > REUSE_MAX_PAGES) return null;
  const walk = await walkCrawl(source, graph, job.depth, deps);
  // A link within the depth that the cached crawl did not follow (it reached the linking page
  // first at its last depth, by a longer path): a fresh crawl would list a page it lacks.
  if (walk.outside.length > 0) return null;
  // Every page the cached crawl recorded within the depth is reached by the walk (by its recorded
  // path, if not a shorter one); one that is not means records that disagree: do not guess.
  for (const page of graph.pages.values()) if (page.depth <= job.depth && !walk.placed.has(page.url)) return null;
  const placed = [...walk.placed.values()];
  if (placed.length > job.maxPages) return null;
  // URLs robots.txt disallowed within the depth: skipped in the answer as in the cached crawl.
  const skipped = walk.skipped.filter((p) => p.depth <= job.depth);

  // Its pages point at the cached job's records: it lives no longer than they do.
  const expiresAt = Math.min(job.expiresAt, source.expiresAt);
  const pages = placed.map((p): FrontierRecord => {
    const record = graph.pages.get(p.url)!;
    return { ...record, jobId: job.jobId, depth: p.depth, parent: p.parent, expiresAt, summary: { ...record.summary!, depth: p.depth, parent: p.parent } };
  });
  const refused = skipped.map((p): FrontierRecord => ({ ...graph.skipped.get(p.url)!, jobId: job.jobId, depth: p.depth, parent: p.parent, expiresAt }));
  const warnings = graph.warnings.map((w) => ({ ...w, jobId: job.jobId, expiresAt }));
  const seed = pages.find((p) => p.url === job.url);
  if (!seed) return null;
  const built: JobRecord = {
    ...job,
    admitted: pages.length + refused.length,
    settled: pages.length + refused.length,
    done: pages.length,
    // stored as failed robots refusals, counted apart (core/job.ts isSkipped)
    failed: refused.length,
    ...(refused.length > 0 ? { robotsRefused: refused.length } : {}),
    reused: pages.length,
    reusedFrom: source.jobId,
    crawledSince: entry.finishedAt,
    lastActivityAt: deps.clock.now(),
    expiresAt,
  };
  return { job: built, seed, items: [...pages.filter((p) => p !== seed), ...refused, ...warnings], messages: [] };
}

/** `accepted` and `completed`, both `cached: true`, for a job that is final already (an equal-depth answer). */
export async function sendAnswer(job: JobRecord, connectionId: string, requestId: string | undefined, deps: AppDeps): Promise<void> {
  const status = (isFinal(job.status) ? job.status : 'succeeded') as FinalStatus;
  await deps.notifier.send(connectionId, { type: 'accepted', jobId: job.jobId, ...(requestId !== undefined ? { requestId } : {}), cached: true });
  const manifestUrl = await deps.results.presignGet(job.manifestKey ?? manifestObjectKey(job.jobId), deps.limits.manifestUrlTtlSeconds);
  const completed = completedMessage(job, status, manifestUrl, { cached: true, requestId, ...(await exportUrls(job, deps)) });
  await deps.notifier.send(connectionId, completed);
  // A job with a webhook answered from the cache ends here: its end is delivered as any other's.
  if (job.webhook) await queueRunEnd(job, status, completed, deps);
}
