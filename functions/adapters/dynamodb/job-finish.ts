// A job's ending: running → finishing (forced, or only once every admitted URL is settled), then
// finishing → final with its manifest and cache entry; the once-only claim of the `completed`
// message, and the sweeper's list of jobs not yet wholly ended. Every change is conditional, so a
// job ends exactly once however many workers race to end it.
import { UpdateCommand, paginateQuery } from '@aws-sdk/lib-dynamodb';
import { batchGetAll } from './batch-get.js';
import { shardKeysOf } from '../../core/counter-shards.js';
import { outstanding, type FinalStatus, type JobCounters, type JobRecord } from '../../core/job.js';
import { cacheEntryOf } from '../../core/reuse-plan.js';
import { cancellationReasons, conditionalWrite, isTransactionCanceled, transactWrite } from './errors.js';
import { readCounted, withCounters } from './job-counters.js';
import { cacheEntryPut } from './job-reuse.js';
import type { JobTables } from './job-tables.js';
import { deleteSecrets, secretsDelete } from './job-secrets.js';
import { UNFINISHED_INDEX, UNFINISHED_MARK } from './table-definitions.js';

/** running → finishing at once, with the reason it was forced (cancel, deadline). */
export async function beginForcedFinish(tables: JobTables, jobId: string, status: FinalStatus, finishedAt: number, reason: string): Promise<boolean> {
  const finish = finishUpdate(status, finishedAt, reason);
  const begun = await conditionalWrite(
    tables.db.send(
      new UpdateCommand({
        TableName: tables.names.jobs,
        Key: { jobId },
        ...finish,
        ConditionExpression: '#status = :running',
      }),
    ),
  );
  if (begun) await forgetSecrets(tables, jobId);
  return begun;
}

/**
 * A job that stopped running needs its credentials no more: gone now. A failure here leaves them
 * to the transaction that makes the job final (makeFinal), which deletes them too.
 */
async function forgetSecrets(tables: JobTables, jobId: string): Promise<void> {
  try {
    await deleteSecrets(tables, jobId);
  } catch {
    // deleted with the final state instead
  }
}

export async function beginFinishIfSettled(tables: JobTables, jobId: string, statusOf: (counts: JobCounters) => FinalStatus, finishedAt: number): Promise<boolean> {
  const read = await readCounted(tables, jobId);
  // A redrive still putting its URLs back (`redriving`) holds the job open: it asks again after.
  if (!read || read.job.status !== 'running' || read.job.redriving !== undefined || outstanding(read.job) !== 0) return false;
  const finish = finishUpdate(statusOf(read.job), finishedAt);
  // The read was not one snapshot; this transaction is: it passes only if, at one instant, the job
  // runs, its `admitted` and base `settled` are as read, and every shard's `settled` is as read.
  // Then admitted = Σ settled held at that instant: no URL was in flight, and the status was
  // chosen on the counts of that instant. A settler that read an older state fails here; the
  // settle that made the job done is followed by a read that sees it, and passes.
  try {
    await transactWrite(tables.db, [
      {
        Update: {
          TableName: tables.names.jobs,
          Key: { jobId },
          ...finish,
          ConditionExpression: '#status = :running AND admitted = :admitted AND settled = :baseSettled AND attribute_not_exists(redriving)',
          ExpressionAttributeValues: { ...finish.ExpressionAttributeValues, ':admitted': read.item.admitted, ':baseSettled': read.item.settled },
        },
      },
      ...shardKeysOf(jobId, read.item.counterShards).map((key) => {
        const settled = read.shards.get(key)?.settled;
        return {
          ConditionCheck: {
            TableName: tables.names.jobs,
            Key: { jobId: key },
            ...(settled === undefined
              ? { ConditionExpression: 'attribute_not_exists(settled)' }
              : { ConditionExpression: 'settled = :settled', ExpressionAttributeValues: { ':settled': settled } }),
          },
        };
      }),
    ]);
  } catch (error) {
    if (isTransactionCanceled(error) && cancellationReasons(error).some((r) => r.code === 'ConditionalCheckFailed')) return false;
    throw error;
  }
  if (read.job.usedCredentials) await forgetSecrets(tables, jobId);
  return true;
}

