// Building a deeper crawl upon a cached one of smaller depth: the new job starts with every page of
// the cached crawl (their records and files copied under the new job, nothing rendered again), each
// at its shortest depth, and its frontier continues from their links that lead outside the cached
// crawl: the links of its deepest level, and any link of a shallower page that it reached first by
// a longer path and so did not follow. The new job then runs as any job (claims, admissions against
// maxPages, one completion); its `completed` says how many pages it reused.
//
// Order of effects: page records and files copied, then the frontier items, then the job with its
// seed and connection slot in one transaction (jobs.createReusingJob); the caller then sends
// `accepted` and queues the next URLs, as for a first crawl. A crash before the job exists leaves
// objects and items that expire and nothing running; after it, the sweeper ends a job whose URLs
// never reached the queue.
import type { FrontierRecord, JobRecord, PageSummary } from '../core/job.js';
import { pageObjectKey, rehomedKey, urlKeyOf } from '../core/keys.js';
import type { CrawlMessage, StoredOutput } from '../core/ports.js';
import { crawlGraphOf, type CachedCrawlRef, type Placed } from '../core/reuse-plan.js';
import type { AppDeps } from './deps.js';
import { mapLimited, READS_AT_ONCE, REUSE_MAX_PAGES, ReuseUnavailableError, walkCrawl } from './reuse-walk.js';

export interface BuiltJob {
  /** the new job, running, its reused pages counted as admitted, settled and done */
  job: JobRecord;
  seed: FrontierRecord;
  /** every other frontier item: reused pages, their aliases, warnings, the next URLs, capped markers */
  items: FrontierRecord[];
  /** the next URLs to queue (none: the cached crawl's pages link nowhere new, and the job ends at once) */
  messages: CrawlMessage[];
}

/**
 * Plans the job `template` (as the request would create it) upon `source`, a succeeded uncapped
 * crawl of the same reuse key and smaller depth, and copies the reused pages' objects. Null when
 * `source` cannot be used (not a complete crawl, more pages than the request's maxPages or than
 * REUSE_MAX_PAGES): the request is crawled from its seeds.
 */
export async function buildUpon(source: JobRecord, entry: CachedCrawlRef, template: JobRecord, deps: AppDeps): Promise<BuiltJob | null> {
  const graph = crawlGraphOf(await deps.frontier.list(source.jobId));
  if (!graph || graph.pages.size > REUSE_MAX_PAGES || graph.pages.size > template.maxPages) return null;
  const seedRecord = graph.pages.get(template.url);
  if (!seedRecord || seedRecord.depth !== 0) return null;
  const walk = await walkCrawl(source, graph, Number.POSITIVE_INFINITY, deps);
  // Pages no walk reaches would mean records that disagree; they keep where the crawl put them.
  for (const page of graph.pages.values()) {
    if (!walk.placed.has(page.url)) walk.placed.set(page.url, { url: page.url, depth: page.depth, parent: page.parent });
  }
  const byDepthThenUrl = (a: Placed, b: Placed) => a.depth - b.depth || (a.url < b.url ? -1 : a.url > b.url ? 1 : 0);
  // A URL the cached crawl skipped (robots.txt) is asked about again, as in a fresh crawl: the
  // site's robots.txt may have changed since.
  const next = [...walk.outside, ...walk.skipped].filter((p) => p.depth <= template.depth).sort(byDepthThenUrl);
  // The reused pages count against maxPages first, as they were admitted first in a fresh crawl.
  const room = template.maxPages - graph.pages.size;
  const admitted = next.slice(0, room);
  const capped = next.slice(room);

  const now = deps.clock.now();
  const jobId = template.jobId;
  const item = (p: Placed): Omit<FrontierRecord, 'state'> => ({
    jobId,
    urlKey: urlKeyOf(p.url),
    url: p.url,
    depth: p.depth,
    parent: p.parent,
    // A depth-0 page keeps its discoverer (a sitemap URL its seed); the others are found by their parent.
    discoveredBy: p.parent === null ? null : urlKeyOf(p.parent),
    attempts: 0,
    expiresAt: template.expiresAt,
  });
  const pages = await mapLimited([...walk.placed.values()], READS_AT_ONCE, async (p): Promise<FrontierRecord> => {
    const source = graph.pages.get(p.url)!;
    const summary = await copyPage(source, p, jobId, deps);
    return { ...item(p), state: 'done', attempts: source.attempts, summary };
  });
  const aliases = [...graph.aliases.values()].map((alias) => {
    const of = walk.placed.get(alias.aliasOf ?? '');
    return { ...alias, jobId, depth: of?.depth ?? alias.depth, parent: of?.parent ?? alias.parent, expiresAt: template.expiresAt };
  });
  const warnings = graph.warnings.map((w) => ({ ...w, jobId, expiresAt: template.expiresAt }));
  const queued = admitted.map((p): FrontierRecord => ({ ...item(p), state: 'queued' }));
  const markers = capped.map((p): FrontierRecord => ({ ...item(p), state: 'capped' }));

  const reused = pages.length;
  const job: JobRecord = {
    ...template,
    admitted: reused + queued.length,
    settled: reused,
    done: reused,
    failed: 0,
    reused,
    reusedFrom: source.jobId,
    crawledSince: entry.finishedAt,
    lastActivityAt: now,
    ...(markers.length > 0 ? { capped: markers.length } : {}),
  };
  const seed = pages.find((p) => p.url === template.url)!;
  return {
    job,
    seed,
    items: [...pages.filter((p) => p !== seed), ...aliases, ...warnings, ...queued, ...markers],
    messages: queued.map((q) => ({ jobId, url: q.url, depth: q.depth })),
  };
}

/**
 * The page's record and files under the new job: the record rewritten (job, depth, parent, file
 * keys), its files copied; the summary the new frontier item holds.
 */
async function copyPage(source: FrontierRecord, at: Placed, jobId: string, deps: AppDeps): Promise<PageSummary> {
  const from = source.jobId;
  const summary = source.summary!;
  const record = await deps.results.getPage(summary.key);
  if (!record) throw new ReuseUnavailableError(`the record of ${source.url} is gone`);
  const outputs = record.outputs ? rehomeOutputs(record.outputs, from, jobId) : undefined;
  const files = Object.values(record.outputs ?? {}).flatMap((o) => Object.values(o.files ?? {}));
  await Promise.all(files.map((key) => deps.results.copyObject(key, rehomedKey(key, from, jobId))));
  const key = pageObjectKey(jobId, source.urlKey);
  await deps.results.putPage(key, { ...record, jobId, depth: at.depth, parent: at.parent, ...(outputs ? { outputs } : {}) });
  const summaryOutputs = summary.outputs ? Object.fromEntries(Object.entries(summary.outputs).map(([name, k]) => [name, rehomedKey(k, from, jobId)])) : undefined;
  return { ...summary, depth: at.depth, parent: at.parent, key, ...(summaryOutputs ? { outputs: summaryOutputs } : {}) };
}

function rehomeOutputs(outputs: Record<string, StoredOutput>, from: string, to: string): Record<string, StoredOutput> {
  return Object.fromEntries(
    Object.entries(outputs).map(([name, output]) => [
      name,
      output.files ? { ...output, files: Object.fromEntries(Object.entries(output.files).map(([file, key]) => [file, rehomedKey(key, from, to)])) } : output,
    ]),
  );
}
