// The per-client quota items against DynamoDB Local: taken in the transaction that creates a job
// (all or nothing with the job, its seed and its connection's slot), shared by the client's
// connections, and given back once with the slot when the job ends.
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { clientDayKey, clientJobsKey, clientQuotaFor } from '../../functions/core/client-quota.js';
import { db, frontier, jobFor, jobs, seed, useDynamoStores } from './fixtures-dynamodb-stores/stores.js';

useDynamoStores();

const NOON = Date.UTC(2026, 11, 7, 12);
const limits = { maxRunningJobsPerClient: 1, maxPagesPerClientPerDay: 5 };
const quota = (principal: string, pages: number) => clientQuotaFor(principal, pages, limits, NOON, true)!;
const item = async (key: string) => (await db.send(new GetCommand({ TableName: 'jobs', Key: { jobId: key }, ConsistentRead: true }))).Item;
const activeJobs = async (connectionId: string) => (await db.send(new GetCommand({ TableName: 'connections', Key: { connectionId }, ConsistentRead: true }))).Item?.activeJobs ?? 0;

function make(id: string, connectionId: string, owner: string, maxPages: number) {
  const job = { ...jobFor(id, connectionId), owner, maxPages };
  return { job, create: () => jobs.createJob(job, { ...seed(), jobId: id }, 5, quota(owner, maxPages)) };
}

async function end(id: string): Promise<void> {
  await jobs.beginFinish(id, 'succeeded', 5, { reason: 'test' });
  const job = (await jobs.getJob(id))!;
  expect(await jobs.completeFinish(job, 'succeeded', 'm')).toBe(true);
}

describe('per-client quotas', () => {
  it("share one allowance between a client's connections, refuse the rest without writing, and keep clients apart", async () => {
    expect(await make('q-a1', 'conn-a1', 'alice', 2).create()).toBe('created');
    expect(await make('q-a2', 'conn-a2', 'alice', 1).create()).toBe('client-jobs-quota');
    // nothing of the refused job: not the job, its seed, its connection's slot, nor any quota
    expect(await jobs.getJob('q-a2')).toBeNull();
    expect(await frontier.list('q-a2')).toEqual([]);
    expect(await activeJobs('conn-a2')).toBe(0);
    expect(await item(clientJobsKey('alice'))).toMatchObject({ runningJobs: 1 });
    expect(await item(clientDayKey('alice', '2026-12-07'))).toMatchObject({ pages: 2 });
    expect(await make('q-b1', 'conn-b1', 'bob', 5).create()).toBe('created');
  });

  it('give back the running slot and the pages a job did not admit, once', async () => {
    // q-a1 admitted its seed only: 1 of its 2 pages used
    await end('q-a1');
    const ended = (await jobs.getJob('q-a1'))!;
    await jobs.releaseSlot({ ...ended, slotPending: true });
    expect(await item(clientJobsKey('alice'))).toMatchObject({ runningJobs: 0 });
    expect(await item(clientDayKey('alice', '2026-12-07'))).toMatchObject({ pages: 1 });
    // 1 used of 5: 5 more do not fit, 4 do
    expect(await make('q-a3', 'conn-a2', 'alice', 5).create()).toBe('client-pages-quota');
    expect(await item(clientJobsKey('alice'))).toMatchObject({ runningJobs: 0 });
    expect(await make('q-a4', 'conn-a2', 'alice', 4).create()).toBe('created');
    expect(await item(clientDayKey('alice', '2026-12-07'))).toMatchObject({ pages: 5 });
  });
});
