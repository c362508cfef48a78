// Usage figures and estimates cost the crawler's billed time at its memory: the setting reaches
// every function (the crawl route estimates with it; Lambda gives each function its own memory).
import { describe, expect, it } from 'vitest';
import { synth } from './synth.js';

describe('crawler memory for usage costs', () => {
  it('CRAWLER_MEMORY_MB is the crawler function\'s memory, in the crawler and the crawl route', () => {
    for (const [context, memory] of [[{}, 2048], [{ crawlerMemoryMb: '3008' }, 3008]] as const) {
      const s = synth(context);
      const crawler = s.resource(s.id('CrawlerFunction')).Properties;
      expect(crawler.MemorySize).toBe(memory);
      expect(crawler.Environment.Variables.CRAWLER_MEMORY_MB).toBe(String(memory));
      expect(s.resource(s.id('CrawlFunction')).Properties.Environment.Variables.CRAWLER_MEMORY_MB).toBe(String(memory));
    }
  });
});
