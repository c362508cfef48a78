// A connection's job slots: `activeJobs` on its connections item, at most maxJobsPerConnection.
// A slot is taken in the transaction that starts a job (or a redrive's run), and given back once
// the job is final; the job item notes a slot still held (`slotPending`) until it is.
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { JobRecord } from '../../core/job.js';
import { CONNECTION_TTL_SECONDS } from './connection-store.js';
import { cancellationReasons, conditionalWrite, isTransactionCanceled, transactWrite } from './errors.js';
import type { JobTables } from './job-tables.js';

/**
 * The update that takes one of the connection's slots, for the transaction that starts a run; its
 * condition fails when every slot is taken. `now` in milliseconds.
 */
export function takeSlot(tables: JobTables, connectionId: string, maxJobsPerConnection: number, now: number) {
  return {
    Update: {
      TableName: tables.names.connections,
      Key: { connectionId },
      // $disconnect may have deleted the item already (the client left while its crawl was on its
      // way): the update then recreates it, and it must expire like any other.
      UpdateExpression: 'SET expiresAt = if_not_exists(expiresAt, :expiresAt) ADD activeJobs :one',
      ConditionExpression: 'attribute_not_exists(activeJobs) OR activeJobs < :max',
      ExpressionAttributeValues: { ':one': 1, ':max': maxJobsPerConnection, ':expiresAt': Math.floor(now / 1000) + CONNECTION_TTL_SECONDS },
    },
  };
}

/** Frees the slot of a final job and clears its note, once (see JobStore.releaseSlot). */
export async function releaseSlot(tables: JobTables, job: JobRecord): Promise<void> {
  // Only while the job still notes a held slot: a second release is refused by that condition.
  const clearNote = {
    TableName: tables.names.jobs,
    Key: { jobId: job.jobId },
    UpdateExpression: 'REMOVE slotPending',
    ConditionExpression: 'attribute_exists(slotPending)',
  };
  try {
    await transactWrite(tables.db, [
      { Update: clearNote },
      {
        Update: {
          TableName: tables.names.connections,
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
    await conditionalWrite(tables.db.send(new UpdateCommand(clearNote)));
  }
}
