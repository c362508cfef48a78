import { describe, expect, it } from 'vitest';
import { cacheKeyOf } from '../../functions/core/keys.js';
import { robotsOutcomeFor, robotsUrlOf } from '../../functions/core/robots.js';

describe('robots.txt outcomes (RFC 9309 §2.3.1)', () => {
  it.each([
    [200, 'rules'],
    [204, 'rules'],
    [301, 'allow-all'],
    [401, 'allow-all'],
    [404, 'allow-all'],
    [429, 'allow-all'],
    [500, 'disallow-all'],
    [503, 'disallow-all'],
    [null, 'allow-all'],
  ] as const)('%s → %s', (status, kind) => {
    expect(robotsOutcomeFor(status, 'timeout').kind).toBe(kind);
  });

  it('lives at the root of the page origin', () => {
    expect(robotsUrlOf('https://Example.com:8443/a/b.html?q#f')).toBe('https://example.com:8443/robots.txt');
  });
});

describe('result-cache keys', () => {
  const base = { url: 'https://x.org/', depth: 1, maxPages: 10, scope: 'host', include: [], exclude: [] };

  it('keep the key of a request that leaves the newer options at their defaults', () => {
    expect(cacheKeyOf({ ...base, block: [], obeyRobots: true })).toBe(cacheKeyOf(base));
  });

  it('tell apart requests whose options change the result', () => {
    const keys = new Set([
      cacheKeyOf(base),
      cacheKeyOf({ ...base, block: ['image'] }),
      cacheKeyOf({ ...base, obeyRobots: false }),
      cacheKeyOf({ ...base, block: ['image'], obeyRobots: false }),
      cacheKeyOf({ ...base, depth: 2 }),
    ]);
    expect(keys.size).toBe(5);
  });
});
