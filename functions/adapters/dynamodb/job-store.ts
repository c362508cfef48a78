// The jobs table: a job's options, counters and life cycle. Every state change is conditional, so
// a job ends exactly once however many workers race to end it.
import {
  BatchGetCommand,
  BatchWriteCommand,
  GetCommand,
  PutCommand,
  TransactWriteCommand,
  UpdateCommand,
  paginateScan,
  type BatchGetCommandOutput,
  type BatchWriteCommandInput,
  type BatchWriteCommandOutput,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import { isExpired, type FinalStatus, type FrontierRecord, type JobRecord } from '../../core/job.js';
import { systemClock, type CacheEntry, type Clock, type JobStore, type RedriveRun } from '../../core/ports.js';
import { CONNECTION_TTL_SECONDS } from './connection-store.js';

// Cache entries share the jobs table under a prefix that no job id (a UUID) can have.
const CACHE_PREFIX = 'cache#';
/** items of a redrive's first transaction: the job and the connection's slot take two of 100 */
const FIRST_REDRIVE_BATCH = 98;
/** items of its next ones: the job's counters take one */
const NEXT_REDRIVE_BATCH = 99;
import { cancellationReasons, failedItem, isConditionFailure, isTransactionCanceled, transactWrite } from './errors.js';

/** Backs off before asking again for what a batch call left unprocessed (throttling). */
const pause = (attempt: number) => new Promise((resolve) => setTimeout(resolve, Math.min(1000, 20 * 2 ** attempt)));

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
    const result = await this.db.send(new GetCommand({ TableName: this.tables.jobs, Key: { jobId }, ConsistentRead: true }));
    return (result.Item as JobRecord | undefined) ?? null;
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
    return this.conditional(
      new UpdateCommand({
        TableName: this.tables.jobs,
        Key: { jobId },
        // The client's headers and cookies (possibly secrets) are kept only while the job runs.
        UpdateExpression: `SET #status = :finishing, finalStatus = :final, finishedAt = :at${force ? ', endReason = :reason' : ''} REMOVE seedCredentials`,
        ConditionExpression: force ? '#status = :running' : '#status = :running AND admitted = settled',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: {
          ':finishing': 'finishing',
          ':final': status,
          ':at': finishedAt,
          ':running': 'running',
          ...(force ? { ':reason': force.reason } : {}),
        },
      }),
    );
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
    return jobs;
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
            // The job as the caller read it, and its last run ended completely (slot freed,
            // completed claimed): of two redrives at once only one passes this.
            ConditionExpression: '#status = :seen AND settled = :settled AND attribute_not_exists(slotPending) AND attribute_exists(notifiedAt)',
            ExpressionAttributeNames: { '#status': 'status' },
            ExpressionAttributeValues: {
              ':running': 'running',
              ':conn': run.connectionId,
              ':deadline': run.deadlineAt,
              ':now': run.now,
              ':run': runNumber,
              ':minus': -first.length,
              ':seen': job.status,
              ':settled': job.settled,
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
    const entries: CacheEntry[] = [];
    const wanted = [...new Set(cacheKeys)];
    for (let start = 0; start < wanted.length; start += 100) {
      let keys: Record<string, unknown>[] | undefined = wanted.slice(start, start + 100).map((key) => ({ jobId: `${CACHE_PREFIX}${key}` }));
      for (let attempt = 0; keys && keys.length > 0; attempt++) {
        const result: BatchGetCommandOutput = await this.db.send(new BatchGetCommand({ RequestItems: { [this.tables.jobs]: { Keys: keys } } }));
        for (const item of result.Responses?.[this.tables.jobs] ?? []) {
          const entry = { cacheKey: String(item.jobId).slice(CACHE_PREFIX.length), jobId: String(item.resultJobId), finishedAt: Number(item.finishedAt), expiresAt: Number(item.expiresAt) };
          if (!isExpired(entry, this.clock.now())) entries.push(entry);
        }
        keys = result.UnprocessedKeys?.[this.tables.jobs]?.Keys;
        if (keys && keys.length > 0) await pause(attempt);
      }
    }
    return entries;
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
        if (requests && Object.keys(requests).length > 0) await pause(attempt);
      }
    }
    return this.createJob(job, seed, maxJobsPerConnection);
  }

  async readAfterSettle(jobId: string, now: number, intervalMs: number): Promise<{ job: JobRecord | null; progressDue: boolean }> {
    try {
      const result = await this.db.send(
        new UpdateCommand({
          TableName: this.tables.jobs,
          Key: { jobId },
          UpdateExpression: 'SET lastProgressAt = :now',
          ConditionExpression: '#status = :running AND (attribute_not_exists(lastProgressAt) OR lastProgressAt <= :threshold)',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':now': now, ':threshold': now - intervalMs, ':running': 'running' },
          ReturnValues: 'ALL_NEW',
          // A refused update still returns the item as it is: the read costs no second request.
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return { job: (result.Attributes as JobRecord | undefined) ?? null, progressDue: true };
    } catch (error) {
      if (isConditionFailure(error)) {
        const job = failedItem<JobRecord>(error);
        // no item: the condition failed on a job that does not exist (the update would have created it)
        return { job: job ?? null, progressDue: false };
      }
      // Racing a counter transaction on the job item: read it the plain way, skip this progress.
      if ((error as Error)?.name === 'TransactionConflictException') return { job: await this.getJob(jobId), progressDue: false };
      throw error;
    }
  }

}
