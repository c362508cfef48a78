// The claim to send a job's `completed` against DynamoDB Local: once per run, and bound to the run
// it was read in. A redrive removes the last run's claim and end; a claimer that still holds a read
// of the run before (a crawler's stray message, slowed on a busy host) must not take the new run's
// `completed`, which would then never be sent to the client that asked for the redrive.
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { db, jobFor, jobs, seed, useDynamoStores } from './fixtures-dynamodb-stores/stores.js';

useDynamoStores();

describe('claiming a job’s completed', () => {
  it('is bound to the run: a stale read of the run before a redrive claims nothing of the new run', async () => {
    const jobId = 'claim-run';
    expect(await jobs.createJob(jobFor(jobId, 'conn-claim'), { ...seed(), jobId }, 5)).toBe('created');
    expect(await jobs.beginFinish(jobId, 'partial', 100, { reason: 'test' })).toBe(true);
    // the first run's end: claimed once, by whoever read that run
    expect(await jobs.claimNotification(jobId, 101, 100)).toBe(true);
    expect(await jobs.claimNotification(jobId, 102, 100)).toBe(false);
    // a redrive reopens it (what openRedrive removes), and the new run ends later
    await db.send(
      new UpdateCommand({
        TableName: 'jobs',
        Key: { jobId },
        UpdateExpression: 'SET #s = :running REMOVE finalStatus, finishedAt, notifiedAt',
        ExpressionAttributeNames: { '#s': 'status' },
        ExpressionAttributeValues: { ':running': 'running' },
      }),
    );
    // the stale claimer (it read finishedAt 100) comes late: it may not take the claim…
    expect(await jobs.claimNotification(jobId, 103, 100)).toBe(false);
    expect(await jobs.beginFinish(jobId, 'succeeded', 200, { reason: 'test' })).toBe(true);
    expect(await jobs.claimNotification(jobId, 201, 100)).toBe(false);
    // …so the new run's finisher does, once
    expect(await jobs.claimNotification(jobId, 202, 200)).toBe(true);
    expect(await jobs.claimNotification(jobId, 203, 200)).toBe(false);
  });
});
