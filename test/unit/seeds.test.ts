// Crawls of several seeds (`urls`): what is accepted, what is refused (a bad seed named by its
// index), and the scope of several seeds.
import { describe, expect, it } from 'vitest';
import { cacheKeyOf } from '../../functions/core/keys.js';
import { DEFAULT_LIMITS } from '../../functions/core/limits.js';
import { parseCrawlRequest } from '../../functions/core/messages.js';
import { makeSeedsScope } from '../../functions/core/scope.js';

const parse = (message: Record<string, unknown>) => parseCrawlRequest(JSON.stringify({ action: 'crawl', ...message }), DEFAULT_LIMITS);
const refusal = (message: Record<string, unknown>) => {
  try {
    parse(message);
  } catch (error) {
    return error as { code: string; message: string };
  }
  throw new Error('accepted');
};

describe('urls', () => {
  it('takes 1–100 seeds, normalised, repeats dropped; url is the first', () => {
    const request = parse({ urls: ['HTTP://a.test/x#frag', 'http://b.test/', 'http://a.test/x'] });
    expect(request.seeds).toEqual(['http://a.test/x', 'http://b.test/']);
    expect(request.url).toBe('http://a.test/x');
    expect(parse({ url: 'http://a.test/' }).seeds).toBeUndefined();
    expect(parse({ urls: Array.from({ length: 100 }, (_, i) => `http://a.test/${i}`) }).seeds).toHaveLength(100);
  });

  it.each([
    [{ urls: [] }, 'invalid_request', /urls/],
    [{ urls: Array.from({ length: 101 }, (_, i) => `http://a.test/${i}`) }, 'invalid_request', /urls/],
    [{ url: 'http://a.test/', urls: ['http://b.test/'] }, 'invalid_request', /either url or urls/],
    [{}, 'invalid_request', /url is required/],
    [{ urls: ['http://a.test/', 'ftp://b.test/'] }, 'invalid_request', /urls\[1\]: unsupported scheme/],
    [{ urls: ['http://a.test/', 7] }, 'invalid_request', /urls\.1/],
    [{ urls: 'http://a.test/' }, 'invalid_request', /urls/],
  ])('refuses %o', (message, code, text) => {
    const error = refusal(message);
    expect(error.code).toBe(code);
    expect(error.message).toMatch(text);
  });

  it('a crawl of one seed keeps the cache key of url; several seeds make another', () => {
    const one = parse({ url: 'http://a.test/' });
    expect(cacheKeyOf(parse({ urls: ['http://a.test/'] }))).toBe(cacheKeyOf(one));
    expect(cacheKeyOf(parse({ urls: ['http://a.test/', 'http://b.test/'] }))).not.toBe(cacheKeyOf(one));
  });

  it('a link is in scope when it is in the scope of any seed', () => {
    const inScope = makeSeedsScope({ seeds: ['http://a.test/', 'http://b.test:81/docs/'], scope: 'prefix', include: [], exclude: ['*private*'] });
    expect(inScope('http://a.test/anything')).toBe(true);
    expect(inScope('http://b.test:81/docs/x')).toBe(true);
    expect(inScope('http://b.test:81/blog/x')).toBe(false);
    expect(inScope('http://c.test/')).toBe(false);
    expect(inScope('http://a.test/private/x')).toBe(false);
  });

  it('sitemap: true is kept (and changes the cache key); anything but a boolean is refused', () => {
    expect(parse({ url: 'http://a.test/', sitemap: true }).sitemap).toBe(true);
    expect(parse({ url: 'http://a.test/', sitemap: false }).sitemap).toBeUndefined();
    expect(cacheKeyOf(parse({ url: 'http://a.test/', sitemap: true }))).not.toBe(cacheKeyOf(parse({ url: 'http://a.test/' })));
    expect(refusal({ url: 'http://a.test/', sitemap: 'yes' })).toMatchObject({ code: 'invalid_request', message: expect.stringMatching(/sitemap/) });
  });
});
