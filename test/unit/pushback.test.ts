// The pushback judgement (core/pushback.ts, core/block-signals.ts): throttles, challenges, captcha
// walls and block pages told apart from the main response alone; Retry-After read both ways; what a
// throttled page does next.
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_BACKOFF_MAX_MS,
  DEFAULT_BACKOFF_MS,
  isMostlyBlocked,
  judgeResponse,
  parseRetryAfter,
  responseHeadersOf,
  RETRY_AFTER_MAX_MS,
  THROTTLES_FREE,
  throttleStep,
  type PushbackInput,
} from '../../functions/core/pushback.js';

const NOW = Date.parse('2026-12-08T00:00:00Z');
const page = (over: Partial<PushbackInput>): PushbackInput => ({ status: 200, title: 'A page', html: '<html><body><p>Hello</p></body></html>', ...over });

describe('Retry-After', () => {
  it('reads delay-seconds and HTTP-dates, never negative, capped just past the longest honoured wait', () => {
    expect(parseRetryAfter('7', NOW)).toBe(7_000);
    expect(parseRetryAfter(' 0 ', NOW)).toBe(0);
    expect(parseRetryAfter('Tue, 08 Dec 2026 00:00:30 GMT', NOW)).toBe(30_000);
    expect(parseRetryAfter('Mon, 07 Dec 2026 23:00:00 GMT', NOW)).toBe(0);
    expect(parseRetryAfter('999999', NOW)).toBe(RETRY_AFTER_MAX_MS + 1);
    expect(parseRetryAfter(undefined, NOW)).toBeUndefined();
    expect(parseRetryAfter('soon', NOW)).toBeUndefined();
    expect(parseRetryAfter('-5', NOW)).toBeUndefined();
    expect(parseRetryAfter('1.5', NOW)).toBeUndefined();
  });
});

describe('the response headers kept', () => {
  it('are the allow-list only, lowercased, bounded; none is undefined', () => {
    expect(responseHeadersOf({ 'Retry-After': '5', 'Set-Cookie': 'secret=1', 'CF-Mitigated': 'challenge', server: 'x'.repeat(1000) })).toEqual({
      'retry-after': '5',
      'cf-mitigated': 'challenge',
      server: 'x'.repeat(256),
    });
    expect(responseHeadersOf({ 'content-type': 'text/html', authorization: 'Bearer t' })).toBeUndefined();
  });
});

describe('judging a response', () => {
  it('a 429 or 503 is a throttle, with its Retry-After when given', () => {
    expect(judgeResponse(page({ status: 429, responseHeaders: { 'retry-after': '3' } }), NOW)).toEqual({ kind: 'throttled', status: 429, retryAfterMs: 3000 });
    expect(judgeResponse(page({ status: 503 }), NOW)).toEqual({ kind: 'throttled', status: 503 });
  });

  it('a Cloudflare challenge is a challenge, by its header or its page, whatever the status', () => {
    expect(judgeResponse(page({ status: 403, responseHeaders: { 'cf-mitigated': 'challenge' } }), NOW)).toMatchObject({ kind: 'blocked', reason: 'challenge' });
    // the old "I'm under attack" page came as a 503: a challenge, not a throttle
    expect(judgeResponse(page({ status: 503, title: 'Just a moment...' }), NOW)).toMatchObject({ kind: 'blocked', reason: 'challenge', signal: 'cloudflare-challenge' });
    expect(judgeResponse(page({ status: 200, html: '<script src="/cdn-cgi/challenge-platform/h/b/orchestrate/jsch/v1"></script>' }), NOW)).toMatchObject({
      kind: 'blocked',
      reason: 'challenge',
    });
  });

  it('names the vendors’ walls', () => {
    const cases: [Partial<PushbackInput>, string, string][] = [
      [{ status: 403, title: 'Attention Required! | Cloudflare' }, 'forbidden', 'cloudflare-block'],
      [{ status: 403, html: '<script src="https://ct.captcha-delivery.com/c.js"></script>', responseHeaders: { 'x-datadome': 'protected' } }, 'captcha', 'datadome-captcha'],
      [{ status: 403, title: 'Access to this page has been denied', html: '<div id="px-captcha"></div>' }, 'captcha', 'perimeterx-captcha'],
      [{ status: 200, html: '<iframe src="/_Incapsula_Resource?SWUDNSAI=31"></iframe>' }, 'challenge', 'imperva-challenge'],
      [{ status: 403, html: 'Request unsuccessful. Incapsula incident ID: 123-456' }, 'forbidden', 'imperva-block'],
      [{ status: 200, html: '<div id="sec-if-cpt-container"></div>' }, 'challenge', 'akamai-challenge'],
      [{ status: 403, title: 'Access Denied', responseHeaders: { server: 'AkamaiGHost' } }, 'forbidden', 'akamai-block'],
      [{ status: 200, title: 'Verify you are human', html: '<script src="https://www.google.com/recaptcha/api.js"></script>' }, 'captcha', 'recaptcha-wall'],
      [{ status: 429, html: '<script src="https://hcaptcha.com/1/api.js"></script>' }, 'captcha', 'hcaptcha-wall'],
      [{ status: 200, title: 'Security check', html: '<div class="cf-turnstile"></div>' }, 'captcha', 'turnstile-wall'],
      [{ status: 401 }, 'forbidden', 'status-401'],
      [{ status: 403, title: 'Forbidden' }, 'forbidden', 'status-403'],
    ];
    for (const [over, reason, signal] of cases) expect(judgeResponse(page(over), NOW), JSON.stringify(over)).toEqual({ kind: 'blocked', reason, signal });
  });

  it('leaves ordinary pages alone: a form with a captcha, a 404, a page about Cloudflare', () => {
    expect(judgeResponse(page({ title: 'Contact us', html: '<form><div class="g-recaptcha"></div></form><script src="https://www.google.com/recaptcha/api.js"></script>' }), NOW)).toEqual({ kind: 'ok' });
    expect(judgeResponse(page({ status: 404, title: 'Not found' }), NOW)).toEqual({ kind: 'ok' });
    expect(judgeResponse(page({ title: 'How Cloudflare challenges work', html: '<p>cf-mitigated: challenge is a header</p>' }), NOW)).toEqual({ kind: 'ok' });
    expect(judgeResponse(page({ status: null, title: '', html: '' }), NOW)).toEqual({ kind: 'ok' });
  });

  it('scans only the start of a huge page', () => {
    const late = `<p>${'x'.repeat(200_000)}</p><script src="/cdn-cgi/challenge-platform/x"></script>`;
    expect(judgeResponse(page({ html: late }), NOW)).toEqual({ kind: 'ok' });
  });
});

