import { describe, expect, it } from 'vitest';
import { cacheKeyOf } from '../../functions/core/keys.js';
import { normaliseRobotsRules, robotsCacheMsFor, robotsOutcomeFor, robotsUrlOf } from '../../functions/core/robots.js';

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

  it('is fetched without the userinfo of the page URL', () => {
    expect(robotsUrlOf('http://user:pass@example.com/a')).toBe('http://example.com/robots.txt');
  });

  it.each([
    [200, 3_600_000],
    [404, 3_600_000],
    [429, 3_600_000],
    [500, 60_000],
    [503, 60_000],
    [null, 60_000],
  ] as const)('a fetch that answered %s is kept %i ms', (status, ms) => {
    expect(robotsCacheMsFor(status, { cacheMs: 3_600_000, transientCacheMs: 60_000 })).toBe(ms);
  });
});

describe('robots.txt rules before matching (RFC 9309 §2.2.2)', () => {
  it('decodes escapes of unreserved characters in Allow and Disallow paths, keeping line numbers', () => {
    const file = 'User-agent: *\r\nDisallow: /%7euser/\rAllow: /%7Euser/%2fopen%41\n\n# %7E in a comment\nSitemap: https://x.org/%7e.xml\n';
    expect(normaliseRobotsRules(file).split('\n')).toEqual([
      'User-agent: *',
      'Disallow: /~user/',
      'Allow: /~user/%2FopenA',
      '',
      '# %7E in a comment',
      'Sitemap: https://x.org/%7e.xml',
      '',
    ]);
  });

  it('leaves escapes that carry meaning in a pattern (* and $) encoded', () => {
    expect(normaliseRobotsRules('disallow:/a%2a%24')).toBe('disallow:/a%2A%24');
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
