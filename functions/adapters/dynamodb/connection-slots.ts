// A connection's job slots: `activeJobs` on its connections item, at most maxJobsPerConnection.
// A slot is taken in the transaction that starts a job (or a redrive's run), and given back once
// the job is final; the job item notes a slot still held (`slotPending`) until it is.
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { JobRecord } from '../../core/job.js';
import { CONNECTION_TTL_SECONDS } from './connection-store.js';
import { cancellationReasons, conditionalWrite, isTransactionCanceled, transactWrite } from './errors.js';
import type { JobTables } from './job-tables.js';
import { giveBackQuota } from './client-quotas.js';

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

/**
 * The update that gives one of the connection's slots back; its condition fails when the
 * connection is gone ($disconnect deleted it, slots and all) or holds none.
 */
export function freeSlot(tables: JobTables, connectionId: string) {
  return {
    Update: {
      TableName: tables.names.connections,
      Key: { connectionId },
      UpdateExpression: 'ADD activeJobs :minusOne',
      ConditionExpression: 'attribute_exists(connectionId) AND activeJobs > :zero',
      ExpressionAttributeValues: { ':minusOne': -1, ':zero': 0 },
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
  const connectionSlot = freeSlot(tables, job.connectionId);
  // and the client's allowance, with the same once-only note (client-quotas.ts)
  const quota = giveBackQuota(tables, job);
  try {
    await transactWrite(tables.db, [{ Update: clearNote }, connectionSlot, ...quota] as never);
  } catch (error) {
    if (!isTransactionCanceled(error)) throw error;
    const [jobReason, ...others] = cancellationReasons(error);
    if (jobReason?.code === 'ConditionalCheckFailed') return; // already released
    if (!others.some((reason) => reason?.code === 'ConditionalCheckFailed')) throw error;
    // The connection is gone ($disconnect deleted it, slots and all): nothing to free there. A
    // client count already at zero (its items expired, or written before quotas) is left so.
    const rest = [connectionSlot, ...quota].filter((_, i) => others[i]?.code !== 'ConditionalCheckFailed');
    if (rest.length === 0) await conditionalWrite(tables.db.send(new UpdateCommand(clearNote)));
    else {
      try {
        await transactWrite(tables.db, [{ Update: clearNote }, ...rest] as never);
      } catch (again) {
        if (!isTransactionCanceled(again)) throw again;
        if (cancellationReasons(again)[0]?.code === 'ConditionalCheckFailed') return;
        // whatever refused now refused twice: free the note alone rather than hold the job open
        await conditionalWrite(tables.db.send(new UpdateCommand(clearNote)));
      }
    }
  }
}
