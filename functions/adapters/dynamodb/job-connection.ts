// A running job's notifications follow its owner to a new connection (`status` from it, e.g. after
// API Gateway closed the first one at its 2-hour limit): the job item's connectionId, and the job's
// slot with it, so the slot is given back where it is held when the job ends (connection-slots.ts).
import type { JobRecord } from '../../core/job.js';
import { freeSlot } from './connection-slots.js';
import { CONNECTION_TTL_SECONDS } from './connection-store.js';
import { cancellationReasons, isTransactionCanceled, transactWrite } from './errors.js';
import type { JobTables } from './job-tables.js';

/**
 * One transaction, only while the job runs and still notifies `job.connectionId`: the job item
 * points at `connectionId`, the old connection's slot is freed (unless $disconnect deleted it,
 * slots and all) and the new one's taken (not capped: the job exists already). False when the job
 * no longer runs or was moved meanwhile.
 */
export async function moveNotifications(tables: JobTables, job: Pick<JobRecord, 'jobId' | 'connectionId'>, connectionId: string): Promise<boolean> {
  const expires = Math.floor(tables.clock.now() / 1000) + CONNECTION_TTL_SECONDS;
  const items = (withOld: boolean) => [
    {
      Update: {
        TableName: tables.names.jobs,
        Key: { jobId: job.jobId },
        UpdateExpression: 'SET connectionId = :new',
        ConditionExpression: 'connectionId = :old AND #status = :running',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':new': connectionId, ':old': job.connectionId, ':running': 'running' },
      },
    },
    {
      Update: {
        TableName: tables.names.connections,
        Key: { connectionId },
        UpdateExpression: 'SET expiresAt = if_not_exists(expiresAt, :expiresAt) ADD activeJobs :one',
        ExpressionAttributeValues: { ':one': 1, ':expiresAt': expires },
      },
    },
    ...(withOld ? [freeSlot(tables, job.connectionId)] : []),
  ];
  for (const withOld of [true, false]) {
    try {
      await transactWrite(tables.db, items(withOld));
      return true;
    } catch (error) {
      if (!isTransactionCanceled(error)) throw error;
      const reasons = cancellationReasons(error);
      if (reasons[0]?.code === 'ConditionalCheckFailed') return false;
      // The old connection is gone: nothing to free there.
      if (!(withOld && reasons[2]?.code === 'ConditionalCheckFailed')) throw error;
    }
  }
  return false;
}
