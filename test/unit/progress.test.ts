// A running job's progress (core/progress.ts): its counts, and what it waits on while its URLs
// wait for a host; the host of the latest wait wins across counter shards (core/counter-shards.ts).
import { describe, expect, it } from 'vitest';
import { withShardCounters } from '../../functions/core/counter-shards.js';
import type { JobRecord } from '../../functions/core/job.js';
import { heartbeatIntervalSecondsOf, progressOf } from '../../functions/core/progress.js';

const job = (extra: Partial<JobRecord> = {}) => ({ jobId: 'j', admitted: 5, settled: 2, done: 2, failed: 0, ...extra }) as JobRecord;

describe('progressOf', () => {
  it('gives the counts, and no waiting while no URL waits', () => {
    expect(progressOf(job(), 1_000)).toEqual({ type: 'progress', jobId: 'j', done: 2, queued: 3, failed: 0 });
  });

  it('names the host and when its URLs are due back while they wait', () => {
    const waiting = job({ delayed: 2, delayedUntil: 5_000, delayedHost: 'example.com' });
    expect(progressOf(waiting, 1_000)).toMatchObject({ delayed: 2, waiting: { host: 'example.com', untilMs: 5_000 } });
    // Past the instant the job waits on nothing.
    expect(progressOf(waiting, 5_000).waiting).toBeUndefined();
    // Children sent paced to their turns were never sent back (no `delayed`), but wait all the same.
    expect(progressOf({ ...waiting, delayed: 0 }, 1_000)).toMatchObject({ waiting: { host: 'example.com', untilMs: 5_000 } });
    expect(progressOf(job({}), 1_000).waiting).toBeUndefined();
  });
});

describe('the host the job waits on, summed over its shards', () => {
  it('is the host of the latest wait', () => {
    const summed = withShardCounters(job({ delayedUntil: 1, delayedHost: 'a' }), [
      { delayedUntil: 9, delayedHost: 'b' },
      { delayedUntil: 4, delayedHost: 'c' },
      {},
    ]);
    expect(summed).toMatchObject({ delayedUntil: 9, delayedHost: 'b' });
  });
});

describe('heartbeatIntervalSecondsOf', () => {
  it('keeps the interval where two of them stay under a minute', () => {
    expect(heartbeatIntervalSecondsOf({})).toBe(25);
    expect(heartbeatIntervalSecondsOf({ heartbeatIntervalSeconds: 2 })).toBe(2);
    expect(heartbeatIntervalSecondsOf({ heartbeatIntervalSeconds: 600 })).toBe(30);
  });
});
