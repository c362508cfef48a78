import { UrlBusyError } from './errors.js';

// When a message whose page failed in a way that may pass comes back: an exponential backoff with
// jitter, applied with SQS ChangeMessageVisibility (handlers/worker.ts), instead of the queue's
// visibility timeout (540 s on AWS: a transient failure would cost every retry nine minutes).
//
// "Equal jitter": the n-th retry waits between half and all of min(cap, base·2^(n-1)). Half is a
// floor, so a host or a service that just failed gets at least that long to recover (full jitter
// can retry at once); the random half spreads the retries of pages that failed together (a
// throttled burst, a host that went down for a moment) so they do not all come back at once.

/** the window of the first retry: it comes back after 10–20 s */
export const RETRY_BASE_SECONDS = 20;
/** no retry waits longer than 5 minutes (the window stops growing at the cap) */
export const RETRY_CAP_SECONDS = 300;
/** the shortest wait of any retry: half the first window */
export const RETRY_FLOOR_SECONDS = RETRY_BASE_SECONDS / 2;

/**
 * Seconds until the message of a failed page is delivered again. `retry` is 1 for the first retry
 * (the worker passes the message's receive count: every way it came back counts, whether the
 * page's attempts were counted or given back); `random` is in [0, 1) (Math.random).
 */
export function retryDelaySeconds(retry: number, random: () => number): number {
  const n = Number.isNaN(retry) ? 1 : Math.max(1, Math.floor(Math.min(retry, 64)));
  // 2^(n-1) overflows nothing: the exponent stops once the window reaches the cap.
  const window = Math.min(RETRY_CAP_SECONDS, RETRY_BASE_SECONDS * 2 ** Math.min(n - 1, 16));
  const r = Math.min(1, Math.max(0, random()));
  return Math.min(RETRY_CAP_SECONDS, Math.ceil(window / 2 + r * (window / 2)));
}

/**
 * When the message of a delivery that failed comes back: a URL another worker holds comes back
 * just after that worker's lease ends (it will most likely have settled it, and this delivery is
 * then acknowledged as a duplicate); any other failure after the backoff for its receive count.
 */
export function retryAfterSeconds(error: unknown, receiveCount: number, now: number, random: () => number): number {
  if (error instanceof UrlBusyError && error.leaseUntil !== undefined) {
    return Math.min(RETRY_CAP_SECONDS, Math.max(1, Math.ceil((error.leaseUntil - now) / 1000) + 1));
  }
  return retryDelaySeconds(receiveCount, random);
}
