// Answering a crawl request from a cached crawl of equal or greater depth, at once: no page is
// rendered. Equal depth: the cached job itself is the answer. Greater depth: a new job, final from
// the start, whose manifest lists exactly the cached pages within the requested depth (each at its
// shortest depth, core/reuse-plan.ts), with its own pages.jsonl and archive when the job keeps them.
// Its page entries point at the cached job's page records: nothing is copied, and the answer
// expires with the cached job, so it never points at objects gone.
//
// Order of effects: exports and manifest in S3, then the job record (final, `completed` claimed),
// then `accepted` and `completed`. A crash before the record leaves only objects that expire; the
// client, with no answer, asks again.
import { isFinal, formatsOf, keepsContent, type FinalStatus, type FrontierRecord, type JobRecord } from '../core/job.js';
import { manifestObjectKey } from '../core/keys.js';
import { buildManifest } from '../core/manifest.js';
import type { CrawlRequest } from '../core/messages.js';
import { crawlGraphOf, type CachedCrawlRef } from '../core/reuse-plan.js';
import { writeContentExport } from './content-export.js';
import type { AppDeps } from './deps.js';
import { completedMessage, exportUrls } from './finish-job.js';
import { queueRunEnd } from './webhook-delivery.js';
import { REUSE_MAX_PAGES, walkCrawl } from './reuse-walk.js';

/**
 * The job that answers `request` from `source` (a succeeded, uncapped crawl of its reuse key at
 * `entry.depth` ≥ the requested depth): `source` itself at equal depth, else a new answer job with
 * its manifest written. Null when it cannot: `source` missed a page within the requested depth, or
 * lists more than `maxPages` there; the request is then crawled. Sends nothing (sendAnswer does).
 */
export async function answerFromDeeper(source: JobRecord, entry: CachedCrawlRef, template: JobRecord, request: CrawlRequest, deps: AppDeps): Promise<JobRecord | null> {
  if (source.depth === request.depth) return source.admitted <= request.maxPages ? source : null;
  const answer = await cutAnswer(source, entry, template, request, deps);
  if (answer) deps.log.info('answer cut from a deeper cached crawl', { jobId: answer.jobId, from: source.jobId, depth: request.depth, fromDepth: source.depth, pages: answer.done });
  return answer;
}

/** The answer job, its manifest and exports written; null when `source` cannot answer. */
async function cutAnswer(source: JobRecord, entry: CachedCrawlRef, template: JobRecord, request: CrawlRequest, deps: AppDeps): Promise<JobRecord | null> {
  const graph = crawlGraphOf(await deps.frontier.list(source.jobId));
  if (!graph || graph.pages.size > REUSE_MAX_PAGES) return null;
  const walk = await walkCrawl(source, graph, request.depth, deps);
  // A link within the depth that the cached crawl did not follow (it reached the linking page
  // first at its last depth, by a longer path): a fresh crawl would list a page it lacks.
  if (walk.outside.length > 0) return null;
  // Every page the cached crawl recorded within the depth is reached by the walk (by its recorded
  // path, if not a shorter one); one that is not means records that disagree: do not guess.
  for (const page of graph.pages.values()) if (page.depth <= request.depth && !walk.placed.has(page.url)) return null;
  const placed = [...walk.placed.values()];
  if (placed.length > request.maxPages) return null;
  // URLs robots.txt disallowed within the depth: skipped in the answer as in the cached crawl.
  const skipped = walk.skipped.filter((p) => p.depth <= request.depth);

  const now = deps.clock.now();
  const answer: JobRecord = {
    ...template,
    status: 'succeeded',
    finalStatus: 'succeeded',
    startedAt: now,
    finishedAt: now,
    deadlineAt: now,
    admitted: placed.length + skipped.length,
    settled: placed.length + skipped.length,
    done: placed.length,
    // stored as failed robots refusals, counted apart (core/job.ts isSkipped)
    failed: skipped.length,
    ...(skipped.length > 0 ? { robotsRefused: skipped.length } : {}),
    manifestKey: manifestObjectKey(template.jobId),
    notifiedAt: now,
    reusedFrom: source.jobId,
    crawledSince: entry.finishedAt,
    // Its manifest points at the cached job's records: it lives no longer than they do.
    expiresAt: Math.min(template.expiresAt, source.expiresAt),
  };
  const records: FrontierRecord[] = [
    ...placed.map((p) => {
      const record = graph.pages.get(p.url)!;
      return { ...record, jobId: answer.jobId, depth: p.depth, parent: p.parent, summary: { ...record.summary!, depth: p.depth, parent: p.parent } };
    }),
    ...skipped.map((p) => ({ ...graph.skipped.get(p.url)!, jobId: answer.jobId, depth: p.depth, parent: p.parent })),
    ...graph.warnings,
  ];
  const manifest = buildManifest(answer, records, 'succeeded', now);
  if (keepsContent(answer)) await writeContentExport(answer, manifest.pages, deps.results, deps.limits.manifestUrlTtlSeconds);
  if (formatsOf(answer).includes('archive') && deps.archives) {
    const warcs = manifest.pages.flatMap((p) => (p.outputs?.archive ? [{ url: p.url, title: p.title, warcKey: p.outputs.archive }] : []));
    await deps.archives.assemble(answer, warcs);
  }
  await deps.results.putManifest(answer.manifestKey!, manifest);
  return (await deps.jobs.createAnsweredJob(answer)) ? answer : null;
}

/** `accepted` and `completed`, both `cached: true`, for a job that is final already. */
export async function sendAnswer(job: JobRecord, connectionId: string, requestId: string | undefined, deps: AppDeps): Promise<void> {
  const status = (isFinal(job.status) ? job.status : 'succeeded') as FinalStatus;
  await deps.notifier.send(connectionId, { type: 'accepted', jobId: job.jobId, ...(requestId !== undefined ? { requestId } : {}), cached: true });
  const manifestUrl = await deps.results.presignGet(job.manifestKey ?? manifestObjectKey(job.jobId), deps.limits.manifestUrlTtlSeconds);
  const completed = completedMessage(job, status, manifestUrl, { cached: true, requestId, ...(await exportUrls(job, deps)) });
  await deps.notifier.send(connectionId, completed);
  // A job with a webhook answered from the cache ends here: its end is delivered as any other's.
  if (job.webhook) await queueRunEnd(job, status, completed, deps);
}
