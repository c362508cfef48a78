// When a site pushes back: what the main response of a navigation says about the page, decided from
// the RenderedPage alone (so any renderer, browser or plain HTTP, is judged the same way).
//   throttled: 429 or 503 — not a result. The page is tried again no sooner than its Retry-After
//              (or a default backoff), its first THROTTLES_FREE throttles cost it no attempt, and
//              its host's shared rate is cut (core/host-pushback.ts).
//   blocked:   a bot challenge, a captcha wall or a 401/403 block page (core/block-signals.ts) — the
//              page ends in state `blocked` with its reason; its links are not followed.
//   ok:        anything else, recorded as today.
import { BLOCK_SIGNALS, HTML_SCAN_CHARS, RESPONSE_HEADER_ALLOW_LIST, type BlockReason } from './block-signals.js';

export type { BlockReason } from './block-signals.js';
export const BLOCK_REASONS: readonly BlockReason[] = ['challenge', 'captcha', 'forbidden', 'rate-limited'];

export type PushbackVerdict =
  | { kind: 'ok' }
  | { kind: 'throttled'; status: 429 | 503; /** ms from now the site asked us to wait, when it said (bounded by RETRY_AFTER_MAX_MS + 1) */ retryAfterMs?: number }
  | { kind: 'blocked'; reason: Exclude<BlockReason, 'rate-limited'>; /** the signal that decided (block-signals.ts) */ signal: string };

/** What is judged: the RenderedPage's fields it needs. */
export interface PushbackInput {
  status: number | null;
  title: string;
  html: string;
  responseHeaders?: Record<string, string>;
}

/** The throttled tries of a page that use none of its attempts: a site that says "later" is not the page failing. */
export const THROTTLES_FREE = 3;
/** Without a Retry-After, the n-th throttle of a page waits DEFAULT_BACKOFF_MS·2^(n-1), at most DEFAULT_BACKOFF_MAX_MS. */
export const DEFAULT_BACKOFF_MS = 5_000;
export const DEFAULT_BACKOFF_MAX_MS = 120_000;
/**
 * The longest Retry-After honoured by waiting (SQS's longest delay). A site that asks for more is
 * not waited for: the page ends at once as rate limited (a redrive tries it later), and its host
 * stays closed this long for every job.
 */
export const RETRY_AFTER_MAX_MS = 900_000;

/** The allow-listed, lowercase subset of a response's headers a renderer puts on its RenderedPage. */
export function responseHeadersOf(headers: Record<string, string | string[] | undefined>): Record<string, string> | undefined {
  const kept: Record<string, string> = {};
  const byLower = new Map(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value] as const));
  for (const name of RESPONSE_HEADER_ALLOW_LIST) {
    const value = byLower.get(name);
    if (value === undefined) continue;
    // bounded: a header is the site's choice
    kept[name] = (Array.isArray(value) ? value.join(', ') : value).slice(0, 256);
  }
  return Object.keys(kept).length > 0 ? kept : undefined;
}

/**
 * Retry-After (RFC 9110 §10.2.3): delay-seconds or an HTTP-date; ms from `now`, never negative,
 * undefined when absent or unreadable. Capped just past RETRY_AFTER_MAX_MS (the caller tells
 * "too long" from that).
 */
export function parseRetryAfter(value: string | undefined, now: number): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  let ms: number;
  if (/^\d+$/.test(text)) ms = Number(text) * 1000;
  else {
    const at = Date.parse(text);
    if (Number.isNaN(at) || !/[a-z]/i.test(text)) return undefined;
    ms = at - now;
  }
  return Math.min(RETRY_AFTER_MAX_MS + 1, Math.max(0, ms));
}

