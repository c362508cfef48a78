// `redrive`: a final job made to run again, its failed frontier items queued anew and their count
// taken back, as one transaction with the job and a slot of the asking connection; beyond one
// transaction's room, the rest of the items follow while the new run goes.
import { UNFINISHED_INDEX, UNFINISHED_MARK } from './table-definitions.js';
import type { FrontierRecord, JobRecord } from '../../core/job.js';
import type { RedriveRun } from '../../core/ports.js';
import { takeSlot } from './connection-slots.js';
import { cancellationReasons, isTransactionCanceled, transactWrite } from './errors.js';
import type { JobTables } from './job-tables.js';
import { takeQuota } from './client-quotas.js';
import { quotaNoteOf, type ClientQuota, type QuotaRefusal } from '../../core/client-quota.js';

/** items of a redrive's first transaction: the job and the connection's slot take two of 100 (a client's quota up to two more) */
const FIRST_REDRIVE_BATCH = 98;
/** items of its next ones: the job's counters take one */
const NEXT_REDRIVE_BATCH = 99;

export async function beginRedrive(
  tables: JobTables,
  job: JobRecord,
  failed: FrontierRecord[],
  run: RedriveRun,
  maxJobsPerConnection: number,
  quota?: ClientQuota,
): Promise<'started' | 'refused' | 'too-many-jobs' | QuotaRefusal> {
  const runNumber = (job.redrives ?? 0) + 1;
  // the client's allowance (client-quotas.ts) takes room in the first transaction too
  const quotaItems = takeQuota(tables, quota, run.now);
  const first = failed.slice(0, FIRST_REDRIVE_BATCH - quotaItems.length);
  try {
    await transactWrite(tables.db, [
      {
        Update: {
          TableName: tables.names.jobs,
          Key: { jobId: job.jobId },
          UpdateExpression:
            `SET #status = :running, #unfinished = :open, connectionId = :conn, deadlineAt = :deadline, lastActivityAt = :now, redrives = :run${run.requestId !== undefined ? ', requestId = :rid' : ''}${quota ? ', #quota = :quota' : ''} ` +
            `REMOVE finalStatus, finishedAt, notifiedAt, endReason, lastProgressAt${run.requestId !== undefined ? '' : ', requestId'}${quota ? '' : ', #quota'} ` +
            'ADD settled :minus, failed :minus',
          // The job as the caller read it (each run's end claims a new notifiedAt), and its last
          // run ended completely (slot freed, completed claimed): of two redrives at once only
          // one passes this. The counters taken back are the job item's base: the sum over the
          // shards stays exact.
          ConditionExpression: '#status = :seen AND notifiedAt = :notified AND attribute_not_exists(slotPending)',
          ExpressionAttributeNames: { '#status': 'status', '#unfinished': UNFINISHED_INDEX.partitionKey, '#quota': 'quota' },
          ExpressionAttributeValues: {
            ':open': UNFINISHED_MARK,
            ':running': 'running',
            ':conn': run.connectionId,
            ':deadline': run.deadlineAt,
            ':now': run.now,
            ':run': runNumber,
            ':minus': -first.length,
            ':seen': job.status,
            ':notified': job.notifiedAt ?? -1,
            ...(run.requestId !== undefined ? { ':rid': run.requestId } : {}),
            ...(quota ? { ':quota': quotaNoteOf(quota) } : {}),
          },
        },
      },
      takeSlot(tables, run.connectionId, maxJobsPerConnection, run.now),
      ...quotaItems.map((q) => q.item),
      ...first.map((item) => requeue(tables, item)),
    ] as never);
  } catch (error) {
    if (!isTransactionCanceled(error)) throw error;
    const reasons = cancellationReasons(error);
    if (reasons[0]?.code === 'ConditionalCheckFailed') return 'refused';
    if (reasons[1]?.code === 'ConditionalCheckFailed') return 'too-many-jobs';
    const short = quotaItems.find((_, i) => reasons[2 + i]?.code === 'ConditionalCheckFailed');
    if (short) return short.refusal;
    // An item no longer failed while the job did not change: only another redrive does that.
    if (reasons.some((r) => r.code === 'ConditionalCheckFailed')) return 'refused';
    throw error;
  }
  for (let start = FIRST_REDRIVE_BATCH; start < failed.length; start += NEXT_REDRIVE_BATCH) {
    const batch = failed.slice(start, start + NEXT_REDRIVE_BATCH);
    try {
      await transactWrite(tables.db, [
        {
          Update: {
            TableName: tables.names.jobs,
            Key: { jobId: job.jobId },
            UpdateExpression: 'ADD settled :minus, failed :minus',
            // Still this run: a job that ended meanwhile (cancelled) keeps the rest as they were.
            ConditionExpression: '#status = :running AND redrives = :run',
            ExpressionAttributeNames: { '#status': 'status' },
            ExpressionAttributeValues: { ':minus': -batch.length, ':running': 'running', ':run': runNumber },
          },
        },
        ...batch.map((item) => requeue(tables, item)),
      ]);
    } catch (error) {
      if (isTransactionCanceled(error) && cancellationReasons(error).some((r) => r.code === 'ConditionalCheckFailed')) break;
      throw error;
    }
  }
  return 'started';
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
