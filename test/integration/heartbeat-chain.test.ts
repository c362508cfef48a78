// A job's heartbeat chain against DynamoDB Local (adapters/dynamodb/heartbeat-chain.ts): however its
// messages are duplicated or restarted, one chain goes on and every other stops at its next beat.
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { db, jobFor, jobs, seed, useDynamoStores } from './fixtures-dynamodb-stores/stores.js';

useDynamoStores();

async function created(jobId: string): Promise<void> {
  expect(await jobs.createJob(jobFor(jobId, `conn-${jobId}`), { ...seed(), jobId }, 5)).toBe('created');
}

describe('the heartbeat chain', () => {
  it('passes from beat to beat, and a copy of a passed beat stops once its successor has passed', async () => {
    await created('hb-pass');
    await jobs.startHeartbeatChain('hb-pass', 'b0');
    expect(await jobs.passHeartbeat('hb-pass', 'b0', 'b1')).toBe(true);
    // a heartbeat that died after sending b1 comes back as b0: it may pass again (its successor b2)…
    expect(await jobs.passHeartbeat('hb-pass', 'b0', 'b2')).toBe(true);
    // …which strands the b1 of the first try
    expect(await jobs.passHeartbeat('hb-pass', 'b1', 'b3')).toBe(false);
    expect(await jobs.passHeartbeat('hb-pass', 'b2', 'b4')).toBe(true);
    // once b2 has passed, the old b0 is stale too
    expect(await jobs.passHeartbeat('hb-pass', 'b0', 'b5')).toBe(false);
    const item = await db.send(new GetCommand({ TableName: 'jobs', Key: { jobId: 'hb-pass' } }));
    expect(item.Item).toMatchObject({ heartbeatNext: 'b4', heartbeatPrev: 'b2' });
  });

  it('stops the earlier chain when a new one starts (redrive reopens a job)', async () => {
    await created('hb-restart');
    await jobs.startHeartbeatChain('hb-restart', 'old');
    expect(await jobs.passHeartbeat('hb-restart', 'old', 'old-1')).toBe(true);
    await jobs.startHeartbeatChain('hb-restart', 'new');
    expect(await jobs.passHeartbeat('hb-restart', 'old-1', 'old-2')).toBe(false);
    expect(await jobs.passHeartbeat('hb-restart', 'old', 'old-3')).toBe(false);
    expect(await jobs.passHeartbeat('hb-restart', 'new', 'new-1')).toBe(true);
  });

  it('adopts one message of a chain from before beats, and no second', async () => {
    await created('hb-legacy');
    expect(await jobs.passHeartbeat('hb-legacy', undefined, 'l1')).toBe(true);
    expect(await jobs.passHeartbeat('hb-legacy', undefined, 'l2')).toBe(false);
    expect(await jobs.passHeartbeat('hb-legacy', 'l1', 'l3')).toBe(true);
  });

  it('stops for a job that does not exist, and creates nothing', async () => {
    await jobs.startHeartbeatChain('hb-none', 'x');
    expect(await jobs.passHeartbeat('hb-none', 'x', 'y')).toBe(false);
    expect(await jobs.passHeartbeat('hb-none', undefined, 'y')).toBe(false);
    expect((await db.send(new GetCommand({ TableName: 'jobs', Key: { jobId: 'hb-none' } }))).Item).toBeUndefined();
  });
});
