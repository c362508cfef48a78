// Reusing an earlier crawl (result cache by depth): which finished crawls the cache keeps, which
// cached crawls may serve a request, and each page's depth as a fresh crawl gives it.
//
// Why depths are recomputed: a page's recorded depth is the depth at which the crawl first found
// it, and under concurrency a longer path can be first (a slow page at depth 1 links to X, a fast
// chain seed → a → b reaches X at depth 3 before it). A fresh crawl of depth 2 lists X (through the
// slow page), so filtering the earlier crawl by recorded depth would lose it. The walk below gives
// every page its shortest distance from the depth-0 pages over the links the pages' records hold.
import { isSkipped, type FinalStatus, type FrontierRecord, type JobRecord } from './job.js';
import type { CacheEntry } from './store-ports.js';

export interface CachedCrawlRef {
  jobId: string;
  depth: number;
  /** when its oldest page was crawled (the crawl's end, or earlier for a crawl built upon another) */
  finishedAt: number;
}

/**
 * The cached crawls that may serve a request of `depth`, recent enough for `maxAgeSeconds`, best
 * first: `answer` (equal or deeper: the requested depth first, then the shallowest deeper one, the
 * least to walk) and `build` (shallower: the deepest first, the most to reuse).
 */
export function reuseCandidates<T extends CachedCrawlRef>(entries: readonly T[], depth: number, now: number, maxAgeSeconds: number): { answer: T[]; build: T[] } {
  const fresh = entries.filter((e) => now - e.finishedAt <= maxAgeSeconds * 1000);
  const newest = (a: T, b: T) => b.finishedAt - a.finishedAt;
  return {
    answer: fresh.filter((e) => e.depth >= depth).sort((a, b) => a.depth - b.depth || newest(a, b)),
    build: fresh.filter((e) => e.depth < depth).sort((a, b) => b.depth - a.depth || newest(a, b)),
  };
}

/**
 * The result-cache entry a job leaves when it ends with `status`, or null when it must answer no
 * later request: the store writes it with the job's final state (JobStore.completeFinish).
 * A capped crawl left pages out: it answers no later request, however equal.
 * A job run with the client's headers or cookies answers no one else's request (its pages may
 * be what those credentials showed). A job built upon an earlier crawl is as old as its oldest page.
 */
export function cacheEntryOf(job: JobRecord, status: FinalStatus): CacheEntry | null {
  if (status !== 'succeeded' || job.finishedAt === undefined || (job.capped ?? 0) > 0 || job.usedCredentials) return null;
  return { cacheKey: job.cacheKey, jobId: job.jobId, finishedAt: Math.min(job.finishedAt, job.crawledSince ?? job.finishedAt), expiresAt: job.expiresAt };
}

/** A finished crawl's frontier, seen as pages and the links between them. */
export interface CrawlGraph {
  /** done pages by URL */
  pages: Map<string, FrontierRecord>;
  /** redirect targets by URL: a link there leads to the page whose redirect ended there */
  aliases: Map<string, FrontierRecord>;
  /** unusable sitemaps: listed in errors, no URL of the crawl */
  warnings: FrontierRecord[];
  /** URLs robots.txt disallowed (core/job.ts isSkipped): no failure, so the crawl is still complete */
  skipped: Map<string, FrontierRecord>;
}

/**
 * The graph of a crawl that listed every page within its depth: null when it holds anything else
 * (a failure, a URL never crawled, a URL left out at maxPages), since it is then no complete answer.
 */
export function crawlGraphOf(records: readonly FrontierRecord[]): CrawlGraph | null {
  const graph: CrawlGraph = { pages: new Map(), aliases: new Map(), warnings: [], skipped: new Map() };
  for (const record of records) {
    if (record.state === 'done' && record.summary) graph.pages.set(record.url, record);
    else if (record.state === 'alias') graph.aliases.set(record.url, record);
    else if (record.state === 'warning') graph.warnings.push(record);
    else if (isSkipped(record)) graph.skipped.set(record.url, record);
    else return null;
  }
  return graph;
}

/** Where a page sits in a crawl: its shortest distance from the depth-0 pages, and a page one link closer. */
export interface Placed {
  url: string;
  depth: number;
  parent: string | null;
}

/** The pages at depth 0 (the seeds, and the URLs their sitemaps gave), with the parent they were recorded with. */
export function firstLevel(graph: CrawlGraph): Placed[] {
  return [...graph.pages.values()].filter((p) => p.depth === 0).map((p) => ({ url: p.url, depth: 0, parent: p.parent })).sort(byUrl);
}

/** The page a link leads to in the crawl (through a redirect alias); undefined when it leads outside it. */
export function pageOfLink(graph: CrawlGraph, url: string): string | undefined {
  if (graph.pages.has(url)) return url;
  const target = graph.aliases.get(url)?.aliasOf;
  return target !== undefined && graph.pages.has(target) ? target : undefined;
}

/**
 * One step of a breadth-first walk: the pages first reached from `level` (all at one depth), one
 * link further, added to `placed`; and the links that lead to no page of the crawl (`outside`),
 * each once, placed where a crawl would admit them, those to a URL the crawl skipped (robots.txt)
 * apart (`skipped`). Pages are taken in URL order, so the parent
 * chosen among several at the same depth does not depend on the order records were read.
 */
export function nextLevel(
  graph: CrawlGraph,
  level: readonly Placed[],
  linksOf: (url: string) => readonly string[],
  placed: Map<string, Placed>,
  outsideSeen: Set<string>,
): { level: Placed[]; outside: Placed[]; skipped: Placed[] } {
  const next: Placed[] = [];
  const outside: Placed[] = [];
  const skipped: Placed[] = [];
  for (const from of [...level].sort(byUrl)) {
    for (const link of linksOf(from.url)) {
      const page = pageOfLink(graph, link);
      const at = { depth: from.depth + 1, parent: from.url };
      if (page === undefined) {
        if (!outsideSeen.has(link)) {
          outsideSeen.add(link);
          (graph.skipped.has(link) ? skipped : outside).push({ url: link, ...at });
        }
      } else if (!placed.has(page)) {
        const entry = { url: page, ...at };
        placed.set(page, entry);
        next.push(entry);
      }
    }
  }
  return { level: next, outside, skipped };
}

const byUrl = (a: { url: string }, b: { url: string }) => (a.url < b.url ? -1 : a.url > b.url ? 1 : 0);
