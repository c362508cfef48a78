// The User-Agent header the crawler sends: configured or the default, always with the robots.txt token.
import { describe, expect, it } from 'vitest';
import { readConfig, userAgentOf } from '../../functions/adapters/config.js';

const env = {
  JOBS_TABLE: 'j',
  FRONTIER_TABLE: 'f',
  CONNECTIONS_TABLE: 'c',
  CRAWL_QUEUE_URL: 'http://q',
  RESULTS_BUCKET: 'b',
  CONNECTIONS_ENDPOINT: 'http://127.0.0.1:1/',
};

describe('User-Agent', () => {
  it('defaults to a header naming the product by its robots.txt token', () => {
    expect(userAgentOf(undefined, 'fanout-crawler')).toBe('Mozilla/5.0 (compatible; fanout-crawler/0.1)');
    expect(readConfig(env).userAgent).toBe('Mozilla/5.0 (compatible; fanout-crawler/0.1)');
    expect(readConfig({ ...env, ROBOTS_USER_AGENT: 'acme-bot' }).userAgent).toBe('Mozilla/5.0 (compatible; acme-bot/0.1)');
  });
  it('takes a configured header as it is when it contains the token, else appends the token', () => {
    expect(readConfig({ ...env, USER_AGENT: 'Mozilla/5.0 (compatible; fanout-crawler/0.1; +https://example.org/bot)' }).userAgent).toBe(
      'Mozilla/5.0 (compatible; fanout-crawler/0.1; +https://example.org/bot)',
    );
    expect(userAgentOf('AcmeResearch/2.0', 'fanout-crawler')).toBe('AcmeResearch/2.0 fanout-crawler/0.1');
  });
  it('reads the host-rate ceiling (default 2, decimals allowed, refused when not above 0)', () => {
    expect(readConfig(env).limits.hostRateCeiling).toBe(2);
    expect(readConfig({ ...env, HOST_RATE_CEILING: '0.5' }).limits.hostRateCeiling).toBe(0.5);
    expect(() => readConfig({ ...env, HOST_RATE_CEILING: '0' })).toThrow(/HOST_RATE_CEILING/);
  });
});
