// The politeness settings reach every function's environment, and bad values stop the synth.
import { describe, expect, it } from 'vitest';
import { synth } from './synth.js';

describe('politeness settings', () => {
  it('hostRateCeiling (decimals allowed) and userAgent reach the functions; the default ceiling is 2', () => {
    const defaults = synth({});
    expect(defaults.resource(defaults.id('CrawlerFunction')).Properties.Environment.Variables).toMatchObject({ HOST_RATE_CEILING: '2' });
    expect(defaults.resource(defaults.id('CrawlerFunction')).Properties.Environment.Variables.USER_AGENT).toBeUndefined();
    const s = synth({ hostRateCeiling: '0.5', userAgent: 'Mozilla/5.0 (compatible; fanout-crawler/0.1; +https://example.org/bot)' });
    const crawler = s.resource(s.id('CrawlerFunction')).Properties.Environment.Variables;
    expect(crawler).toMatchObject({ HOST_RATE_CEILING: '0.5', USER_AGENT: 'Mozilla/5.0 (compatible; fanout-crawler/0.1; +https://example.org/bot)' });
    // The crawl route checks a job's hostRate against the same ceiling.
    expect(s.resource(s.id('CrawlFunction')).Properties.Environment.Variables.HOST_RATE_CEILING).toBe('0.5');
  });

  it.each([
    [{ hostRateCeiling: 0 }, /hostRateCeiling must be a number above 0 and at most 100/],
    [{ hostRateCeiling: 'fast' }, /hostRateCeiling must be a number above 0/],
    [{ hostRateCeiling: 101 }, /hostRateCeiling must be a number above 0 and at most 100/],
    [{ userAgent: 'two\nlines' }, /userAgent must be one line/],
  ])('refuse %o', (context, message) => {
    expect(() => synth(context)).toThrow(message);
  });
});
