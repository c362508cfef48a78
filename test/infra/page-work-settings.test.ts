// Bounded work per page: maxLinksPerPage reaches every function as MAX_LINKS_PER_PAGE (the crawler
// admits under it, the crawl route builds upon earlier crawls with it), extractMaxHtmlKb the crawler
// as EXTRACT_MAX_HTML_BYTES; the functions read them; bad values stop the synth.
import { describe, expect, it } from 'vitest';
import { readConfig } from '../../functions/adapters/config.js';
import { DEFAULT_LIMITS, DEFAULT_MAX_LINKS_PER_PAGE } from '../../functions/core/limits.js';
import { synth } from './synth.js';

const env = { JOBS_TABLE: 'j', FRONTIER_TABLE: 'f', CONNECTIONS_TABLE: 'c', CRAWL_QUEUE_URL: 'q', RESULTS_BUCKET: 'b', CONNECTIONS_ENDPOINT: 'http://127.0.0.1:1' };

describe('page work settings', () => {
  it('reach the functions, and the defaults agree with the code', () => {
    const defaults = synth({});
    const crawler = defaults.resource(defaults.id('CrawlerFunction')).Properties.Environment.Variables;
    expect(crawler).toMatchObject({ MAX_LINKS_PER_PAGE: String(DEFAULT_MAX_LINKS_PER_PAGE), EXTRACT_MAX_HTML_BYTES: String(2048 * 1024) });
    expect(DEFAULT_LIMITS.maxLinksPerPage).toBe(DEFAULT_MAX_LINKS_PER_PAGE);
    const s = synth({ maxLinksPerPage: '500', extractMaxHtmlKb: 64 });
    expect(s.resource(s.id('CrawlerFunction')).Properties.Environment.Variables).toMatchObject({ MAX_LINKS_PER_PAGE: '500', EXTRACT_MAX_HTML_BYTES: String(64 * 1024) });
    expect(s.resource(s.id('CrawlFunction')).Properties.Environment.Variables).toMatchObject({ MAX_LINKS_PER_PAGE: '500' });
    expect(s.resource(s.id('CrawlFunction')).Properties.Environment.Variables.EXTRACT_MAX_HTML_BYTES).toBeUndefined();
  });

  it('are read by the functions', () => {
    expect(readConfig(env).limits.maxLinksPerPage).toBe(DEFAULT_MAX_LINKS_PER_PAGE);
    const config = readConfig({ ...env, MAX_LINKS_PER_PAGE: '500', EXTRACT_MAX_HTML_BYTES: '65536' });
    expect(config.limits.maxLinksPerPage).toBe(500);
    expect(config.extract?.maxHtmlBytes).toBe(65536);
    expect(() => readConfig({ ...env, MAX_LINKS_PER_PAGE: '20001' })).toThrow(/MAX_LINKS_PER_PAGE/);
  });

  it.each([
    [{ maxLinksPerPage: 0 }, /maxLinksPerPage must be between 1 and 20000/],
    [{ maxLinksPerPage: 100_000 }, /maxLinksPerPage must be between 1 and 20000/],
    [{ extractMaxHtmlKb: 'big' }, /extractMaxHtmlKb must be an integer/],
  ])('refuse %o', (context, message) => {
    expect(() => synth(context)).toThrow(message);
  });
});
