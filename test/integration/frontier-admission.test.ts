// The frontier store against DynamoDB Local: the conditional writes and transactions that make
// leases, dedupe at admission and the count of links refused at the cap work. The job store's are
// in dynamodb-stores.test.ts.
import { describe, expect, it } from 'vitest';
import { admit, child, frontier, jobFor, jobId, jobs, now, seed, setNow, useDynamoStores } from './fixtures-dynamodb-stores/stores.js';

useDynamoStores();

describe('claims are leases', () => {
  it('lets one worker hold a URL until the lease expires, then another takes over', async () => {
    expect((await frontier.claim(jobId, 'seed', 'w1', 100)).kind).toBe('claimed');
    expect((await frontier.claim(jobId, 'seed', 'w2', 100)).kind).toBe('busy');
    setNow(now + 101);
    const takeover = await frontier.claim(jobId, 'seed', 'w2', 100);
    expect(takeover).toMatchObject({ kind: 'claimed', record: { leaseOwner: 'w2', attempts: 2 } });
    // The worker that lost its lease cannot settle; the new holder settles once.
    expect(await frontier.settle(jobId, 'seed', 'w1', { kind: 'failed', failure: { url: 'x', error: 'e' } })).toBe(false);
    expect(await frontier.settle(jobId, 'seed', 'w2', { kind: 'failed', failure: { url: 'x', error: 'e' } })).toBe(true);
    expect(await frontier.settle(jobId, 'seed', 'w2', { kind: 'failed', failure: { url: 'x', error: 'e' } })).toBe(false);
    expect((await frontier.claim(jobId, 'seed', 'w3', 100)).kind).toBe('settled');
    expect((await frontier.claim(jobId, 'never-admitted', 'w3', 100)).kind).toBe('missing');
    expect(await jobs.getJob(jobId)).toMatchObject({ admitted: 1, settled: 1, failed: 1, done: 0 });
  });

  it('gives a released URL to the next claimant at once', async () => {
    await frontier.claim(jobId, 'seed', 'w1', 60_000);
    await frontier.release(jobId, 'seed', 'w1');
    expect((await frontier.claim(jobId, 'seed', 'w2', 60_000)).kind).toBe('claimed');
  });
});

describe('admission is the dedupe', () => {
  it('has exactly one winner among 30 concurrent discoverers, and counts it once', async () => {
    const outcomes = await Promise.all(Array.from({ length: 30 }, (_, i) => admit(child('x', `parent-${i}`), 100)));
    expect(outcomes.filter((o) => o === 'admitted')).toHaveLength(1);
    expect(outcomes.filter((o) => o === 'exists-other')).toHaveLength(29);
    expect(await jobs.getJob(jobId)).toMatchObject({ admitted: 2 });
  });

  it('tells a retried parent which still-queued children are its own', async () => {
    expect(await admit(child('x', 'p'), 100)).toBe('admitted');
    expect(await admit(child('x', 'p'), 100)).toBe('exists-mine');
    expect(await admit(child('x', 'q'), 100)).toBe('exists-other');
    await frontier.claim(jobId, 'x', 'w', 100);
    expect(await admit(child('x', 'p'), 100)).toBe('exists-other');
    expect(await jobs.getJob(jobId)).toMatchObject({ admitted: 2 });
  });

  it('stops at maxPages and after the job closes', async () => {
    const outcomes = [];
    for (const key of ['a', 'b', 'c', 'd', 'e']) outcomes.push(await admit(child(key, 'p'), 4));
    expect(outcomes).toEqual(['admitted', 'admitted', 'admitted', 'cap-reached', 'cap-reached']);
    expect(await jobs.beginFinish(jobId, 'cancelled', 5, { reason: 'job cancelled' })).toBe(true);
    expect(await admit(child('f', 'p'), 100)).toBe('job-closed');
  });
});

