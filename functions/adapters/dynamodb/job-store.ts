// The jobs table: a job's options, counters and life cycle. Every state change is conditional, so
// a job ends exactly once however many workers race to end it. A job's settles are counted on its
// counter shard items (core/counter-shards.ts); every job this store returns has them summed.
import {
  BatchWriteCommand,
  GetCommand,
  PutCommand,
  TransactWriteCommand,
  UpdateCommand,
  paginateScan,
  type BatchWriteCommandInput,
  type BatchWriteCommandOutput,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import { jobIdOfShardKey, shardKeysOf, withShardCounters, type ShardCounters } from '../../core/counter-shards.js';
import { isExpired, outstanding, type FinalStatus, type FrontierRecord, type JobCounters, type JobRecord } from '../../core/job.js';
import { systemClock, type CacheEntry, type Clock, type JobStore, type RedriveRun } from '../../core/ports.js';
import { batchGetAll, unprocessedBackoff } from './batch-get.js';
import { CONNECTION_TTL_SECONDS } from './connection-store.js';
import { cancellationReasons, isConditionFailure, isTransactionCanceled, transactWrite } from './errors.js';

// Cache entries share the jobs table under a prefix that no job id (a UUID) can have.
const CACHE_PREFIX = 'cache#';
/** items of a redrive's first transaction: the job and the connection's slot take two of 100 */
const FIRST_REDRIVE_BATCH = 98;
/** items of its next ones: the job's counters take one */
const NEXT_REDRIVE_BATCH = 99;

export class DynamoJobStore implements JobStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tables: { jobs: string; frontier: string; connections: string },
    private readonly clock: Clock = systemClock,
  ) {}

  async createJob(job: JobRecord, seed: FrontierRecord, maxJobsPerConnection: number): Promise<'created' | 'too-many-jobs'> {
    // One transaction: a job never exists without its seed nor without holding a slot of its
    // connection, and a refused job leaves nothing behind.
    try {
      await this.db.send(
        new TransactWriteCommand({
          TransactItems: [
            { Put: { TableName: this.tables.jobs, Item: job, ConditionExpression: 'attribute_not_exists(jobId)' } },
            { Put: { TableName: this.tables.frontier, Item: seed, ConditionExpression: 'attribute_not_exists(urlKey)' } },
            {
              Update: {
                TableName: this.tables.connections,
                Key: { connectionId: job.connectionId },
                // $disconnect may have deleted the item already (the client left while its crawl
                // was on its way): the update then recreates it, and it must expire like any other.
                UpdateExpression: 'SET expiresAt = if_not_exists(expiresAt, :expiresAt) ADD activeJobs :one',
                ConditionExpression: 'attribute_not_exists(activeJobs) OR activeJobs < :max',
                ExpressionAttributeValues: {
                  ':one': 1,
                  ':max': maxJobsPerConnection,
                  ':expiresAt': Math.floor(this.clock.now() / 1000) + CONNECTION_TTL_SECONDS,
                },
              },
            },
            // The counter shards exist from the start: the end-of-job check reads and checks each,
            // and they expire with the job.
            ...shardKeysOf(job.jobId, job.counterShards).map((key) => ({
              Put: {
                TableName: this.tables.jobs,
                Item: { jobId: key, settled: 0, done: 0, failed: 0, expiresAt: job.expiresAt },
                ConditionExpression: 'attribute_not_exists(jobId)',
              },
            })),
          ],
        }),
      );
      return 'created';
    } catch (error) {
      if (isTransactionCanceled(error) && cancellationReasons(error)[2]?.code === 'ConditionalCheckFailed') return 'too-many-jobs';
      throw error;
    }
  }

  async getJob(jobId: string): Promise<JobRecord | null> {
    const read = await this.readCounted(jobId);
    return read ? read.job : null;
  }

  /** Settings reads in flight, by job: a read that starts meanwhile shares the answer. */
  private readonly settingsInFlight = new Map<string, Promise<JobRecord | null>>();

  /**
   * The job item alone: its counters are a base, without what the shards counted. The messages of
   * one batch are crawled at once and each first reads its job: reads of one job that overlap share
   * one GetItem. Its options never change, and a status a round trip older is as good: nothing waits
   * on it (a cancel stops a crawl at its next page either way). Reads that decide the end of a job
   * never share (readCounted).
   */
  async getJobSettings(jobId: string): Promise<JobRecord | null> {
    let read = this.settingsInFlight.get(jobId);
    if (!read) {
      read = this.readJobItem(jobId).finally(() => this.settingsInFlight.delete(jobId));
      this.settingsInFlight.set(jobId, read);
    }
    const item = await read;
    return item ? { ...item } : null;
  }

  private async readJobItem(jobId: string): Promise<JobRecord | null> {
    const result = await this.db.send(new GetCommand({ TableName: this.tables.jobs, Key: { jobId }, ConsistentRead: true }));
    return (result.Item as JobRecord | undefined) ?? null;
  }

  /**
   * The job item, then its shards, each read strongly consistent: what a reader that comes after a
   * settle is sure to see counted. Not one snapshot (a settle may land between the two reads), so a
   * decision on it is confirmed by a transaction (beginFinishIfSettled).
   */
  private async readCounted(jobId: string): Promise<{ item: JobRecord; shards: Map<string, ShardCounters>; job: JobRecord } | null> {
    const item = await this.readJobItem(jobId);
    if (!item) return null;
    const keys = shardKeysOf(jobId, item.counterShards);
    const shards = new Map<string, ShardCounters>();
    if (keys.length > 0) {
      for (const shard of await batchGetAll(this.db, this.tables.jobs, keys.map((key) => ({ jobId: key })), { consistent: true })) {
        shards.set(String(shard.jobId), shard as ShardCounters);
      }
    }
    return { item, shards, job: withShardCounters(item, [...shards.values()]) };
  }

  /**
   * The job item and its shards in one request, when the caller already knows how many shards the
   * job has (a worker, from the job's settings): what readCounted does in two. The reads are not
   * ordered, which does not matter where this is used: after the last settle of a job nothing can
   * admit or settle any more, so any order reads the final counts; any other decision on them is
   * confirmed by beginFinishIfSettled. A shard count that does not match the item's is read again.
   */
  private async readCountedAtOnce(jobId: string, counterShards: number): Promise<JobRecord | null> {
    const keys = [jobId, ...shardKeysOf(jobId, counterShards)];
    const items = await batchGetAll(this.db, this.tables.jobs, keys.map((key) => ({ jobId: key })), { consistent: true });
    const item = items.find((found) => found.jobId === jobId);
    if (!item) return null;
    const job = item as unknown as JobRecord;
    if ((job.counterShards ?? 0) !== counterShards) return this.getJob(jobId);
    return withShardCounters(job, items.filter((found) => found !== item) as ShardCounters[]);
  }

  /** Jobs read by a scan, each with its shards summed: one batched read for all of them. */
  private async withCounters(items: JobRecord[]): Promise<JobRecord[]> {
    const keys = items.flatMap((item) => shardKeysOf(item.jobId, item.counterShards));
    if (keys.length === 0) return items;
    const byJob = new Map<string, ShardCounters[]>();
    for (const shard of await batchGetAll(this.db, this.tables.jobs, keys.map((key) => ({ jobId: key })), { consistent: true })) {
      const jobId = jobIdOfShardKey(String(shard.jobId));
      if (jobId !== null) byJob.set(jobId, [...(byJob.get(jobId) ?? []), shard as ShardCounters]);
    }
    return items.map((item) => withShardCounters(item, byJob.get(item.jobId) ?? []));
  }

  private async conditional(command: UpdateCommand): Promise<boolean> {
    try {
      await this.db.send(command);
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  beginFinish(jobId: string, status: FinalStatus, finishedAt: number, force?: { reason: string }): Promise<boolean> {
    if (!force) return this.beginFinishIfSettled(jobId, () => status, finishedAt);
    const finish = finishUpdate(status, finishedAt, force.reason);
    return this.conditional(
      new UpdateCommand({
        TableName: this.tables.jobs,
        Key: { jobId },
        ...finish,
        ConditionExpression: '#status = :running',
      }),
    );
  }

  async beginFinishIfSettled(jobId: string, statusOf: (counts: JobCounters) => FinalStatus, finishedAt: number): Promise<boolean> {
    const read = await this.readCounted(jobId);
    if (!read || read.job.status !== 'running' || outstanding(read.job) !== 0) return false;
    const finish = finishUpdate(statusOf(read.job), finishedAt);
    // The read was not one snapshot; this transaction is: it passes only if, at one instant, the job
    // runs, its `admitted` and base `settled` are as read, and every shard's `settled` is as read.
    // Then admitted = Σ settled held at that instant: no URL was in flight, and the status was
    // chosen on the counts of that instant. A settler that read an older state fails here; the
    // settle that made the job done is followed by a read that sees it, and passes.
    try {
      await transactWrite(this.db, [
        {
          Update: {
            TableName: this.tables.jobs,
            Key: { jobId },
            ...finish,
            ConditionExpression: '#status = :running AND admitted = :admitted AND settled = :baseSettled',
            ExpressionAttributeValues: { ...finish.ExpressionAttributeValues, ':admitted': read.item.admitted, ':baseSettled': read.item.settled },
          },
        },
        ...shardKeysOf(jobId, read.item.counterShards).map((key) => {
          const settled = read.shards.get(key)?.settled;
          return {
            ConditionCheck: {
              TableName: this.tables.jobs,
              Key: { jobId: key },
              ...(settled === undefined
                ? { ConditionExpression: 'attribute_not_exists(settled)' }
                : { ConditionExpression: 'settled = :settled', ExpressionAttributeValues: { ':settled': settled } }),
            },
          };
        }),
      ]);
      return true;
    } catch (error) {
      if (isTransactionCanceled(error) && cancellationReasons(error).some((r) => r.code === 'ConditionalCheckFailed')) return false;
      throw error;
    }
  }

  async listUnfinished(): Promise<JobRecord[]> {
    // A scan is fine while the table holds jobs of the last RECORD_TTL_DAYS; a sparse index on
    // unfinished jobs is the next step for very large deployments. Cache entries have no status.
    const jobs: JobRecord[] = [];
    const pages = paginateScan(
      { client: this.db },
      {
        TableName: this.tables.jobs,
        FilterExpression:
          'attribute_exists(#status) AND (#status IN (:running, :finishing) OR attribute_exists(slotPending) OR attribute_not_exists(notifiedAt))',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':running': 'running', ':finishing': 'finishing' },
        ConsistentRead: true,
      },
    );
    for await (const page of pages) jobs.push(...((page.Items ?? []) as JobRecord[]));
    return this.withCounters(jobs);
  }


  async completeFinish(job: JobRecord, status: FinalStatus, manifestKey: string): Promise<boolean> {
    // The final state, the cache entry and a note that the slot is still to be freed move together:
    // a finisher that dies after this leaves nothing half done that a redelivery cannot finish.
    // A capped crawl left pages out: it answers no later request, however equal.
    // A job run with the client's headers or cookies answers no one else's request (its pages may
    // be what those credentials showed). A job built upon an earlier crawl is as old as its oldest page.
    const cacheEntry =
      status === 'succeeded' && job.finishedAt !== undefined && !((job.capped ?? 0) > 0) && !job.usedCredentials
        ? [
            {
              Put: {
                TableName: this.tables.jobs,
                Item: { jobId: `${CACHE_PREFIX}${job.cacheKey}`, resultJobId: job.jobId, finishedAt: Math.min(job.finishedAt, job.crawledSince ?? job.finishedAt), expiresAt: job.expiresAt },
              },
            },
          ]
        : [];
    try {
      await transactWrite(this.db, [
        {
          Update: {
            TableName: this.tables.jobs,
            Key: { jobId: job.jobId },
            UpdateExpression: 'SET #status = :final, manifestKey = :key, slotPending = :true',
            ConditionExpression: '#status = :finishing',
            ExpressionAttributeNames: { '#status': 'status' },
            ExpressionAttributeValues: { ':final': status, ':key': manifestKey, ':finishing': 'finishing', ':true': true },
          },
        },
        ...cacheEntry,
      ]);
    } catch (error) {
      if (isTransactionCanceled(error) && cancellationReasons(error)[0]?.code === 'ConditionalCheckFailed') return false;
      throw error;
    }
    await this.releaseSlot(job);
    return true;
  }

  async releaseSlot(job: JobRecord): Promise<void> {
    // Only while the job still notes a held slot: a second release is refused by that condition.
    const clearNote = {
      TableName: this.tables.jobs,
      Key: { jobId: job.jobId },
      UpdateExpression: 'REMOVE slotPending',
      ConditionExpression: 'attribute_exists(slotPending)',
    };
    try {
      await transactWrite(this.db, [
        { Update: clearNote },
        {
          Update: {
            TableName: this.tables.connections,
            Key: { connectionId: job.connectionId },
            UpdateExpression: 'ADD activeJobs :minusOne',
            ConditionExpression: 'attribute_exists(connectionId) AND activeJobs > :zero',
            ExpressionAttributeValues: { ':minusOne': -1, ':zero': 0 },
          },
        },
      ]);
    } catch (error) {
      if (!isTransactionCanceled(error)) throw error;
      const [jobReason, connectionReason] = cancellationReasons(error);
      if (jobReason?.code === 'ConditionalCheckFailed') return; // already released
      if (connectionReason?.code !== 'ConditionalCheckFailed') throw error;
      // The connection is gone ($disconnect deleted it, slots and all): nothing to free there.
      await this.conditional(new UpdateCommand(clearNote));
    }
  }

  async beginRedrive(job: JobRecord, failed: FrontierRecord[], run: RedriveRun, maxJobsPerConnection: number): Promise<'started' | 'refused' | 'too-many-jobs'> {
    const runNumber = (job.redrives ?? 0) + 1;
    const first = failed.slice(0, FIRST_REDRIVE_BATCH);
    try {
      await transactWrite(this.db, [
        {
          Update: {
            TableName: this.tables.jobs,
            Key: { jobId: job.jobId },
            UpdateExpression:
              `SET #status = :running, connectionId = :conn, deadlineAt = :deadline, lastActivityAt = :now, redrives = :run${run.requestId !== undefined ? ', requestId = :rid' : ''} ` +
              `REMOVE finalStatus, finishedAt, notifiedAt, endReason, lastProgressAt${run.requestId !== undefined ? '' : ', requestId'} ` +
              'ADD settled :minus, failed :minus',
            // The job as the caller read it (each run's end claims a new notifiedAt), and its last
            // run ended completely (slot freed, completed claimed): of two redrives at once only
            // one passes this. The counters taken back are the job item's base: the sum over the
            // shards stays exact.
            ConditionExpression: '#status = :seen AND notifiedAt = :notified AND attribute_not_exists(slotPending)',
            ExpressionAttributeNames: { '#status': 'status' },
            ExpressionAttributeValues: {
              ':running': 'running',
              ':conn': run.connectionId,
              ':deadline': run.deadlineAt,
              ':now': run.now,
              ':run': runNumber,
              ':minus': -first.length,
              ':seen': job.status,
              ':notified': job.notifiedAt ?? -1,
              ...(run.requestId !== undefined ? { ':rid': run.requestId } : {}),
            },
          },
        },
        {
          Update: {
            TableName: this.tables.connections,
            Key: { connectionId: run.connectionId },
            UpdateExpression: 'SET expiresAt = if_not_exists(expiresAt, :expiresAt) ADD activeJobs :one',
            ConditionExpression: 'attribute_not_exists(activeJobs) OR activeJobs < :max',
            ExpressionAttributeValues: { ':one': 1, ':max': maxJobsPerConnection, ':expiresAt': Math.floor(run.now / 1000) + CONNECTION_TTL_SECONDS },
          },
        },
        ...first.map((item) => this.requeue(item)),
      ]);
    } catch (error) {
      if (!isTransactionCanceled(error)) throw error;
      const reasons = cancellationReasons(error);
      if (reasons[0]?.code === 'ConditionalCheckFailed') return 'refused';
      if (reasons[1]?.code === 'ConditionalCheckFailed') return 'too-many-jobs';
      // An item no longer failed while the job did not change: only another redrive does that.
      if (reasons.some((r) => r.code === 'ConditionalCheckFailed')) return 'refused';
      throw error;
    }
    for (let start = FIRST_REDRIVE_BATCH; start < failed.length; start += NEXT_REDRIVE_BATCH) {
      const batch = failed.slice(start, start + NEXT_REDRIVE_BATCH);
      try {
        await transactWrite(this.db, [
          {
            Update: {
              TableName: this.tables.jobs,
              Key: { jobId: job.jobId },
              UpdateExpression: 'ADD settled :minus, failed :minus',
              // Still this run: a job that ended meanwhile (cancelled) keeps the rest as they were.
              ConditionExpression: '#status = :running AND redrives = :run',
              ExpressionAttributeNames: { '#status': 'status' },
              ExpressionAttributeValues: { ':minus': -batch.length, ':running': 'running', ':run': runNumber },
            },
          },
          ...batch.map((item) => this.requeue(item)),
        ]);
      } catch (error) {
        if (isTransactionCanceled(error) && cancellationReasons(error).some((r) => r.code === 'ConditionalCheckFailed')) break;
        throw error;
      }
    }
    return 'started';
  }

  /** A failed frontier item made new: queued, no attempts, no failure. */
  private requeue(item: FrontierRecord) {
    return {
      Update: {
        TableName: this.tables.frontier,
        Key: { jobId: item.jobId, urlKey: item.urlKey },
        UpdateExpression: 'SET #state = :queued, attempts = :zero REMOVE failure, leaseOwner, leaseUntil',
        ConditionExpression: '#state = :failed',
        ExpressionAttributeNames: { '#state': 'state' },
        ExpressionAttributeValues: { ':queued': 'queued', ':zero': 0, ':failed': 'failed' },
      },
    };
  }

  claimNotification(jobId: string, now: number): Promise<boolean> {
    return this.conditional(
      new UpdateCommand({
        TableName: this.tables.jobs,
        Key: { jobId },
        UpdateExpression: 'SET notifiedAt = :now',
        ConditionExpression: 'attribute_not_exists(notifiedAt)',
        ExpressionAttributeValues: { ':now': now },
      }),
    );
  }

  async getCacheEntry(cacheKey: string): Promise<CacheEntry | null> {
    const result = await this.db.send(new GetCommand({ TableName: this.tables.jobs, Key: { jobId: `${CACHE_PREFIX}${cacheKey}` } }));
    const item = result.Item;
    if (!item) return null;
    const entry = { cacheKey, jobId: String(item.resultJobId), finishedAt: Number(item.finishedAt), expiresAt: Number(item.expiresAt) };
    // DynamoDB deletes expired items days late, if at all soon: past expiresAt the job's results in
    // S3 are due for deletion (results retention), so the entry must not answer any more.
    return isExpired(entry, this.clock.now()) ? null : entry;
  }

  async getCacheEntries(cacheKeys: readonly string[]): Promise<CacheEntry[]> {
    const keys = [...new Set(cacheKeys)].map((key) => ({ jobId: `${CACHE_PREFIX}${key}` }));
    const entries = (await batchGetAll(this.db, this.tables.jobs, keys)).map((item) => ({
      cacheKey: String(item.jobId).slice(CACHE_PREFIX.length),
      jobId: String(item.resultJobId),
      finishedAt: Number(item.finishedAt),
      expiresAt: Number(item.expiresAt),
    }));
    return entries.filter((entry) => !isExpired(entry, this.clock.now()));
  }

  async createAnsweredJob(job: JobRecord): Promise<boolean> {
    try {
      await this.db.send(new PutCommand({ TableName: this.tables.jobs, Item: job, ConditionExpression: 'attribute_not_exists(jobId)' }));
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  async createReusingJob(job: JobRecord, seed: FrontierRecord, items: readonly FrontierRecord[], maxJobsPerConnection: number): Promise<'created' | 'too-many-jobs'> {
    // Plain puts: the job id is new, so nothing else writes these keys before the job exists, and a
    // retry writes the same items again. Left behind by a crash before the job, they expire.
    for (let start = 0; start < items.length; start += 25) {
      let requests: BatchWriteCommandInput['RequestItems'] | undefined = {
        [this.tables.frontier]: items.slice(start, start + 25).map((item) => ({ PutRequest: { Item: item } })),
      };
      for (let attempt = 0; requests && Object.keys(requests).length > 0; attempt++) {
        const result: BatchWriteCommandOutput = await this.db.send(new BatchWriteCommand({ RequestItems: requests }));
        requests = result.UnprocessedItems;
        if (requests && Object.keys(requests).length > 0) await unprocessedBackoff(attempt);
      }
    }
    return this.createJob(job, seed, maxJobsPerConnection);
  }

  async readAfterSettle(jobId: string, now: number, intervalMs: number, counterShards?: number): Promise<{ job: JobRecord | null; progressDue: boolean }> {
    // Reads, not a write: a conditional update refused still costs a write on the job item, which
    // every settle would then pay. The item is written only when a progress slot looks free.
    const job = counterShards ? await this.readCountedAtOnce(jobId, counterShards) : await this.getJob(jobId);
    const lastProgressAt = (job as { lastProgressAt?: number } | null)?.lastProgressAt;
    if (!job || job.status !== 'running' || (lastProgressAt !== undefined && lastProgressAt > now - intervalMs)) return { job, progressDue: false };
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.tables.jobs,
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

}

/** running → finishing: the final status chosen, the instant, and why when forced. */
function finishUpdate(status: FinalStatus, finishedAt: number, reason?: string) {
  return {
    // The client's headers and cookies (possibly secrets) are kept only while the job runs.
    UpdateExpression: `SET #status = :finishing, finalStatus = :final, finishedAt = :at${reason !== undefined ? ', endReason = :reason' : ''} REMOVE seedCredentials`,
    ExpressionAttributeNames: { '#status': 'status' },
    ExpressionAttributeValues: {
      ':finishing': 'finishing',
      ':final': status,
      ':at': finishedAt,
      ':running': 'running',
      ...(reason !== undefined ? { ':reason': reason } : {}),
    } as Record<string, unknown>,
  };
}
