// The arithmetic of usage and cost (core/usage.ts, core/prices.ts), the estimate and the default
// time limit (core/estimate.ts), how an invocation's time is shared among its jobs
// (adapters/usage/usage-meter.ts), and how the new crawl options are validated.
import { describe, expect, it } from 'vitest';
import { InvocationTally, countUsage, takeUsage, withUsageScope } from '../../functions/adapters/usage/usage-meter.js';
import { withShardCounters } from '../../functions/core/counter-shards.js';
import { defaultTimeLimitSeconds, estimateCrawl, expectedUsage, PER_PAGE_USAGE, timeLimitWarning } from '../../functions/core/estimate.js';
import { DEFAULT_LIMITS, type Limits } from '../../functions/core/limits.js';
import { parseCrawlRequest } from '../../functions/core/messages.js';
import { costOfUsage, PRICES, PRICES_US_EAST_1_2026_12, SQS_REQUESTS_PER_MESSAGE } from '../../functions/core/prices.js';
import { costOfPublishedUsage, usageAttribute, usageOf } from '../../functions/core/usage.js';

const limits: Limits = { ...DEFAULT_LIMITS, hostRateCeiling: 2, crawlerMemoryMb: 2048 };

describe('the price table', () => {
  it('is named, dated and for us-east-1', () => {
    expect(PRICES).toBe(PRICES_US_EAST_1_2026_12);
    expect(PRICES.region).toBe('us-east-1');
    expect(PRICES.asOf).toMatch(/^\d{4}-\d{2}-\d{2}$/);
  });

  it('costs each count at its price', () => {
    // One of each, by hand: a GB-second, an invocation, a message (3 SQS requests), a unit, a request.
    expect(costOfUsage({ mbMs: 1024 * 1000 })).toBeCloseTo(0.0000166667, 12);
    expect(costOfUsage({ invocations: 1_000_000 })).toBeCloseTo(0.2, 9);
    expect(costOfUsage({ messagesReceived: 1_000_000 })).toBeCloseTo(1.2, 9);
    expect(costOfUsage({ dynamoWriteUnits: 1_000_000 })).toBeCloseTo(0.625, 9);
    expect(costOfUsage({ dynamoReadUnits: 1_000_000 })).toBeCloseTo(0.125, 9);
    expect(costOfUsage({ s3Puts: 1000 })).toBeCloseTo(0.005, 12);
    expect(costOfUsage({ s3Gets: 1000 })).toBeCloseTo(0.0004, 12);
    expect(costOfUsage({ tabsOpened: 5, navigations: 5, deferrals: 3, billedMs: 99 } as never)).toBe(0);
    expect(SQS_REQUESTS_PER_MESSAGE).toBe(3);
  });
});

describe('a job\'s usage', () => {
  it('sums the job item and its shards, and the manifest\'s figures reproduce its cost', () => {
    const at = (name: Parameters<typeof usageAttribute>[0]) => usageAttribute(name);
    const job = { jobId: 'j', admitted: 3, settled: 0, done: 0, failed: 0, [at('invocations')]: 1, [at('billedMs')]: 100, [at('mbMs')]: 100 * 256 };
    const shards = [
      { settled: 2, done: 2, [at('navigations')]: 2, [at('billedMs')]: 1000, [at('mbMs')]: 1000 * 2048, [at('dynamoWriteUnits')]: 8, [at('s3Puts')]: 2 },
      { settled: 1, done: 1, [at('navigations')]: 1, [at('billedMs')]: 500, [at('mbMs')]: 500 * 2048, [at('dynamoReadUnits')]: 1.5, [at('messagesReceived')]: 3 },
    ];
    const usage = usageOf(withShardCounters(job, shards));
    expect(usage).toMatchObject({ invocations: 1, navigations: 3, billedMs: 1600, dynamoWriteUnits: 8, dynamoReadUnits: 1.5, s3Puts: 2, messagesReceived: 3, tabsOpened: 0 });
    // 0.1 s at 256 MB and 1.5 s at 2 GB
    expect(usage.gbSeconds).toBeCloseTo(0.025 + 3, 6);
    const byHand = 1 * 0.2e-6 + 3.025 * 0.0000166667 + 3 * 3 * 0.4e-6 + 8 * 0.625e-6 + 1.5 * 0.125e-6 + 2 * 0.005e-3;
    expect(usage.estimatedCostUsd).toBeCloseTo(byHand, 8);
    expect(costOfPublishedUsage(usage)).toBe(usage.estimatedCostUsd);
  });

  it('is all zeros for a job that counted nothing (jobs made before usage was counted)', () => {
    expect(usageOf({ jobId: 'old' })).toEqual({
      invocations: 0, messagesReceived: 0, deferrals: 0, tabsOpened: 0, navigations: 0, billedMs: 0,
      dynamoWriteUnits: 0, dynamoReadUnits: 0, s3Puts: 0, s3Gets: 0, gbSeconds: 0, estimatedCostUsd: 0,
    });
  });
});