/** running → finishing: the final status chosen, the instant, and why when forced. */
function finishUpdate(status: FinalStatus, finishedAt: number, reason?: string) {
  return {
    // The client's headers and cookies (possibly secrets) are kept only while the job runs (on the
    // job item only when the store has no secrets table: job-secrets.ts).
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

export async function listUnfinished(tables: JobTables): Promise<JobRecord[]> {
  // The sparse index holds the keys of jobs not yet complete (table-definitions.ts); the jobs are
  // then read consistently, and only those the scan's condition still holds for are kept (the
  // index is eventually consistent: a job just completed may still be listed).
  const keys: { jobId: string }[] = [];
  const pages = paginateQuery(
    { client: tables.db },
    {
      TableName: tables.names.jobs,
      IndexName: UNFINISHED_INDEX.name,
      KeyConditionExpression: '#unfinished = :open',
      ExpressionAttributeNames: { '#unfinished': UNFINISHED_INDEX.partitionKey },
      ExpressionAttributeValues: { ':open': UNFINISHED_MARK },
    },
  );
  for await (const page of pages) keys.push(...(page.Items ?? []).map((item) => ({ jobId: String(item.jobId) })));
  const items = (await batchGetAll(tables.db, tables.names.jobs, keys, { consistent: true })) as unknown as JobRecord[];
  const open = items.filter(
    (job) => job.status !== undefined && (job.status === 'running' || job.status === 'finishing' || Boolean(job.slotPending) || job.notifiedAt === undefined),
  );
  return withCounters(tables, open);
}

/**
 * finishing → final with the manifest key, and the result-cache entry of a success, noting that
 * the connection's slot is still to be freed (releaseSlot, connection-slots.ts). False when the
 * job was not finishing (another finisher made it final first).
 */
export async function makeFinal(tables: JobTables, job: JobRecord, status: FinalStatus, manifestKey: string): Promise<boolean> {
  // The final state, the cache entry and a note that the slot is still to be freed move together:
  // a finisher that dies after this leaves nothing half done that a redelivery cannot finish.
  const entry = cacheEntryOf(job, status);
  try {
    await transactWrite(tables.db, [
      {
        Update: {
          TableName: tables.names.jobs,
          Key: { jobId: job.jobId },
          // a `since` crawl's change counts (core/changes.ts) are part of its final state
          UpdateExpression: `SET #status = :final, manifestKey = :key, slotPending = :true${job.changes ? ', changes = :changes' : ''}`,
          ConditionExpression: '#status = :finishing',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':final': status, ':key': manifestKey, ':finishing': 'finishing', ':true': true, ...(job.changes ? { ':changes': job.changes } : {}) },
        },
      },
      ...(entry ? [cacheEntryPut(tables, entry)] : []),
      // The credentials, if an earlier delete missed them: a final job holds none.
      ...(job.usedCredentials ? secretsDelete(tables, job.jobId) : []),
    ]);
    return true;
  } catch (error) {
    if (isTransactionCanceled(error) && cancellationReasons(error)[0]?.code === 'ConditionalCheckFailed') return false;
    throw error;
  }
}

/**
 * `finishedAt`: the end of the run the claimer read. A redrive removes the claim and the end of the
 * run before, so a claimer holding a stale read of that run (a crawler's stray message, slowed)
 * must not take the new run's `completed`: the claim is bound to the run by its end.
 */
export async function claimNotification(tables: JobTables, jobId: string, now: number, finishedAt?: number): Promise<boolean> {
  return conditionalWrite(
    tables.db.send(
      new UpdateCommand({
        TableName: tables.names.jobs,
        Key: { jobId },
        // the last step of a job's end: it leaves the sweeper's index of unfinished jobs
        UpdateExpression: 'SET notifiedAt = :now REMOVE #unfinished',
        ConditionExpression: `attribute_not_exists(notifiedAt)${finishedAt !== undefined ? ' AND finishedAt = :finishedAt' : ''}`,
        ExpressionAttributeNames: { '#unfinished': UNFINISHED_INDEX.partitionKey },
        ExpressionAttributeValues: { ':now': now, ...(finishedAt !== undefined ? { ':finishedAt': finishedAt } : {}) },
      }),
    ),
  );
}
