// Where a URL's settle is counted, and how a job's counts are summed from its shards.
import { describe, expect, it } from 'vitest';
import {
  counterKeyOf,
  counterShardOf,
  jobIdOfShardKey,
  shardKey,
  shardKeysOf,
  withShardCounters,
} from '../../functions/core/counter-shards.js';
import { outstanding } from '../../functions/core/job.js';
import { urlKeyOf } from '../../functions/core/keys.js';

describe('the shard a URL counts on', () => {
  it('is always the same for one URL, and within 0..shards-1', () => {
    const key = urlKeyOf('http://example.com/a');
    for (const shards of [1, 2, 8, 64]) {
      const shard = counterShardOf(key, shards);
      expect(shard).toBeGreaterThanOrEqual(0);
      expect(shard).toBeLessThan(shards);
      expect(counterShardOf(key, shards)).toBe(shard);
    }
  });

  it('spreads the URLs of a site over every shard, none holding much more than its share', () => {
    const counts = new Array<number>(8).fill(0);
    for (let i = 0; i < 8000; i++) counts[counterShardOf(urlKeyOf(`http://example.com/page/${i}`), 8)]! += 1;
    for (const count of counts) expect(count).toBeGreaterThan(800);
    for (const count of counts) expect(count).toBeLessThan(1200);
  });

  it('spreads short keys too (not only SHA-256 hex)', () => {
    const used = new Set(Array.from({ length: 200 }, (_, i) => counterShardOf(`k${i}`, 8)));
    expect(used.size).toBe(8);
  });

  it('is the job item itself for a job without shards (created before counters were sharded)', () => {
    expect(counterKeyOf('job-1', 'abc', undefined)).toBe('job-1');
    expect(counterKeyOf('job-1', 'abc', 0)).toBe('job-1');
    expect(counterKeyOf('job-1', 'abc', 8)).toBe(shardKey('job-1', counterShardOf('abc', 8)));
    expect(shardKeysOf('job-1', undefined)).toEqual([]);
    expect(shardKeysOf('job-1', 3)).toEqual(['job-1#shard#0', 'job-1#shard#1', 'job-1#shard#2']);
  });

  it('names its job, and no other key of the jobs table is taken for a shard', () => {
    expect(jobIdOfShardKey(shardKey('5f0c-uuid', 7))).toBe('5f0c-uuid');
    expect(jobIdOfShardKey('5f0c-uuid')).toBeNull();
    expect(jobIdOfShardKey('cache#abc#d2')).toBeNull();
    expect(jobIdOfShardKey('x#shard#')).toBeNull();
  });
});

describe("a job's counts", () => {
  const job = { jobId: 'j', admitted: 10, settled: -2, done: 0, failed: -2, lastActivityAt: 50, delayedUntil: 70 };

  it('are the job item’s base plus every shard’s, instants the latest', () => {
    const summed = withShardCounters(job, [
      { settled: 5, done: 4, failed: 1, lastActivityAt: 90 },
      { settled: 7, done: 5, failed: 2, delayed: 1, hostWaits: 3, lastDelayedAt: 80, delayedUntil: 60 },
      { settled: 0, done: 0, failed: 0 },
    ]);
    expect(summed).toMatchObject({ admitted: 10, settled: 10, done: 9, failed: 1, delayed: 1, hostWaits: 3, lastActivityAt: 90, lastDelayedAt: 80, delayedUntil: 70 });
    expect(outstanding(summed)).toBe(0);
  });

  it('leave out what nothing counted, and are the job item’s own without shards', () => {
    expect(withShardCounters(job, [])).toEqual(job);
    const summed = withShardCounters(job, [{ settled: 1, done: 1, failed: 0 }]);
    expect('delayed' in summed).toBe(false);
    expect('hostWaits' in summed).toBe(false);
    expect('lastDelayedAt' in summed).toBe(false);
  });

  it('do not change the job they are summed for', () => {
    const copy = { ...job };
    withShardCounters(job, [{ settled: 3, done: 3, failed: 0, lastActivityAt: 99 }]);
    expect(job).toEqual(copy);
  });
});