describe('a throttled page', () => {
  const t429 = { kind: 'throttled' as const, status: 429 as const };
  it('waits its Retry-After, never sooner; its first throttles cost no attempt', () => {
    expect(throttleStep({ ...t429, retryAfterMs: 4000 }, 0, 1, 3)).toEqual({ kind: 'wait', waitMs: 4000, freeAttempt: true });
    expect(throttleStep({ ...t429, retryAfterMs: 4000 }, THROTTLES_FREE - 1, 1, 3)).toEqual({ kind: 'wait', waitMs: 4000, freeAttempt: true });
    expect(throttleStep({ ...t429, retryAfterMs: 4000 }, THROTTLES_FREE, 1, 3)).toEqual({ kind: 'wait', waitMs: 4000, freeAttempt: false });
  });
  it('backs off without a Retry-After, doubling, bounded', () => {
    const waits = [0, 1, 2, 3, 10, 60].map((before) => throttleStep({ kind: 'throttled', status: 503 }, before, 1, 99));
    expect(waits.map((w) => (w.kind === 'wait' ? w.waitMs : -1))).toEqual([DEFAULT_BACKOFF_MS, 2 * DEFAULT_BACKOFF_MS, 4 * DEFAULT_BACKOFF_MS, 8 * DEFAULT_BACKOFF_MS, DEFAULT_BACKOFF_MAX_MS, DEFAULT_BACKOFF_MAX_MS]);
  });
  it('ends failed on its last attempt past the free throttles, or at once when told to come back too late', () => {
    expect(throttleStep(t429, THROTTLES_FREE, 3, 3)).toEqual({ kind: 'give-up', error: 'rate limited (429)' });
    expect(throttleStep({ kind: 'throttled', status: 503 }, THROTTLES_FREE + 2, 3, 3)).toEqual({ kind: 'give-up', error: 'unavailable (503)' });
    // within the free throttles even the last attempt waits: a throttle is not the page failing
    expect(throttleStep(t429, 0, 3, 3)).toMatchObject({ kind: 'wait', freeAttempt: true });
    expect(throttleStep({ ...t429, retryAfterMs: RETRY_AFTER_MAX_MS + 1 }, 0, 1, 3)).toEqual({ kind: 'give-up', error: 'rate limited (429)' });
  });
});

describe('a mostly blocked job', () => {
  it('is one with more blocked pages than done and failed together', () => {
    expect(isMostlyBlocked({ done: 1, failed: 0, blocked: 2 })).toBe(true);
    expect(isMostlyBlocked({ done: 1, failed: 1, blocked: 2 })).toBe(false);
    expect(isMostlyBlocked({ done: 0, failed: 0 })).toBe(false);
  });
});
