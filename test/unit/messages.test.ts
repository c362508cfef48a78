import { describe, expect, it } from 'vitest';
import { ClientInputError } from '../../functions/core/errors.js';
import { DEFAULT_LIMITS } from '../../functions/core/limits.js';
import { explainUnroutable, parseCrawlRequest, parseJobRequest } from '../../functions/core/messages.js';

const limits = DEFAULT_LIMITS;

function failure(run: () => unknown): { code: string; message: string; requestId?: string } {
  try {
    run();
  } catch (error) {
    if (error instanceof ClientInputError) return { code: error.code, message: error.message, requestId: error.requestId };
    throw error;
  }
  throw new Error('expected a ClientInputError');
}

describe('crawl request', () => {
  it('applies defaults and normalises the seed', () => {
    expect(parseCrawlRequest('{"action":"crawl","url":"HTTPS://Example.com/#top"}', limits)).toEqual({
      url: 'https://example.com/',
      depth: 1,
      maxPages: limits.defaultMaxPages,
      scope: 'host',
      include: [],
      exclude: [],
      maxAgeSeconds: 0,
      timeLimitSeconds: limits.jobTimeLimitSeconds,
      block: [],
      obeyRobots: true,
      formats: ['html'],
      requestId: undefined,
    });
  });

  it('keeps every option it accepts', () => {
    const body = JSON.stringify({
      action: 'crawl', url: 'http://127.0.0.1:9/', depth: 3, maxPages: 50, requestId: 'r1', scope: 'prefix', include: ['*a*'], exclude: ['*.pdf'], maxAge: 60, timeLimit: 30, block: ['media', 'image', 'media'], robots: false,
      formats: ['screenshot', 'markdown', 'html', 'markdown'], extract: 'metadata',
    });
    expect(parseCrawlRequest(body, limits, { extractors: ['article', 'metadata'] })).toEqual({
      url: 'http://127.0.0.1:9/', depth: 3, maxPages: 50, requestId: 'r1', scope: 'prefix', include: ['*a*'], exclude: ['*.pdf'], maxAgeSeconds: 60, timeLimitSeconds: 30, timeLimitAsked: true, block: ['image', 'media'], obeyRobots: false,
      formats: ['html', 'markdown', 'screenshot'], extract: 'metadata',
    });
  });

  it.each([
    [{ formats: ['pdf'] }, /formats\.0/],
    [{ formats: [] }, /formats/],
    [{ formats: 'markdown' }, /formats/],
    [{ extract: 'nope' }, /extract: no extractor named "nope"; deployed: article, metadata/],
    [{ extract: 42 }, /extract/],
  ])('refuses %j as invalid_request naming the field', (options, pattern) => {
    const body = JSON.stringify({ action: 'crawl', url: 'http://127.0.0.1:9/', ...options });
    expect(() => parseCrawlRequest(body, limits, { extractors: ['article', 'metadata'] })).toThrow(pattern);
  });

  it.each([
    ['{"action":"crawl"}', 'invalid_request', /url/],
    ['{"action":"crawl","url":42}', 'invalid_request', /url/],
    ['{"action":"crawl","url":"ftp://x.org/"}', 'invalid_url', /unsupported scheme "ftp"/],
    ['{"action":"crawl","url":"example.com"}', 'invalid_url', /not a valid URL/],
    ['{"action":"crawl","url":"https://x.org/","depth":-1}', 'invalid_request', /depth/],
    ['{"action":"crawl","url":"https://x.org/","depth":99}', 'invalid_request', /depth/],
    ['{"action":"crawl","url":"https://x.org/","depth":1.5}', 'invalid_request', /depth/],
    ['{"action":"crawl","url":"https://x.org/","depth":"2"}', 'invalid_request', /depth/],
    ['{"action":"crawl","url":"https://x.org/","maxPages":0}', 'invalid_request', /maxPages/],
    ['{"action":"crawl","url":"https://x.org/","maxPages":1000000}', 'invalid_request', /maxPages/],
    ['{"action":"crawl","url":"https://x.org/","scope":"world"}', 'invalid_request', /scope/],
    ['{"action":"crawl","url":"https://x.org/","maxpages":5}', 'invalid_request', /unknown field\(s\): maxpages/],
    ['{"action":"crawl","url":"https://x.org/","requestId":""}', 'invalid_request', /requestId/],
    ['{"action":"crawl","url":"https://x.org/","block":["script"]}', 'invalid_request', /block/],
    ['{"action":"crawl","url":"https://x.org/","block":"image"}', 'invalid_request', /block/],
    ['{"action":"crawl","url":"https://x.org/","robots":"no"}', 'invalid_request', /robots/],
    ['{"action":"crawl","url":"https://x.org/","block":["image","font","media","stylesheet","image"]}', 'invalid_request', /block/],
    ['not json', 'invalid_json', /not valid JSON/],
    ['[1,2]', 'invalid_message', /JSON object/],
    ['null', 'invalid_message', /JSON object/],
  ])('%s → %s', (body, code, message) => {
    const error = failure(() => parseCrawlRequest(body, limits));
    expect(error.code).toBe(code);
    expect(error.message).toMatch(message);
  });

  it('echoes a valid requestId on errors', () => {
    expect(failure(() => parseCrawlRequest('{"action":"crawl","url":"x","requestId":"abc"}', limits)).requestId).toBe('abc');
  });

  it('refuses oversized frames before parsing', () => {
    const body = JSON.stringify({ action: 'crawl', url: `https://x.org/${'a'.repeat(limits.maxFrameBytes)}` });
    expect(failure(() => parseCrawlRequest(body, limits)).code).toBe('frame_too_large');
  });
});

describe('status, cancel and redrive requests', () => {
  const JOB = '3f0e2b1c-9a4d-4e2f-8b7a-0c1d2e3f4a5b';
  it.each(['status', 'cancel', 'redrive'] as const)('%s takes a jobId', (action) => {
    expect(parseJobRequest(JSON.stringify({ action, jobId: JOB, requestId: 'r' }), action, limits)).toEqual({ jobId: JOB, requestId: 'r' });
  });
  // The jobs table also holds the stack's own items: a job id is only what the crawl route makes.
  it.each(['status', 'cancel', 'redrive'] as const)('%s refuses any jobId that is not a server-made UUID, naming the field', (action) => {
    for (const jobId of ['host-rate#127.0.0.1', 'host-rate#example.com', `${JOB}#shard#1`, `${JOB}#usage`, JOB.toUpperCase(), `${JOB} `, 'j1', '', 5]) {
      const error = failure(() => parseJobRequest(JSON.stringify({ action, jobId }), action, limits));
      expect(error.code).toBe('invalid_request');
      expect(error.message).toMatch(/^jobId: /);
    }
  });
  it.each(['status', 'cancel', 'redrive'] as const)('%s without jobId is refused', (action) => {
    const error = failure(() => parseJobRequest(JSON.stringify({ action }), action, limits));
    expect(error.code).toBe('invalid_request');
    expect(error.message).toMatch(/jobId/);
  });
});

describe('unroutable messages', () => {
  it.each([
    ['{"action":"explode"}', 'unknown_action', /unknown action "explode"/],
    ['{"action":5}', 'unknown_action', /of type number/],
    ['{"url":"https://x.org/"}', 'invalid_message', /no "action"/],
    ['{oops', 'invalid_json', /not valid JSON/],
    ['"just a string"', 'invalid_message', /JSON object/],
  ])('%s → %s', (body, code, message) => {
    const error = explainUnroutable(body, limits);
    expect(error.code).toBe(code);
    expect(error.message).toMatch(message);
  });
});
