// `redrive`: a final job made to run again (the route: the job and a slot of the asking connection
// in one transaction, marked `redriving`), then its failed frontier items queued anew and their
// count taken back, 99 a transaction (the finisher's function, app/redrive-run.ts), then the mark
// removed once their URLs are on the queue.
import { UNFINISHED_INDEX, UNFINISHED_MARK } from './table-definitions.js';
import type { FrontierRecord, JobRecord } from '../../core/job.js';
import type { RedriveRun } from '../../core/ports.js';
import { takeSlot } from './connection-slots.js';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { cancellationReasons, conditionalWrite, isTransactionCanceled, transactWrite } from './errors.js';
import type { JobTables } from './job-tables.js';
import { takeQuota } from './client-quotas.js';
import { quotaNoteOf, type ClientQuota, type QuotaRefusal } from '../../core/client-quota.js';

/** items of a requeue transaction: the job's counters take one */
const REQUEUE_BATCH = 99;

export async function openRedrive(
  tables: JobTables,
  job: JobRecord,
  run: RedriveRun,
  maxJobsPerConnection: number,
  quota?: ClientQuota,
): Promise<'started' | 'refused' | 'too-many-jobs' | QuotaRefusal> {
  const runNumber = (job.redrives ?? 0) + 1;
  // the client's allowance (client-quotas.ts): a running-job slot and the run's URLs from today's pages
  const quotaItems = takeQuota(tables, quota, run.now);
  try {
    await transactWrite(tables.db, [
      {
        Update: {
          TableName: tables.names.jobs,
          Key: { jobId: job.jobId },
          UpdateExpression:
            `SET #status = :running, #unfinished = :open, connectionId = :conn, deadlineAt = :deadline, lastActivityAt = :now, redrives = :run, redriving = :run${run.requestId !== undefined ? ', requestId = :rid' : ''}${quota ? ', #quota = :quota' : ''} ` +
            `REMOVE finalStatus, finishedAt, notifiedAt, endReason, lastProgressAt${run.requestId !== undefined ? '' : ', requestId'}${quota ? '' : ', #quota'}`,
          // The job as the caller read it (each run's end claims a new notifiedAt), and its last
          // run ended completely (slot freed, completed claimed): of two redrives at once only
          // one passes this.
          ConditionExpression: '#status = :seen AND notifiedAt = :notified AND attribute_not_exists(slotPending)',
          ExpressionAttributeNames: { '#status': 'status', '#unfinished': UNFINISHED_INDEX.partitionKey, '#quota': 'quota' },
          ExpressionAttributeValues: {
            ':open': UNFINISHED_MARK,
            ':running': 'running',
            ':conn': run.connectionId,
            ':deadline': run.deadlineAt,
            ':now': run.now,
            ':run': runNumber,
            ':seen': job.status,
            ':notified': job.notifiedAt ?? -1,
            ...(run.requestId !== undefined ? { ':rid': run.requestId } : {}),
            ...(quota ? { ':quota': quotaNoteOf(quota) } : {}),
          },
        },
      },
      takeSlot(tables, run.connectionId, maxJobsPerConnection, run.now),
      ...quotaItems.map((q) => q.item),
    ] as never);
  } catch (error) {
    if (!isTransactionCanceled(error)) throw error;
    const reasons = cancellationReasons(error);
    if (reasons[0]?.code === 'ConditionalCheckFailed') return 'refused';
    if (reasons[1]?.code === 'ConditionalCheckFailed') return 'too-many-jobs';
    const short = quotaItems.find((_, i) => reasons[2 + i]?.code === 'ConditionalCheckFailed');
    if (short) return short.refusal;
    throw error;
  }
  return 'started';
}

export async function requeueFailed(tables: JobTables, jobId: string, run: number, failed: readonly FrontierRecord[]): Promise<boolean> {
  for (let start = 0; start < failed.length; start += REQUEUE_BATCH) {
    const batch = failed.slice(start, start + REQUEUE_BATCH);
    try {
      await transactWrite(tables.db, [
        {
          Update: {
            TableName: tables.names.jobs,
            Key: { jobId },
            // The counters taken back are the job item's base: the sum over the shards stays exact.
            UpdateExpression: 'ADD settled :minus, failed :minus',
            // Still this run, its URLs still being put back: a job that ended meanwhile (cancelled)
            // keeps the rest as they were.
            ConditionExpression: '#status = :running AND redrives = :run AND redriving = :run',
            ExpressionAttributeNames: { '#status': 'status' },
            ExpressionAttributeValues: { ':minus': -batch.length, ':running': 'running', ':run': run },
          },
        },
        ...batch.map((item) => requeue(tables, item)),
      ]);
    } catch (error) {
      if (isTransactionCanceled(error) && cancellationReasons(error)[0]?.code === 'ConditionalCheckFailed') return false;
      throw error;
    }
  }
  return true;
}

export async function endRedrive(tables: JobTables, jobId: string, run: number): Promise<void> {
  await conditionalWrite(
    tables.db.send(
      new UpdateCommand({
        TableName: tables.names.jobs,
        Key: { jobId },
        UpdateExpression: 'REMOVE redriving',
        ConditionExpression: 'redriving = :run',
        ExpressionAttributeValues: { ':run': run },
      }),
    ),
  );
}

/** A failed frontier item made new: queued, no attempts, no failure. */
function requeue(tables: JobTables, item: FrontierRecord) {
  return {
    Update: {
      TableName: tables.names.frontier,
      Key: { jobId: item.jobId, urlKey: item.urlKey },
      UpdateExpression: 'SET #state = :queued, attempts = :zero REMOVE failure, leaseOwner, leaseUntil',
      ConditionExpression: '#state = :failed',
      ExpressionAttributeNames: { '#state': 'state' },
      ExpressionAttributeValues: { ':queued': 'queued', ':zero': 0, ':failed': 'failed' },
    },
  };
}
