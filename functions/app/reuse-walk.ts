// Walking a cached crawl breadth-first over the links its page records hold (core/reuse-plan.ts):
// each page's shortest depth, and the links that lead outside the crawl.
import type { JobRecord } from '../core/job.js';
import { linksToFollow } from '../core/page-links.js';
import { firstLevel, nextLevel, type CrawlGraph, type Placed } from '../core/reuse-plan.js';
import type { AppDeps } from './deps.js';

/** Page records read from S3 at once: enough to hide latency, few enough to keep the walk's memory small. */
export const READS_AT_ONCE = 16;

/**
 * Most pages a cached crawl may have to be walked, cut or built upon, in the finisher's function
 * (app/reuse-run.ts): its graph is held whole and every record read (16 at a time), then written
 * as the new job's frontier; a larger crawl is not reused and the request is crawled anew.
 */
export const REUSE_MAX_PAGES = 1000;

/** The cached crawl cannot be used after all (a record is gone): the request is crawled anew. */
export class ReuseUnavailableError extends Error {
  override readonly name = 'ReuseUnavailableError';
}

/** `work` over the items, at most `limit` at once; results in the items' order. */
export async function mapLimited<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

export interface Walk {
  /** every page reached, by URL, at its shortest depth */
  placed: Map<string, Placed>;
  /** links that lead to no page of the crawl, each once, where a crawl would admit them */
  outside: Placed[];
  /** links to URLs the crawl skipped (robots.txt), each once, where a crawl would find them */
  skipped: Placed[];
}

/**
 * Walks `source` from its depth-0 pages, following the links of pages closer than `upTo`: only
 * their records are read (a walk to depth 1 reads the seeds alone).
 */
export async function walkCrawl(source: JobRecord, graph: CrawlGraph, upTo: number, deps: AppDeps): Promise<Walk> {
  let level = firstLevel(graph);
  const placed = new Map(level.map((p) => [p.url, p]));
  const outside: Placed[] = [];
  const skipped: Placed[] = [];
  const outsideSeen = new Set<string>();
  for (let depth = 0; depth < upTo && level.length > 0; depth++) {
    const links = await linksOfPages(source, graph, level.map((p) => p.url), deps);
    const step = nextLevel(graph, level, (url) => links.get(url) ?? [], placed, outsideSeen);
    outside.push(...step.outside);
    skipped.push(...step.skipped);
    level = step.level;
  }
  return { placed, outside, skipped };
}

async function linksOfPages(source: JobRecord, graph: CrawlGraph, urls: string[], deps: AppDeps): Promise<Map<string, string[]>> {
  const lists = await mapLimited(urls, READS_AT_ONCE, async (url) => {
    const key = graph.pages.get(url)?.summary?.key;
    const record = key ? await deps.results.getPage(key) : null;
    if (!record) throw new ReuseUnavailableError(`the record of ${url} is gone`);
    // the links a fresh crawl of that page would follow, under the same per-page cap
    return linksToFollow(source, url, record.page, deps.limits).links;
  });
  return new Map(urls.map((url, i) => [url, lists[i]!]));
}
