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

/** Equal requests share a key: the normalised seed and every option that changes the result. */
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
  return sha256Hex(JSON.stringify(key));
}
