// The job record: a job created with its seed, a slot of its connection and its counter shards, all
// or nothing; its settings read for a crawl; and the read after each settle, which also claims the
// interval's progress message.
import { UNFINISHED_INDEX, UNFINISHED_MARK } from './table-definitions.js';
import { TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { FrontierRecord, JobRecord } from '../../core/job.js';
import { takeSlot } from './connection-slots.js';
import { cancellationReasons, isConditionFailure, isTransactionCanceled } from './errors.js';
import { readCountedAtOnce, readJob, readJobItem, shardItemPuts } from './job-counters.js';
import type { JobTables } from './job-tables.js';
import { splitSecrets, withSecrets } from './job-secrets.js';
import { takeQuota } from './client-quotas.js';
import { quotaNoteOf, type ClientQuota, type QuotaRefusal } from '../../core/client-quota.js';

export async function createJob(
  tables: JobTables,
  job: JobRecord,
  seed: FrontierRecord,
  maxJobsPerConnection: number,
  quota?: ClientQuota,
): Promise<'created' | 'too-many-jobs' | QuotaRefusal> {
  // One transaction: a job never exists without its seed nor without holding a slot of its
  // connection (nor without its credentials, kept apart: job-secrets.ts), and a refused job leaves
  // nothing behind.
  const { item, put: secretsPut } = splitSecrets(tables, job);
  // and its client's allowance (client-quotas.ts), noted on the job so that its end gives it back
  const quotaItems = takeQuota(tables, quota, tables.clock.now());
  const head = [
    { Put: { TableName: tables.names.jobs, Item: { ...item, ...(quota ? { quota: quotaNoteOf(quota) } : {}), [UNFINISHED_INDEX.partitionKey]: UNFINISHED_MARK }, ConditionExpression: 'attribute_not_exists(jobId)' } },
    { Put: { TableName: tables.names.frontier, Item: seed, ConditionExpression: 'attribute_not_exists(urlKey)' } },
    takeSlot(tables, job.connectionId, maxJobsPerConnection, tables.clock.now()),
    ...shardItemPuts(tables, job),
    ...(secretsPut ? [secretsPut] : []),
  ];
  try {
    await tables.db.send(
      new TransactWriteCommand({
        TransactItems: [...head, ...quotaItems.map((q) => q.item)] as never,
      }),
    );
    return 'created';
  } catch (error) {
    if (!isTransactionCanceled(error)) throw error;
    const reasons = cancellationReasons(error);
    // The third item is the connection's slot: every slot was taken.
    if (reasons[2]?.code === 'ConditionalCheckFailed') return 'too-many-jobs';
    const refused = quotaItems.find((_, i) => reasons[head.length + i]?.code === 'ConditionalCheckFailed');
    if (refused) return refused.refusal;
    throw error;
  }
}

/**
 * The job item alone: its counters are a base, without what the shards counted. The messages of
 * one batch are crawled at once and each first reads its job: reads of one job that overlap share
 * one GetItem. Its options never change, and a status a round trip older is as good: nothing waits
 * on it (a cancel stops a crawl at its next page either way). Reads that decide the end of a job
 * never share (readCounted).
 */
export class SharedSettingsReads {
  /** Settings reads in flight, by job: a read that starts meanwhile shares the answer. */
  private readonly inFlight = new Map<string, Promise<JobRecord | null>>();

  constructor(private readonly tables: JobTables) {}

  async read(jobId: string, credentials = true): Promise<JobRecord | null> {
    // Without credentials (the heartbeat): the job item alone, the secrets table not read.
    if (!credentials) return readJobItem(this.tables, jobId);
    let read = this.inFlight.get(jobId);
    if (!read) {
      // With the job's credentials while it runs: what its pages are rendered with.
      read = readJobItem(this.tables, jobId)
        .then((job) => withSecrets(this.tables, job))
        .finally(() => this.inFlight.delete(jobId));
      this.inFlight.set(jobId, read);
    }
    const item = await read;
    return item ? { ...item } : null;
  }
}

export async function readAfterSettle(
  tables: JobTables,
  jobId: string,
  now: number,
  intervalMs: number,
  counterShards?: number,
): Promise<{ job: JobRecord | null; progressDue: boolean }> {
  // Reads, not a write: a conditional update refused still costs a write on the job item, which
  // every settle would then pay. The item is written only when a progress slot looks free.
  const job = counterShards ? await readCountedAtOnce(tables, jobId, counterShards) : await readJob(tables, jobId);
  const lastProgressAt = (job as { lastProgressAt?: number } | null)?.lastProgressAt;
  if (!job || job.status !== 'running' || (lastProgressAt !== undefined && lastProgressAt > now - intervalMs)) return { job, progressDue: false };
  try {
    await tables.db.send(
      new UpdateCommand({
        TableName: tables.names.jobs,
        Key: { jobId },
        UpdateExpression: 'SET lastProgressAt = :now',
        ConditionExpression: '#status = :running AND (attribute_not_exists(lastProgressAt) OR lastProgressAt <= :threshold)',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':now': now, ':threshold': now - intervalMs, ':running': 'running' },
      }),
    );
    return { job: { ...job, lastProgressAt: now } as JobRecord, progressDue: true };
  } catch (error) {
    // Another settler took this interval's slot, or an admission transaction held the item.
    if (isConditionFailure(error) || (error as Error)?.name === 'TransactionConflictException') return { job, progressDue: false };
    throw error;
  }
}
