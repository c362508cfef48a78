// A running job's heartbeat chain (app/heartbeat.ts) has one live message. The job item names the
// beat it expects next (`heartbeatNext`) and the one it last passed on (`heartbeatPrev`): a message
// carrying neither is a stale chain — a second start, or the copy a heartbeat left when it died
// after sending its successor — and stops. A redelivery of the message that was passed on last (the
// heartbeat died between its claim and its send) may pass again, with a new successor, which
// strands the successor of the first try. So however heartbeats fail, one chain goes on.
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { isConditionFailure } from './errors.js';
import type { JobTables } from './job-tables.js';

/** A new chain for the job: `beat` is the one it expects next; any earlier chain stops. */
export async function startHeartbeatChain(tables: JobTables, jobId: string, beat: string): Promise<void> {
  await tables.db.send(
    new UpdateCommand({
      TableName: tables.names.jobs,
      Key: { jobId },
      UpdateExpression: 'SET heartbeatNext = :beat REMOVE heartbeatPrev',
      ConditionExpression: 'attribute_exists(jobId)',
      ExpressionAttributeValues: { ':beat': beat },
    }),
  ).catch((error: unknown) => {
    if (!isConditionFailure(error)) throw error;
  });
}

/**
 * Passes the chain on from `beat` to `next`: true when `beat` is the one the job expects (or the one
 * it passed on last). A message of a chain started before this scheme (no beat) is adopted only by a
 * job with no chain of its own.
 */
export async function passHeartbeat(tables: JobTables, jobId: string, beat: string | undefined, next: string): Promise<boolean> {
  try {
    await tables.db.send(
      new UpdateCommand({
        TableName: tables.names.jobs,
        Key: { jobId },
        UpdateExpression: 'SET heartbeatNext = :next, heartbeatPrev = :beat',
        ConditionExpression:
          beat === undefined
            ? 'attribute_exists(jobId) AND attribute_not_exists(heartbeatNext)'
            : 'attribute_exists(jobId) AND (heartbeatNext = :beat OR heartbeatPrev = :beat)',
        ExpressionAttributeValues: { ':next': next, ':beat': beat ?? 'legacy' },
      }),
    );
    return true;
  } catch (error) {
    if (isConditionFailure(error)) return false;
    throw error;
  }
}
