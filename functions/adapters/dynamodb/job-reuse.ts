// What a request may reuse, in the jobs table: the result-cache entries finished jobs leave (which
// ones, core/reuse-plan.ts), and the jobs built upon an earlier crawl (an answer cut from a
// deeper one, or a shallower one continued).
import {
  BatchWriteCommand,
  GetCommand,
  UpdateCommand,
  type BatchWriteCommandInput,
  type BatchWriteCommandOutput,
} from '@aws-sdk/lib-dynamodb';
import { isExpired, type FrontierRecord, type JobRecord, type ReusePending } from '../../core/job.js';
import type { CacheEntry } from '../../core/ports.js';
import { batchGetAll, unprocessedBackoff } from './batch-get.js';
import { conditionalWrite } from './errors.js';
import type { JobTables } from './job-tables.js';

// Cache entries share the jobs table under a prefix that no job id (a UUID) can have.
const CACHE_PREFIX = 'cache#';

/** The put of a cache entry, for the transaction that makes its job final. */
export function cacheEntryPut(tables: JobTables, entry: CacheEntry) {
  return {
    Put: {
      TableName: tables.names.jobs,
      Item: { jobId: `${CACHE_PREFIX}${entry.cacheKey}`, resultJobId: entry.jobId, finishedAt: entry.finishedAt, expiresAt: entry.expiresAt },
    },
  };
}

function entryOfItem(item: Record<string, unknown>): CacheEntry {
  return {
    cacheKey: String(item.jobId).slice(CACHE_PREFIX.length),
    jobId: String(item.resultJobId),
    finishedAt: Number(item.finishedAt),
    expiresAt: Number(item.expiresAt),
  };
}

export async function getCacheEntry(tables: JobTables, cacheKey: string): Promise<CacheEntry | null> {
  const result = await tables.db.send(new GetCommand({ TableName: tables.names.jobs, Key: { jobId: `${CACHE_PREFIX}${cacheKey}` } }));
  if (!result.Item) return null;
  const entry = entryOfItem(result.Item);
  // DynamoDB deletes expired items days late, if at all soon: past expiresAt the job's results in
  // S3 are due for deletion (results retention), so the entry must not answer any more.
  return isExpired(entry, tables.clock.now()) ? null : entry;
}

export async function getCacheEntries(tables: JobTables, cacheKeys: readonly string[]): Promise<CacheEntry[]> {
  const keys = [...new Set(cacheKeys)].map((key) => ({ jobId: `${CACHE_PREFIX}${key}` }));
  const entries = (await batchGetAll(tables.db, tables.names.jobs, keys)).map(entryOfItem);
  return entries.filter((entry) => !isExpired(entry, tables.clock.now()));
}

/** The frontier of a job built upon an earlier crawl, written before its counters (commitReuse). */
export async function putReusedFrontier(tables: JobTables, items: readonly FrontierRecord[]): Promise<void> {
  // Plain puts: while the job is `planning` none of its URLs is on the queue (its seed waits for
  // the build), so nothing else writes these keys, and a retry writes the same items again.
  for (let start = 0; start < items.length; start += 25) {
    let requests: BatchWriteCommandInput['RequestItems'] | undefined = {
      [tables.names.frontier]: items.slice(start, start + 25).map((item) => ({ PutRequest: { Item: item } })),
    };
    for (let attempt = 0; requests && Object.keys(requests).length > 0; attempt++) {
      const result: BatchWriteCommandOutput = await tables.db.send(new BatchWriteCommand({ RequestItems: requests }));
      requests = result.UnprocessedItems;
      if (requests && Object.keys(requests).length > 0) await unprocessedBackoff(attempt);
    }
  }
}

/**
 * The built job's counters (and expiry: an answer cut from a deeper crawl lives no longer than the
 * records it points at) on its item, and `reusePending` planning → built, only while it is
 * still planning and runs. Absolute values: no URL of the job has been sent yet, so its shards
 * have counted nothing and the item's base is the whole count.
 */
export async function commitReuseCounters(tables: JobTables, built: JobRecord): Promise<boolean> {
  return conditionalWrite(
    tables.db.send(
      new UpdateCommand({
        TableName: tables.names.jobs,
        Key: { jobId: built.jobId },
        UpdateExpression:
          'SET admitted = :admitted, settled = :settled, done = :done, failed = :failed, reused = :reused, reusedFrom = :from, crawledSince = :since, lastActivityAt = :now, expiresAt = :expiresAt, reusePending.#state = :built' +
          (built.capped !== undefined ? ', capped = :capped' : '') +
          // an answer cut from a crawl that skipped URLs (robots.txt) lists them as skipped, not failed
          (built.robotsRefused !== undefined ? ', robotsRefused = :robotsRefused' : ''),
        ConditionExpression: '#status = :running AND reusePending.#state = :planning',
        ExpressionAttributeNames: { '#status': 'status', '#state': 'state' },
        ExpressionAttributeValues: {
          ':admitted': built.admitted,
          ':settled': built.settled,
          ':done': built.done,
          ':failed': built.failed,
          ':reused': built.reused ?? 0,
          ':from': built.reusedFrom,
          ':since': built.crawledSince,
          ':now': built.lastActivityAt ?? tables.clock.now(),
          ':expiresAt': built.expiresAt,
          ':built': 'built',
          ':planning': 'planning',
          ':running': 'running',
          ...(built.capped !== undefined ? { ':capped': built.capped } : {}),
          ...(built.robotsRefused !== undefined ? { ':robotsRefused': built.robotsRefused } : {}),
        },
      }),
    ),
  );
}

export async function advanceReuse(tables: JobTables, jobId: string, from: ReusePending['state'], to: 'seeds' | null): Promise<boolean> {
  return conditionalWrite(
    tables.db.send(
      new UpdateCommand({
        TableName: tables.names.jobs,
        Key: { jobId },
        UpdateExpression: to === null ? 'REMOVE reusePending' : 'SET reusePending.#state = :to',
        ConditionExpression: 'reusePending.#state = :from',
        ExpressionAttributeNames: { '#state': 'state' },
        ExpressionAttributeValues: { ':from': from, ...(to === null ? {} : { ':to': to }) },
      }),
    ),
  );
}