describe('an invocation\'s tally', () => {
  it('shares its billed time among its jobs by records, once, whatever was written before', () => {
    const tally = new InvocationTally(1_000, 2048);
    tally.received('a');
    tally.received('a');
    tally.received('a');
    tally.received('b');
    // a settles 400 ms in: its provisional share is 3/4 of the time so far
    const early = tally.take('a', 1_400);
    expect(early).toMatchObject({ invocations: 1, messagesReceived: 3, billedMs: 300, mbMs: 300 * 2048 });
    // the invocation lasts 1,000.2 ms, billed 1,001: a is owed the rest of ceil(3/4 × 1,001) = 751
    const rest = tally.drain(2_000.2);
    expect(rest.get('a')).toEqual({ billedMs: 451, mbMs: 451 * 2048 });
    expect(rest.get('b')).toEqual({ invocations: 1, messagesReceived: 1, billedMs: 251, mbMs: 251 * 2048 });
  });

  it('gives back what a failed write did not store', () => {
    const tally = new InvocationTally(0, 1024);
    tally.received('a');
    const taken = tally.take('a', 100)!;
    tally.putBack('a', taken);
    expect(tally.drain(100).get('a')).toEqual({ invocations: 1, messagesReceived: 1, billedMs: 100, mbMs: 100 * 1024 });
  });

  it('counts within a record\'s scope only, to its own job', async () => {
    const tally = new InvocationTally(Date.now(), 2048);
    tally.received('a');
    countUsage({ navigations: 1 }); // outside any scope: nowhere
    await withUsageScope('a', tally, async () => {
      countUsage({ navigations: 1, tabsOpened: 1 });
      expect(takeUsage('b')).toBeUndefined();
      const taken = takeUsage('a');
      expect(taken?.counts).toMatchObject({ navigations: 1, tabsOpened: 1, messagesReceived: 1 });
    });
    expect(takeUsage('a')).toBeUndefined();
  });
});

describe('the estimate and the default time limit', () => {
  const seeds = ['https://example.com/'];

  it('costs maxPages pages by the per-page model and paces them at the host rate', () => {
    const estimate = estimateCrawl({ seeds, maxPages: 1000, extraProducts: 0, keepsContent: false }, limits);
    expect(estimate.pages).toBe(1000);
    // 1,000 pages at 2 a second, one host, plus the fixed 30 s
    expect(estimate.durationS).toBe(530);
    const usage = expectedUsage(1000, { extraProducts: 0, keepsContent: false }, 2048);
    expect(usage.billedMs).toBe(PER_PAGE_USAGE.billedMs * 1000 + 2000);
    expect(estimate.costUsd).toBeCloseTo(costOfUsage(usage), 8);
    // 1.5 s of 2 GB a page is ~$0.05 per 1,000 pages of compute; the rest is requests
    expect(estimate.costUsd).toBeGreaterThan(0.05);
    expect(estimate.costUsd).toBeLessThan(0.1);
    // two hosts halve the paced time; a slower job rate doubles it
    expect(estimateCrawl({ seeds: [...seeds, 'https://other.example/'], maxPages: 1000, extraProducts: 0, keepsContent: false }, limits).durationS).toBe(280);
    expect(estimateCrawl({ seeds, maxPages: 1000, hostRate: 1, extraProducts: 0, keepsContent: false }, limits).durationS).toBe(1030);
    // each format more is one more object a page
    expect(estimateCrawl({ seeds, maxPages: 1000, extraProducts: 2, keepsContent: true }, limits).costUsd).toBeGreaterThan(estimate.costUsd);
  });

  it('gives a job the time its host pace needs for maxPages, between the default and the maximum', () => {
    expect(defaultTimeLimitSeconds(200, seeds, undefined, limits)).toBe(limits.jobTimeLimitSeconds);
    // 5,000 pages at 2/s: 2,500 s, twice with the fixed part: 5,060 s
    expect(defaultTimeLimitSeconds(5000, seeds, undefined, limits)).toBe(5060);
    expect(defaultTimeLimitSeconds(10_000, seeds, 0.5, limits)).toBe(limits.maxJobTimeLimitSeconds);
    expect(parseCrawlRequest(JSON.stringify({ action: 'crawl', url: seeds[0], maxPages: 5000 }), limits).timeLimitSeconds).toBe(5060);
    expect(parseCrawlRequest(JSON.stringify({ action: 'crawl', url: seeds[0], maxPages: 5000, timeLimit: 60 }), limits)).toMatchObject({ timeLimitSeconds: 60, timeLimitAsked: true });
  });

  it('warns of a time limit the host pace cannot meet', () => {
    expect(timeLimitWarning(5000, seeds, undefined, 600, limits)).toMatch(/timeLimit: 5000 pages at 2 navigations per second per host need about 2500 s/);
    expect(timeLimitWarning(100, seeds, undefined, 600, limits)).toBeUndefined();
  });
});

describe('estimate and budgetUsd in a crawl request', () => {
  const crawl = (options: Record<string, unknown>) => JSON.stringify({ action: 'crawl', url: 'https://example.com/', ...options });

  it('keeps them', () => {
    expect(parseCrawlRequest(crawl({ estimate: true, budgetUsd: 0.5 }), limits)).toMatchObject({ estimate: true, budgetUsd: 0.5 });
    expect(parseCrawlRequest(crawl({ estimate: false }), limits)).not.toHaveProperty('estimate');
  });

  it.each([
    [{ estimate: 'yes' }, /estimate/],
    [{ budgetUsd: 0 }, /budgetUsd/],
    [{ budgetUsd: -1 }, /budgetUsd/],
    [{ budgetUsd: '1' }, /budgetUsd/],
    [{ budgetUsd: 1e9 }, /budgetUsd/],
  ])('refuses %j as invalid_request naming the field', (options, pattern) => {
    expect(() => parseCrawlRequest(crawl(options), limits)).toThrow(pattern);
  });
});
