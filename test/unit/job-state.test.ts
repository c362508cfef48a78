import { describe, expect, it } from 'vitest';
import { finalStatusOf, outstanding, type FrontierRecord, type JobRecord } from '../../functions/core/job.js';
import { buildManifest } from '../../functions/core/manifest.js';
import { faultInjector, parseFaults } from '../../functions/adapters/faults.js';
import { isStackFault } from '../../functions/core/errors.js';
import { sweepVerdict } from '../../functions/app/sweep-jobs.js';

describe('final status', () => {
  it.each([
    [{ admitted: 3, settled: 3, done: 3, failed: 0 }, 'succeeded'],
    [{ admitted: 3, settled: 3, done: 2, failed: 1 }, 'partial'],
    [{ admitted: 1, settled: 1, done: 0, failed: 1 }, 'failed'],
    // URLs robots.txt disallows are skipped, not failures: only real failures make a job partial
    [{ admitted: 3, settled: 3, done: 2, failed: 1, robotsRefused: 1 }, 'succeeded'],
    [{ admitted: 4, settled: 4, done: 2, failed: 2, robotsRefused: 1 }, 'partial'],
    [{ admitted: 1, settled: 1, done: 0, failed: 1, robotsRefused: 1 }, 'failed'],
  ] as const)('%o → %s', (counters, status) => {
    expect(finalStatusOf(counters)).toBe(status);
    expect(outstanding(counters)).toBe(0);
  });
});

describe('manifest', () => {
  const job = { jobId: 'j', url: 'http://s/', depth: 1, startedAt: 0, capped: 0 } as JobRecord;
  const base = { jobId: 'j', attempts: 1, expiresAt: 0, discoveredBy: null } as const;
  const summary = (url: string, depth: number) => ({ url, finalUrl: url, depth, parent: null, status: 200, title: '', sha256: 'h', links: 0, key: 'k' });
  const records: FrontierRecord[] = [
    { ...base, urlKey: 'b', url: 'http://s/b', depth: 1, parent: 'http://s/', state: 'done', summary: summary('http://s/b', 1) },
    { ...base, urlKey: 'a', url: 'http://s/', depth: 0, parent: null, state: 'done', summary: summary('http://s/', 0) },
    { ...base, urlKey: 'c', url: 'http://s/c', depth: 1, parent: 'http://s/', state: 'failed', failure: { url: 'http://s/c', error: 'boom' } },
    { ...base, urlKey: 'd', url: 'http://s/d', depth: 1, parent: 'http://s/', state: 'alias', aliasOf: 'http://s/b' },
  ];
  it('lists pages by depth, errors, and levels; skips aliases', () => {
    const manifest = buildManifest(job, records, 'partial', 1000);
    expect(manifest.pages.map((p) => p.url)).toEqual(['http://s/', 'http://s/b']);
    expect(manifest.errors).toEqual([{ url: 'http://s/c', error: 'boom' }]);
    expect(manifest.levels).toEqual([['http://s/'], ['http://s/b', 'http://s/c']]);
    expect(manifest.finishedAt).toBe('1970-01-01T00:00:01.000Z');
  });
});

describe('fault specs', () => {
  it('parses points, URL filters and attempts', () => {
    expect(parseFaults('after-claim@/a.html, before-settle#2')).toEqual([
      { mode: 'die', point: 'after-claim', urlContains: '/a.html', attempt: null },
      { mode: 'die', point: 'before-settle', urlContains: '', attempt: 2 },
    ]);
  });
  it('a throttle: rule throws what throttled DynamoDB throws, a fault of the stack, once', () => {
    expect(parseFaults('throttle:after-store@/p1')).toEqual([{ mode: 'throttle', point: 'after-store', urlContains: '/p1', attempt: null }]);
    const injector = faultInjector('throttle:after-store@/p1', { debug() {}, info() {}, warn() {}, error() {} }, undefined, () => {
      throw new Error('must not die');
    });
    let thrown: unknown;
    try {
      injector.hit('after-store', { url: 'http://x/p1', attempt: 1 });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toMatchObject({ name: 'ProvisionedThroughputExceededException' });
    expect(isStackFault(thrown)).toBe(true);
    expect(() => injector.hit('after-store', { url: 'http://x/p1', attempt: 1 })).not.toThrow();
  });
  it('refuses unknown points', () => {
    expect(() => parseFaults('during-lunch')).toThrow(/bad CRAWLER_FAULTS entry/);
  });
});

describe('sweeper verdict', () => {
  const job = { startedAt: 1_000, deadlineAt: 10_000 } as JobRecord;
  it.each([
    [{}, 3_500, null],
    [{}, 10_000, 'time limit reached'],
    [{}, 1_000 + 3_000, 'stalled: no page settled recently'],
    [{ lastActivityAt: 3_500 }, 4_000, null],
    [{ lastActivityAt: 3_500 }, 6_500, 'stalled: no page settled recently'],
  ] as const)('%o at %i → %s', (extra, now, verdict) => {
    expect(sweepVerdict({ ...job, ...extra }, now, 3_000)).toBe(verdict);
  });
});

describe('fault injector', () => {
  const quiet = { debug() {}, info() {}, warn() {}, error() {} };
  it('fires each rule once, at the first attempt that reaches it in any environment', async () => {
    const { mkdtempSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { faultInjector } = await import('../../functions/adapters/faults.js');
    const dir = mkdtempSync(join(tmpdir(), 'faults-'));
    const deaths: string[] = [];
    // Two environments sharing the state directory, as the local stack's crawlers do.
    const first = faultInjector('before-settle@/b.html', quiet, dir, () => deaths.push('first'));
    const second = faultInjector('before-settle@/b.html', quiet, dir, () => deaths.push('second'));
    first.hit('after-claim', { url: 'http://s/b.html', attempt: 1 });
    first.hit('before-settle', { url: 'http://s/a.html', attempt: 1 });
    expect(deaths).toEqual([]);
    // Attempt 1 died elsewhere (another rule, a timeout): attempt 2 is the first to reach the point.
    second.hit('before-settle', { url: 'http://s/b.html', attempt: 2 });
    expect(deaths).toEqual(['second']);
    first.hit('before-settle', { url: 'http://s/b.html', attempt: 3 });
    second.hit('before-settle', { url: 'http://s/b.html', attempt: 3 });
    expect(deaths).toEqual(['second']);
  });
  it('fires a rule with #N on that attempt only', async () => {
    const { faultInjector } = await import('../../functions/adapters/faults.js');
    const deaths: number[] = [];
    const injector = faultInjector('after-claim@/a.html#2', quiet, undefined, () => deaths.push(1));
    injector.hit('after-claim', { url: 'http://s/a.html', attempt: 1 });
    injector.hit('after-claim', { url: 'http://s/a.html', attempt: 2 });
    injector.hit('after-claim', { url: 'http://s/a.html', attempt: 2 });
    expect(deaths).toEqual([1]);
  });
});
