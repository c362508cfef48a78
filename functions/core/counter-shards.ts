// Sharded job counters: where a page's settle is counted, and how the job's counts are summed.
//
// Every settle used to add to the job item, so one job could settle no faster than one DynamoDB item
// takes writes (about 1,000 write units a second, a transactional write costs two). A job now
// counts its settles on `counterShards` shard items beside the job item (`{jobId}#shard#{k}` in the
// jobs table); the job item keeps `admitted` (which enforces maxPages) and a base of the other
// counters (what a redrive takes back). A URL always counts on the shard its key hashes to, so the
// URL's own counters (a host wait counted, then ended) stay on one item. The job's counts are the
// job item's plus the sum of its shards; the end is decided by one transaction that checks
// `admitted` on the job item and `settled` on every shard against one read of them all.
import type { JobCounters } from './job.js';
import { USAGE_ATTRIBUTES } from './usage.js';

/**
 * Four: a shard takes about 500 settle transactions a second (1,000 write units, two a settle), so
 * four take ~2,000 — four times what the job item itself allows the admissions that stay on it
 * (one transaction per page that finds new links). More shards cost reads: after each settle the
 * worker reads every shard (one read unit each, strongly consistent), and at four the reads added
 * equal the progress write a settle no longer makes, so a page costs what it did before the shards.
 */
export const DEFAULT_COUNTER_SHARDS = 4;
/** the end-of-job transaction holds the job item and one check per shard (a transaction takes 100) */
export const MAX_COUNTER_SHARDS = 64;

const SHARD_INFIX = '#shard#';

/** What one shard item counts: the job's settles and host waits of the URLs that hash to it. */
export interface ShardCounters {
  settled?: number;
  done?: number;
  failed?: number;
  delayed?: number;
  hostWaits?: number;
  /** links past maxLinksPerPage of the pages settled on this shard (app/admit-children.ts) */
  linksDropped?: number;
  /** of failed, the URLs robots.txt refused */
  robotsRefused?: number;
  /** settled as blocked: a challenge or block page (core/pushback.ts) */
  blocked?: number;
  /** last settle counted on this shard */
  lastActivityAt?: number;
  lastDelayedAt?: number;
  delayedUntil?: number;
  /** the host whose wait set `delayedUntil` */
  delayedHost?: string;
}

/** The fields of a job that are the job item's value plus its shards' (sums, or the latest instant). */
export type ShardedFields = JobCounters & ShardCounters;

/** 32-bit FNV-1a: any string (a URL key is a SHA-256 hex, tests use short names) spreads evenly. */
function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** The shard a URL always counts on, in 0..shards-1. */
export function counterShardOf(urlKey: string, shards: number): number {
  return fnv1a(urlKey) % shards;
}

export function shardKey(jobId: string, shard: number): string {
  return `${jobId}${SHARD_INFIX}${shard}`;
}

/**
 * The item a URL's counters go to: its shard, or the job item itself for a job with no shards (jobs
 * created before counters were sharded keep counting where they started).
 */
export function counterKeyOf(jobId: string, urlKey: string, shards: number | undefined): string {
  return shards && shards > 0 ? shardKey(jobId, counterShardOf(urlKey, shards)) : jobId;
}

export function shardKeysOf(jobId: string, shards: number | undefined): string[] {
  return Array.from({ length: shards && shards > 0 ? shards : 0 }, (_, k) => shardKey(jobId, k));
}

/** The job a shard item belongs to, or null for any other key of the jobs table. */
export function jobIdOfShardKey(key: string): string | null {
  const at = key.lastIndexOf(SHARD_INFIX);
  return at > 0 && /^\d+$/.test(key.slice(at + SHARD_INFIX.length)) ? key.slice(0, at) : null;
}

const SUMMED = ['settled', 'done', 'failed', 'delayed', 'hostWaits', 'linksDropped', 'robotsRefused', 'blocked'] as const;
/** what the job used (core/usage.ts): counted on the job item and on its shards, summed like settles */
const SUMMED_USAGE = USAGE_ATTRIBUTES;
const LATEST = ['lastActivityAt', 'lastDelayedAt', 'delayedUntil'] as const;

/** The job as its readers see it: the job item's counters plus every shard's, instants the latest. */
export function withShardCounters<J extends Partial<ShardedFields> & { delayedHost?: string }>(job: J, shards: readonly ShardCounters[]): J {
  const total: Record<string, number | undefined> = {};
  for (const field of SUMMED) {
    const sum = shards.reduce((acc, shard) => acc + (shard[field] ?? 0), job[field] ?? 0);
    // A field the job item never had and no shard counted stays absent (delayed, hostWaits).
    total[field] = job[field] === undefined && shards.every((shard) => shard[field] === undefined) ? undefined : sum;
  }
  for (const field of SUMMED_USAGE) {
    const values = [job as Record<string, unknown>, ...(shards as Record<string, unknown>[])].map((item) => item[field]).filter((v): v is number => typeof v === 'number');
    if (values.length > 0) total[field] = values.reduce((a, b) => a + b, 0);
  }
  for (const field of LATEST) {
    const values = [job[field], ...shards.map((shard) => shard[field])].filter((v): v is number => v !== undefined);
    total[field] = values.length > 0 ? Math.max(...values) : undefined;
  }
  const summed = { ...job } as Record<string, unknown>;
  for (const [field, value] of Object.entries(total)) {
    if (value === undefined) delete summed[field];
    else summed[field] = value;
  }
  // The host the job waits on is the one of the latest wait, wherever it was counted.
  const latestWait = [job, ...shards].filter((item) => item.delayedHost !== undefined).sort((a, b) => (b.delayedUntil ?? 0) - (a.delayedUntil ?? 0))[0];
  if (latestWait) summed['delayedHost'] = latestWait.delayedHost;
  return summed as J;
}
