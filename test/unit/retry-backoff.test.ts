import { describe, expect, it } from 'vitest';
import { isStackFault, PageFailedError, UrlBusyError } from '../../functions/core/errors.js';
import { RETRY_CAP_SECONDS, RETRY_FLOOR_SECONDS, retryAfterSeconds, retryDelaySeconds } from '../../functions/core/retry-backoff.js';
import { RenderError } from '../../functions/adapters/browser/errors.js';

const low = () => 0;
const high = () => 0.999999;

describe('retryDelaySeconds (equal jitter, 10 s to 5 min)', () => {
  it('the first retry comes back after 10–20 s: never before the floor', () => {
    expect(retryDelaySeconds(1, low)).toBe(RETRY_FLOOR_SECONDS);
    expect(RETRY_FLOOR_SECONDS).toBe(10);
    expect(retryDelaySeconds(1, high)).toBe(20);
  });
  it('the window doubles with each retry, its lower half a floor', () => {
    expect([1, 2, 3, 4].map((n) => retryDelaySeconds(n, low))).toEqual([10, 20, 40, 80]);
    expect([1, 2, 3, 4].map((n) => retryDelaySeconds(n, high))).toEqual([20, 40, 80, 160]);
  });
  it('stops growing at 5 minutes, even for absurd retry counts', () => {
    for (const n of [5, 6, 10, 100, 1e9, Number.POSITIVE_INFINITY]) {
      expect(retryDelaySeconds(n, high)).toBeLessThanOrEqual(RETRY_CAP_SECONDS);
      expect(retryDelaySeconds(n, low)).toBe(RETRY_CAP_SECONDS / 2);
    }
    expect(retryDelaySeconds(6, high)).toBe(RETRY_CAP_SECONDS);
  });
  it('a count below 1 or not a number is the first retry; a random outside [0,1) is clamped', () => {
    expect(retryDelaySeconds(0, low)).toBe(10);
    expect(retryDelaySeconds(Number.NaN, low)).toBe(10);
    expect(retryDelaySeconds(1, () => 5)).toBe(20);
    expect(retryDelaySeconds(1, () => -1)).toBe(10);
  });
  it('spreads retries that failed together over the window (whole seconds)', () => {
    let seed = 7;
    const random = () => ((seed = (seed * 16807) % 2147483647) - 1) / 2147483646;
    const delays = Array.from({ length: 200 }, () => retryDelaySeconds(3, random));
    expect(Math.min(...delays)).toBeGreaterThanOrEqual(40);
    expect(Math.max(...delays)).toBeLessThanOrEqual(80);
    expect(new Set(delays).size).toBeGreaterThan(20);
    expect(delays.every(Number.isInteger)).toBe(true);
  });
});

describe('retryAfterSeconds', () => {
  const now = 1_000_000;
  it('a URL another worker holds comes back just after its lease ends', () => {
    expect(retryAfterSeconds(new UrlBusyError('busy', now + 4_500), 1, now, high)).toBe(6);
    expect(retryAfterSeconds(new UrlBusyError('busy', now - 10), 1, now, high)).toBe(1);
    expect(retryAfterSeconds(new UrlBusyError('busy', now + 10_000_000), 1, now, high)).toBe(RETRY_CAP_SECONDS);
  });
  it('any other failure backs off by its receive count', () => {
    expect(retryAfterSeconds(new Error('boom'), 3, now, low)).toBe(40);
    expect(retryAfterSeconds(new UrlBusyError('busy'), 2, now, low)).toBe(20);
  });
});

describe('isStackFault: whose failure it was', () => {
  const aws = (name: string, status: number) => Object.assign(new Error(name), { name, $metadata: { httpStatusCode: status } });
  it("the page's own failures count: navigation errors and timeouts, renders, a failing robots.txt", () => {
    expect(isStackFault(new RenderError('timeout', 'navigation timed out', true))).toBe(false);
    expect(isStackFault(new RenderError('network', 'net::ERR_CONNECTION_REFUSED', true))).toBe(false);
    expect(isStackFault(new RenderError('browser', 'page crashed', true))).toBe(false);
    expect(isStackFault(new PageFailedError('robots.txt answered 503; will ask again', true))).toBe(false);
  });
  it("the stack's do not: AWS throttling and 5xx, a browser that did not start, a URL another worker holds", () => {
    expect(isStackFault(aws('ProvisionedThroughputExceededException', 400))).toBe(true);
    expect(isStackFault(aws('SlowDown', 503))).toBe(true);
    expect(isStackFault(aws('InternalServerError', 500))).toBe(true);
    expect(isStackFault(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }))).toBe(true);
    expect(isStackFault(new RenderError('browser', 'browser failed to start', true, 'stack'))).toBe(true);
    expect(isStackFault(new UrlBusyError('busy'))).toBe(true);
  });
  it('a failure that is neither transient nor the page\'s (a bug, a refused request) still counts', () => {
    expect(isStackFault(new TypeError('x is undefined'))).toBe(false);
    expect(isStackFault(aws('ValidationException', 400))).toBe(false);
  });
});
