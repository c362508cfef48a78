// A URL the crawl fetches is stored whole in its frontier item and queue message, never cut: the
// longest URL a stack may be configured to take is the stored URL bound (core/limits.ts).
import { describe, expect, it } from 'vitest';
import { ConfigError, readConfig } from '../../functions/adapters/config.js';
import { DEFAULT_LIMITS, STORED_TEXT_BYTES } from '../../functions/core/limits.js';

const env = {
  JOBS_TABLE: 'j',
  FRONTIER_TABLE: 'f',
  CONNECTIONS_TABLE: 'c',
  CRAWL_QUEUE_URL: 'http://q',
  RESULTS_BUCKET: 'b',
  CONNECTIONS_ENDPOINT: 'http://127.0.0.1:1/',
};

describe('MAX_URL_LENGTH', () => {
  it('defaults to the stack default and takes values up to the stored URL bound', () => {
    expect(readConfig(env).limits.maxUrlLength).toBe(DEFAULT_LIMITS.maxUrlLength);
    expect(readConfig({ ...env, MAX_URL_LENGTH: String(STORED_TEXT_BYTES.url) }).limits.maxUrlLength).toBe(STORED_TEXT_BYTES.url);
  });

  it('refuses more than a stored URL keeps, or less than 16', () => {
    expect(() => readConfig({ ...env, MAX_URL_LENGTH: String(STORED_TEXT_BYTES.url + 1) })).toThrow(ConfigError);
    expect(() => readConfig({ ...env, MAX_URL_LENGTH: '15' })).toThrow(/MAX_URL_LENGTH/);
  });
});
