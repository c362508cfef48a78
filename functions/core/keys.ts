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
}): string {
  const { url, depth, maxPages, scope, include, exclude, block = [], obeyRobots = true } = request;
  // Options at their defaults keep the key of requests made before those options existed.
  const key: unknown[] = [url, depth, maxPages, scope, include, exclude];
  if (block.length > 0 || !obeyRobots) key.push(block);
  if (!obeyRobots) key.push('ignore-robots');
  return sha256Hex(JSON.stringify(key));
}