describe('admitting the children of a page together', () => {
  const children = (keys: string[], parent: string) => keys.map((key) => child(key, parent));

  it('admits new children in one go and answers for each', async () => {
    expect(await admit(child('b', 'other'), 100)).toBe('admitted');
    expect(await admit(child('c', 'p'), 100)).toBe('admitted');
    expect(await frontier.admitAll(children(['a', 'b', 'c', 'd'], 'p'), 100)).toEqual(['admitted', 'exists-other', 'exists-mine', 'admitted']);
    expect(await jobs.getJob(jobId)).toMatchObject({ admitted: 5 });
    expect((await frontier.list(jobId)).map((r) => r.urlKey).sort()).toEqual(['a', 'b', 'c', 'd', 'seed']);
  });

  it('goes past 99 children in several transactions', async () => {
    const keys = Array.from({ length: 250 }, (_, i) => `k${i}`);
    const outcomes = await frontier.admitAll(children(keys, 'p'), 1000);
    expect(outcomes.filter((o) => o === 'admitted')).toHaveLength(250);
    expect(await jobs.getJob(jobId)).toMatchObject({ admitted: 251 });
  });

  it('admits the first children up to maxPages and cuts the rest, as one by one would', async () => {
    expect(await admit(child('x', 'other'), 100)).toBe('admitted');
    const outcomes = await frontier.admitAll(children(['a', 'x', 'b', 'c', 'd'], 'p'), 4);
    expect(outcomes).toEqual(['admitted', 'exists-other', 'admitted', 'cap-reached', 'cap-reached']);
    expect(await jobs.getJob(jobId)).toMatchObject({ admitted: 4 });
    expect(await frontier.admitAll(children(['e'], 'p'), 4)).toEqual(['cap-reached']);
  });

  it('admits nothing once the job has closed', async () => {
    expect(await jobs.beginFinish(jobId, 'cancelled', 5, { reason: 'job cancelled' })).toBe(true);
    expect(await frontier.admitAll(children(['a', 'b'], 'p'), 100)).toEqual(['job-closed', 'job-closed']);
    expect(await jobs.getJob(jobId)).toMatchObject({ admitted: 1 });
  });

  it('counts each URL once when overlapping pages admit at the same time', async () => {
    const keys = Array.from({ length: 40 }, (_, i) => `u${i}`);
    // 8 parents, each with an overlapping window of 20 of the 40 URLs, all at once
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, p) => frontier.admitAll(children(keys.slice(p * 3, p * 3 + 20), `parent-${p}`), 1000)),
    );
    const admitted = results.flat().filter((o) => o === 'admitted').length;
    const distinct = new Set(Array.from({ length: 8 }, (_, p) => keys.slice(p * 3, p * 3 + 20)).flat()).size;
    expect(admitted).toBe(distinct);
    expect(await jobs.getJob(jobId)).toMatchObject({ admitted: distinct + 1 });
    expect(await frontier.list(jobId)).toHaveLength(distinct + 1);
  });
});

describe('links refused at the cap are counted once each', () => {
  const children = (keys: string[], parent: string) => keys.map((key) => child(key, parent));
  const cappedOf = async () => (await jobs.getJob(jobId))?.capped ?? 0;

  it('counts a URL once whoever finds it, and never a URL that is a page', async () => {
    // maxPages 3: the seed and two children fit.
    const outcomes = await frontier.admitAll(children(['a', 'b', 'c', 'd'], 'p1'), 3);
    expect(outcomes).toEqual(['admitted', 'admitted', 'cap-reached', 'cap-reached']);
    expect(await frontier.markCapped(children(['c', 'd'], 'p1'))).toBe(2);
    // Another parent links to c and e, and to a (a page): only e is new.
    expect(await frontier.markCapped(children(['c', 'e', 'a'], 'p2'))).toBe(1);
    // A retried parent (duplicate delivery) counts nothing again.
    expect(await frontier.markCapped(children(['c', 'd'], 'p1'))).toBe(0);
    expect(await cappedOf()).toBe(3);
    // A capped URL is never admitted later: its marker holds the key.
    expect(await frontier.admitAll(children(['c'], 'p3'), 100)).toEqual(['exists-other']);
    const states = (await frontier.list(jobId)).map((r) => `${r.urlKey}:${r.state}`).sort();
    expect(states).toEqual(['a:queued', 'b:queued', 'c:capped', 'd:capped', 'e:capped', 'seed:queued']);
  });

  it('counts each URL exactly once when many parents cap overlapping links at the same time', async () => {
    const keys = Array.from({ length: 150 }, (_, i) => `z${i}`);
    // 10 parents with overlapping windows of 60 URLs each (two transactions each), all at once.
    const windows = Array.from({ length: 10 }, (_, p) => keys.slice(p * 9, p * 9 + 60));
    const counted = await Promise.all(windows.map((w, p) => frontier.markCapped(children(w, `parent-${p}`))));
    const distinct = new Set(windows.flat()).size;
    expect(counted.reduce((a, b) => a + b, 0)).toBe(distinct);
    expect(await cappedOf()).toBe(distinct);
  });

  it('counts nothing once the job no longer runs', async () => {
    expect(await jobs.beginFinish(jobId, 'cancelled', 5, { reason: 'job cancelled' })).toBe(true);
    expect(await frontier.markCapped(children(['a'], 'p'))).toBe(0);
    expect(await cappedOf()).toBe(0);
  });

  it('writes no result-cache entry for a capped success', async () => {
    const capped = { ...jobFor('final-capped', 'conn-capped'), cacheKey: 'key-capped', finishedAt: 50, capped: 2 };
    await jobs.createJob(capped, { ...seed(), jobId: 'final-capped' }, 5);
    await jobs.beginFinish('final-capped', 'succeeded', 50, { reason: 'test' });
    expect(await jobs.completeFinish(capped, 'succeeded', 'jobs/final-capped/manifest.json')).toBe(true);
    expect(await jobs.getCacheEntry('key-capped')).toBeNull();
  });
});
