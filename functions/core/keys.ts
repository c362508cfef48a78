// Where things live: frontier keys and S3 object keys.
import { createHash } from 'node:crypto';

export function sha256Hex(data: string): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Frontier sort key: a hash keeps the key bounded (DynamoDB sort keys stop at 1 KB). */
export function urlKeyOf(normalisedUrl: string): string {
  return sha256Hex(normalisedUrl);
}

export function pageObjectKey(jobId: string, urlKey: string): string {
  return `jobs/${jobId}/pages/${urlKey}.json`;
}

/** A file a page product made (a screenshot, the page's WARC records), beside the page records. */
export function outputObjectKey(jobId: string, urlKey: string, name: string, extension: string): string {
  return `jobs/${jobId}/outputs/${urlKey}.${name}.${extension}`;
}

/** The job's content export: one JSON line per page. */
export function resultsObjectKey(jobId: string): string {
  return `jobs/${jobId}/pages.jsonl`;
}

/** The job's web archive (WACZ 1.1.1). */
export function archiveObjectKey(jobId: string): string {
  return `jobs/${jobId}/archive.wacz`;
}

export function manifestObjectKey(jobId: string): string {
  return `jobs/${jobId}/manifest.json`;
}

/**
 * Equal requests share a key: the normalised seed and every option that changes the result. The
 * key of result-cache entries written before reuse by depth (see reuseKeyOf), still looked up.
 */
export function cacheKeyOf(request: {
  url: string;
  depth: number;
  maxPages: number;
  scope: string;
  include: string[];
  exclude: string[];
  block?: readonly string[];
  obeyRobots?: boolean;
  formats?: readonly string[];
  extract?: string;
  seeds?: readonly string[];
  sitemap?: boolean;
  since?: string;
  render?: string;
}): string {
  const { url, depth, maxPages, scope, include, exclude, block = [], obeyRobots = true, formats = ['html'], extract, seeds } = request;
  // Options at their defaults keep the key of requests made before those options existed.
  const key: unknown[] = [url, depth, maxPages, scope, include, exclude];
  if (block.length > 0 || !obeyRobots) key.push(block);
  if (!obeyRobots) key.push('ignore-robots');
  if (formats.join() !== 'html' || extract !== undefined) key.push({ formats, extract: extract ?? null });
  // A crawl of one seed keeps the key it had before `urls` existed.
  if (seeds !== undefined && seeds.length > 1) key.push({ seeds });
  if (request.sitemap === true) key.push('sitemap');
  // A `since` crawl's result is its change report against that job: only the same `since` shares it.
  if (request.since !== undefined) key.push({ since: request.since });
  // Another renderer makes other pages (no script-made links under http): never the browser's entries.
  if (request.render !== undefined) key.push({ render: request.render });
  return sha256Hex(JSON.stringify(key));
}

/**
 * What a request does not change in the pages a crawl lists, given its depth: its bounds (depth and
 * maxPages are checked against the cached crawl itself), freshness, time limit, pace and its id.
 * Headers, cookies and a crawl's proxy are secrets, never hashed into a stored key: a crawl that sends them neither
 * uses the result cache nor writes to it (app/reuse-crawl.ts, jobs.completeFinish).
 */
// A budget or a time limit changes when a job may end, not what a succeeded crawl holds.
// `webhook` says where the end is told, not what is crawled: a crawl with one is reused as any other.
const NOT_IN_REUSE_KEY = new Set(['depth', 'maxPages', 'maxAgeSeconds', 'timeLimitSeconds', 'timeLimitAsked', 'budgetUsd', 'estimate', 'hostRate', 'requestId', 'headers', 'cookies', 'proxy', 'webhook']);

/**
 * Requests that differ only in depth (or maxPages, freshness, pace) share a reuse key: a crawl of
 * one depth answers any equal or smaller depth and is built upon for a larger one. Every other
 * field of the parsed request is in it, those added later too (page actions, headers…), so an
 * option that changes what is crawled can never be forgotten here; a one-seed `urls` is `url`.
 */
export function reuseKeyOf(request: object): string {
  const fields = Object.entries(request).filter(([name, value]) => !NOT_IN_REUSE_KEY.has(name) && value !== undefined);
  const kept = fields.filter(([name, value]) => !(name === 'seeds' && Array.isArray(value) && value.length <= 1));
  return sha256Hex(stableJson(['reuse-v1', Object.fromEntries(kept)]));
}

/** The result-cache entry of a reuse key at one depth. */
export function depthCacheKeyOf(reuseKey: string, depth: number): string {
  return `${reuseKey}#d${depth}`;
}

/** JSON with object keys sorted, so equal values give equal text whatever order their fields were built in. */
function stableJson(value: unknown): string {
  return JSON.stringify(value, (_name, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}

/** The key an object of one job has once copied under another (jobs/{from}/… → jobs/{to}/…). */
export function rehomedKey(key: string, fromJobId: string, toJobId: string): string {
  const prefix = `jobs/${fromJobId}/`;
  return key.startsWith(prefix) ? `jobs/${toJobId}/${key.slice(prefix.length)}` : key;
}