/** The verdict on a navigation's main response (see the head of this file). Challenges win over the status. */
export function judgeResponse(page: PushbackInput, now: number): PushbackVerdict {
  const headers = page.responseHeaders ?? {};
  const evidence = { status: page.status, headers, title: page.title ?? '', html: (page.html ?? '').slice(0, HTML_SCAN_CHARS) };
  // A challenge served as 503 (Cloudflare's old "I'm under attack") or 403 is a challenge, not a throttle.
  const signal = BLOCK_SIGNALS.find((s) => s.matches(evidence));
  if (signal) return { kind: 'blocked', reason: signal.reason, signal: signal.name };
  if (page.status === 429 || page.status === 503) {
    const retryAfterMs = parseRetryAfter(headers['retry-after'], now);
    return { kind: 'throttled', status: page.status, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) };
  }
  if (page.status === 401 || page.status === 403) return { kind: 'blocked', reason: 'forbidden', signal: `status-${page.status}` };
  return { kind: 'ok' };
}

/** The error a page still throttled after its retries ends with (the contract's words). */
export function throttledError(status: 429 | 503): string {
  return status === 429 ? 'rate limited (429)' : 'unavailable (503)';
}

/**
 * How long the page waits before it is tried again after its `throttle`-th throttle (1-based):
 * its Retry-After when given (never sooner), else the default backoff; `null` when the site asked
 * for longer than RETRY_AFTER_MAX_MS (the page is not waited for).
 */
export function throttleWaitMs(verdict: Extract<PushbackVerdict, { kind: 'throttled' }>, throttle: number): number | null {
  if (verdict.retryAfterMs !== undefined) return verdict.retryAfterMs > RETRY_AFTER_MAX_MS ? null : verdict.retryAfterMs;
  const n = Math.max(1, Math.floor(throttle));
  return Math.min(DEFAULT_BACKOFF_MAX_MS, DEFAULT_BACKOFF_MS * 2 ** Math.min(n - 1, 16));
}

/**
 * What a throttled page does next, given how many throttles it had before this one and its
 * attempt: wait (giving its attempt back while within THROTTLES_FREE), or end as failed.
 */
export function throttleStep(
  verdict: Extract<PushbackVerdict, { kind: 'throttled' }>,
  throttlesBefore: number,
  attempt: number,
  maxAttempts: number,
): { kind: 'wait'; waitMs: number; freeAttempt: boolean } | { kind: 'give-up'; error: string } {
  const throttle = throttlesBefore + 1;
  const waitMs = throttleWaitMs(verdict, throttle);
  const freeAttempt = throttle <= THROTTLES_FREE;
  if (waitMs === null || (!freeAttempt && attempt >= maxAttempts)) return { kind: 'give-up', error: throttledError(verdict.status) };
  return { kind: 'wait', waitMs, freeAttempt };
}

/**
 * Thrown by the render step when the host throttled the navigation (429/503): nothing of the page
 * is stored, its host is told (HostRateGate.pushback) and the page waits (app/crawl-page.ts).
 */
export class PageThrottledError extends Error {
  override name = 'PageThrottledError';
  constructor(readonly verdict: Extract<PushbackVerdict, { kind: 'throttled' }>) {
    super(`${throttledError(verdict.status)}${verdict.retryAfterMs !== undefined ? `; retry after ${Math.ceil(verdict.retryAfterMs / 1000)} s` : ''}`);
  }
}

/**
 * Whether most of a job's settled pages were blocked (more than all its done and failed ones
 * together): the job says so (`mostlyBlocked` in completed and the manifest), since its few pages
 * say little of the site.
 */
export function isMostlyBlocked(job: { done: number; failed: number; blocked?: number }): boolean {
  const blocked = job.blocked ?? 0;
  return blocked > 0 && blocked > job.done + job.failed;
}

/** The job-level pushback fields of `completed` and the manifest: present only when a page was blocked. */
export function blockedFieldsOf(job: { done: number; failed: number; blocked?: number }): { blocked?: number; mostlyBlocked?: true } {
  if (!job.blocked) return {};
  return { blocked: job.blocked, ...(isMostlyBlocked(job) ? { mostlyBlocked: true as const } : {}) };
}
