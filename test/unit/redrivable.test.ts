// Which frontier items a `redrive` crawls again: failures another try may mend, and URLs a job
// ended before crawling; never robots.txt refusals, pages, aliases or capped links.
import { describe, expect, it } from 'vitest';
import { isRedrivable } from '../../functions/core/job.js';

const failure = (error: string, kind?: 'robots') => ({ url: 'http://s/a', error, ...(kind ? { kind } : {}) });

describe('isRedrivable', () => {
  it('takes failures another try may mend', () => {
    expect(isRedrivable({ state: 'failed', failure: failure('net::ERR_CONNECTION_RESET') })).toBe(true);
    expect(isRedrivable({ state: 'failed', failure: failure('gave up after 3 attempts') })).toBe(true);
    expect(isRedrivable({ state: 'failed' })).toBe(true);
  });

  it('leaves robots.txt refusals alone, marked or (in older records) only worded so', () => {
    expect(isRedrivable({ state: 'failed', failure: failure('disallowed by robots.txt (line 2)', 'robots') })).toBe(false);
    expect(isRedrivable({ state: 'failed', failure: failure('disallowed by robots.txt (line 2)') })).toBe(false);
  });

  it('takes URLs a job ended before crawling, and nothing else', () => {
    expect(isRedrivable({ state: 'queued' })).toBe(true);
    expect(isRedrivable({ state: 'claimed' })).toBe(true);
    for (const state of ['done', 'alias', 'capped'] as const) expect(isRedrivable({ state })).toBe(false);
  });
});
