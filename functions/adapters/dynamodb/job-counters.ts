// A job's counts: the job item holds `admitted` and a base of the other counters, its counter shard
// items the settles (core/counter-shards.ts). The reads here sum them, so every job the store
// returns is counted; each read is strongly consistent.
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { jobIdOfShardKey, shardKeysOf, withShardCounters, type ShardCounters } from '../../core/counter-shards.js';
import type { JobRecord } from '../../core/job.js';
import { batchGetAll } from './batch-get.js';
import type { JobTables } from './job-tables.js';

/** A job read with its shards: the job item, each shard as read, and the job with them summed. */
export interface CountedJob {
  item: JobRecord;
  shards: Map<string, ShardCounters>;
  job: JobRecord;
}

/**
 * The puts of a new job's counter shard items, for the transaction that creates it. The counter
 * shards exist from the start: the end-of-job check reads and checks each, and they expire with
 * the job.
 */
export function shardItemPuts(tables: JobTables, job: JobRecord) {
  return shardKeysOf(job.jobId, job.counterShards).map((key) => ({
    Put: {
      TableName: tables.names.jobs,
      Item: { jobId: key, settled: 0, done: 0, failed: 0, expiresAt: job.expiresAt },
      ConditionExpression: 'attribute_not_exists(jobId)',
    },
  }));
}

/** The job item as stored (strongly consistent): its counters without the shards'. */
export async function readJobItem(tables: JobTables, jobId: string): Promise<JobRecord | null> {
  const result = await tables.db.send(new GetCommand({ TableName: tables.names.jobs, Key: { jobId }, ConsistentRead: true }));
  return (result.Item as JobRecord | undefined) ?? null;
}

/**
 * The job item, then its shards, each read strongly consistent: what a reader that comes after a
 * settle is sure to see counted. Not one snapshot (a settle may land between the two reads), so a
 * decision on it is confirmed by a transaction (beginFinishIfSettled).
 */
export async function readCounted(tables: JobTables, jobId: string): Promise<CountedJob | null> {
  const item = await readJobItem(tables, jobId);
  if (!item) return null;
  const keys = shardKeysOf(jobId, item.counterShards);
  const shards = new Map<string, ShardCounters>();
  if (keys.length > 0) {
    for (const shard of await batchGetAll(tables.db, tables.names.jobs, keys.map((key) => ({ jobId: key })), { consistent: true })) {
      shards.set(String(shard.jobId), shard as ShardCounters);
    }
  }
  return { item, shards, job: withShardCounters(item, [...shards.values()]) };
}

/** The job with its counters summed (JobStore.getJob). */
export async function readJob(tables: JobTables, jobId: string): Promise<JobRecord | null> {
  const read = await readCounted(tables, jobId);
  return read ? read.job : null;
}

/**
 * The job item and its shards in one request, when the caller already knows how many shards the
 * job has (a worker, from the job's settings): what readCounted does in two. The reads are not
 * ordered, which does not matter where this is used: after the last settle of a job nothing can
 * admit or settle any more, so any order reads the final counts; any other decision on them is
 * confirmed by beginFinishIfSettled. A shard count that does not match the item's is read again.
 */
export async function readCountedAtOnce(tables: JobTables, jobId: string, counterShards: number): Promise<JobRecord | null> {
  const keys = [jobId, ...shardKeysOf(jobId, counterShards)];
  const items = await batchGetAll(tables.db, tables.names.jobs, keys.map((key) => ({ jobId: key })), { consistent: true });
  const item = items.find((found) => found.jobId === jobId);
  if (!item) return null;
  const job = item as unknown as JobRecord;
  if ((job.counterShards ?? 0) !== counterShards) return readJob(tables, jobId);
  return withShardCounters(job, items.filter((found) => found !== item) as ShardCounters[]);
}

/** Jobs read by a scan, each with its shards summed: one batched read for all of them. */
export async function withCounters(tables: JobTables, items: JobRecord[]): Promise<JobRecord[]> {
  const keys = items.flatMap((item) => shardKeysOf(item.jobId, item.counterShards));
  if (keys.length === 0) return items;
  const byJob = new Map<string, ShardCounters[]>();
  for (const shard of await batchGetAll(tables.db, tables.names.jobs, keys.map((key) => ({ jobId: key })), { consistent: true })) {
    const jobId = jobIdOfShardKey(String(shard.jobId));
    if (jobId !== null) byJob.set(jobId, [...(byJob.get(jobId) ?? []), shard as ShardCounters]);
  }
  return items.map((item) => withShardCounters(item, byJob.get(item.jobId) ?? []));
}
