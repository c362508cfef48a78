// Exact depth against DynamoDB Local (core/depth.ts, frontier-store lowerDepth): a URL found by a
// shorter path takes the smaller depth by conditional updates; a done page is reopened with its
// settle taken back, so `admitted - settled` stays exact and the job cannot end under it; a claimed
// page cannot be settled at the depth it was claimed at once a shorter path lowered it.
import { describe, expect, it } from 'vitest';
import type { PageSummary } from '../../functions/core/job.js';
import { admit, child, frontier, jobFor, jobId, jobs, seed, useDynamoStores } from './fixtures-dynamodb-stores/stores.js';

useDynamoStores();

const summaryAt = (depth: number, links = 3): PageSummary => ({
  url: 'http://s/x', finalUrl: 'http://s/x', depth, parent: 'http://s/b', status: 200, title: 'x', sha256: 'h', links, key: 'k',
});
const deep = (key: string, depth: number) => ({ ...child(key, 'b'), depth, parent: 'http://s/b' });
const shorter = (depth: number) => ({ depth, parent: 'http://s/slow', discoveredBy: 'slow' });

describe('a URL found by a shorter path', () => {
  it('lowers a queued URL (to be sent again), and a retry of the same finder is told to send it too', async () => {
    expect(await admit(deep('x', 3), 100)).toBe('admitted');
    expect(await frontier.lowerDepth(jobId, 'x', shorter(2))).toBe('send');
    expect(await frontier.get(jobId, 'x')).toMatchObject({ state: 'queued', depth: 2, parent: 'http://s/slow', discoveredBy: 'slow' });
    // The finder died before sending: its retry sends it; another finder at that depth does not.
    expect(await frontier.lowerDepth(jobId, 'x', shorter(2))).toBe('send');
    expect(await frontier.lowerDepth(jobId, 'x', { ...shorter(2), discoveredBy: 'other' })).toBe('unchanged');
    // Never raised.
    expect(await frontier.lowerDepth(jobId, 'x', { ...shorter(3), discoveredBy: 'other' })).toBe('unchanged');
    expect(await frontier.get(jobId, 'x')).toMatchObject({ depth: 2 });
    expect(await jobs.getJob(jobId)).toMatchObject({ admitted: 2, settled: 0 });
  });

  it('makes the holder of a claim settle only once it crawled at the new depth', async () => {
    await admit(deep('x', 3), 100);
    expect((await frontier.claim(jobId, 'x', 'w', 60_000)).kind).toBe('claimed');
    expect(await frontier.lowerDepth(jobId, 'x', shorter(2))).toBe('lowered');
    expect(await frontier.settle(jobId, 'x', 'w', { kind: 'done', summary: summaryAt(3) })).toBe(false);
    expect(await frontier.get(jobId, 'x')).toMatchObject({ state: 'claimed', leaseOwner: 'w', depth: 2 });
    expect(await frontier.settle(jobId, 'x', 'w', { kind: 'done', summary: summaryAt(2) })).toBe(true);
    expect(await jobs.getJob(jobId)).toMatchObject({ admitted: 2, settled: 1, done: 1 });
  });

  it('reopens a done page: counted open again until it settles once more, never done twice', async () => {
    await admit(deep('x', 3), 100);
    await frontier.claim(jobId, 'x', 'w', 60_000);
    expect(await frontier.settle(jobId, 'x', 'w', { kind: 'done', summary: summaryAt(3) })).toBe(true);
    expect(await jobs.getJob(jobId)).toMatchObject({ admitted: 2, settled: 1, done: 1 });

    expect(await frontier.lowerDepth(jobId, 'x', shorter(2))).toBe('send');
    const reopened = await frontier.get(jobId, 'x');
    expect(reopened).toMatchObject({ state: 'queued', depth: 2, parent: 'http://s/slow', attempts: 1, summary: { depth: 3 } });
    expect(await jobs.getJob(jobId)).toMatchObject({ admitted: 2, settled: 0, done: 0 });
    // Only the seed settled now would leave x open: the job cannot end under it.
    await frontier.claim(jobId, 'seed', 'w', 60_000);
    await frontier.settle(jobId, 'seed', 'w', { kind: 'done', summary: { ...summaryAt(0), url: 'http://s/' } });
    expect(await jobs.beginFinishIfSettled(jobId, () => 'succeeded', 2_000)).toBe(false);

    // Its claim is a second attempt (the stored record is reused), and it settles once more.
    expect(await frontier.claim(jobId, 'x', 'w2', 60_000)).toMatchObject({ kind: 'claimed', record: { attempts: 2 } });
    expect(await frontier.settle(jobId, 'x', 'w2', { kind: 'done', summary: summaryAt(2) })).toBe(true);
    expect(await jobs.getJob(jobId)).toMatchObject({ admitted: 2, settled: 2, done: 2 });
    expect(await jobs.beginFinishIfSettled(jobId, () => 'succeeded', 2_000)).toBe(true);
  });

  it('only lowers a done page without links, and a failed URL, in place', async () => {
    await admit(deep('x', 3), 100);
    await admit(deep('y', 3), 100);
    await frontier.claim(jobId, 'x', 'w', 60_000);
    await frontier.settle(jobId, 'x', 'w', { kind: 'done', summary: summaryAt(3, 0) });
    await frontier.claim(jobId, 'y', 'w', 60_000);
    await frontier.settle(jobId, 'y', 'w', { kind: 'failed', failure: { url: 'http://s/y', error: 'e' } });
    expect(await frontier.lowerDepth(jobId, 'x', shorter(1))).toBe('lowered');
    expect(await frontier.lowerDepth(jobId, 'y', shorter(1))).toBe('lowered');
    expect(await frontier.get(jobId, 'x')).toMatchObject({ state: 'done', depth: 1, summary: { depth: 1, parent: 'http://s/slow' } });
    expect(await frontier.get(jobId, 'y')).toMatchObject({ state: 'failed', depth: 1 });
    expect(await jobs.getJob(jobId)).toMatchObject({ admitted: 3, settled: 2, done: 1, failed: 1 });
  });

  it('leaves the pages of a job that no longer runs as they are', async () => {
    await admit(deep('x', 3), 100);
    await frontier.claim(jobId, 'x', 'w', 60_000);
    await frontier.settle(jobId, 'x', 'w', { kind: 'done', summary: summaryAt(3) });
    expect(await jobs.beginFinish(jobId, 'cancelled', 5, { reason: 'job cancelled' })).toBe(true);
    expect(await frontier.lowerDepth(jobId, 'x', shorter(2))).toBe('unchanged');
    expect(await frontier.get(jobId, 'x')).toMatchObject({ state: 'done', depth: 3 });
  });

  it('reopens on the counter shard the page settled on, in a sharded job', async () => {
    const id = `${jobId}-sharded`;
    await jobs.createJob({ ...jobFor(id, `c-${id}`), depth: 4, counterShards: 4 }, { ...seed(), jobId: id }, 100);
    await frontier.admitAll([{ ...deep('x', 3), jobId: id }], 100);
    await frontier.claim(id, 'x', 'w', 60_000);
    await frontier.settle(id, 'x', 'w', { kind: 'done', summary: summaryAt(3) }, 4);
    expect(await jobs.getJob(id)).toMatchObject({ admitted: 2, settled: 1, done: 1 });
    expect(await frontier.lowerDepth(id, 'x', shorter(1), 4)).toBe('send');
    expect(await jobs.getJob(id)).toMatchObject({ admitted: 2, settled: 0, done: 0 });
    await frontier.claim(id, 'x', 'w', 60_000);
    expect(await frontier.settle(id, 'x', 'w', { kind: 'done', summary: summaryAt(1) }, 4)).toBe(true);
    expect(await jobs.getJob(id)).toMatchObject({ admitted: 2, settled: 1, done: 1 });
  });

  it('has one winner when two finders reopen the same page at once', async () => {
    await admit(deep('x', 3), 100);
    await frontier.claim(jobId, 'x', 'w', 60_000);
    await frontier.settle(jobId, 'x', 'w', { kind: 'done', summary: summaryAt(3) });
    const outcomes = await Promise.all([frontier.lowerDepth(jobId, 'x', shorter(2)), frontier.lowerDepth(jobId, 'x', { depth: 1, parent: 'http://s/a', discoveredBy: 'a' })]);
    expect(outcomes).toContain('send');
    expect(await frontier.get(jobId, 'x')).toMatchObject({ state: 'queued', depth: 1 });
    // Taken back once: the page is open once.
    expect(await jobs.getJob(jobId)).toMatchObject({ admitted: 2, settled: 0, done: 0 });
  });
});
