// The typed client's pure parts (client/): the backoff between reconnects, the `completed` rebuilt
// for a job that ended while the client was away, and a job's events replayed to each reader.
import { describe, expect, it } from 'vitest';
import { CrawlJob } from '../../client/crawl-job.js';
import { backoffMs, completedFromStatus } from '../../client/resume.js';
import type { Manifest } from '../../functions/core/manifest.js';

describe('backoffMs', () => {
  it('doubles from the minimum up to the cap, with jitter between half and all of the step', () => {
    expect([0, 1, 2, 3, 10].map((n) => backoffMs(n, 500, 4000, () => 1))).toEqual([500, 1000, 2000, 4000, 4000]);
    expect(backoffMs(2, 500, 4000, () => 0)).toBe(1000);
  });
});

describe('completedFromStatus', () => {
  const manifest = {
    jobId: 'j1',
    status: 'partial',
    startedAt: '2026-12-07T10:00:00.000Z',
    finishedAt: '2026-12-07T10:00:04.250Z',
    pages: [{ url: 'http://a/' }, { url: 'http://a/b' }],
    errors: [{ url: 'http://a/c', error: 'timeout' }],
    capped: 3,
    usage: { estimatedCostUsd: 0.002 },
    endReason: 'time limit reached',
  } as unknown as Manifest;

  it('says what completed would have: counts and duration from the manifest, URLs from status', () => {
    const status = { type: 'status' as const, jobId: 'j1', status: 'partial' as const, done: 2, queued: 0, failed: 1, manifestUrl: 'http://m', resultsUrl: 'http://r' };
    expect(completedFromStatus(status, 'http://m', manifest)).toEqual({
      type: 'completed',
      jobId: 'j1',
      status: 'partial',
      pages: 2,
      failed: 1,
      durationMs: 4250,
      cached: false,
      manifestUrl: 'http://m',
      resultsUrl: 'http://r',
      capped: 3,
      estimatedCostUsd: 0.002,
      endReason: 'time limit reached',
    });
  });
});

describe('CrawlJob', () => {
  const noFetch = async () => ({ pages: [] });
  const progress = (done: number) => ({ type: 'progress' as const, jobId: 'j', done, queued: 1, failed: 0 });
  const completed = { type: 'completed' as const, jobId: 'j', status: 'succeeded' as const, pages: 1, failed: 0, durationMs: 1, cached: false, manifestUrl: 'http://m' };

  it('replays every event to each reader, ends at completed, and drops a second completed', async () => {
    const job = new CrawlJob('j', false, noFetch);
    job.push(progress(1));
    const early = (async () => {
      const seen: string[] = [];
      for await (const event of job.events()) seen.push(event.type);
      return seen;
    })();
    job.push(progress(2));
    job.push(completed);
    job.push({ ...completed, pages: 99 });
    expect(await early).toEqual(['progress', 'progress', 'completed']);
    const late: number[] = [];
    for await (const event of job.events()) late.push(event.type === 'completed' ? event.pages : event.type === 'progress' ? event.done : -1);
    expect(late).toEqual([1, 2, 1]);
    expect((await job.done()).completed.pages).toBe(1);
  });

  it('fails its readers and done() when the client gives up on it', async () => {
    const job = new CrawlJob('j', false, noFetch);
    job.push(progress(1));
    job.fail(new Error('connection lost'));
    await expect(job.done()).rejects.toThrow('connection lost');
    const reader = job.events();
    expect((await reader.next()).value).toMatchObject({ type: 'progress' });
    await expect(reader.next()).rejects.toThrow('connection lost');
  });
});
