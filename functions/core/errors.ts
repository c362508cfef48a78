// Errors grouped by what the caller should do with them. Every error a client can cause maps to
// an `error` frame with a stable `code`; everything else is an internal failure.
import { isServerError, isThrottlingError, isTransientError } from '@smithy/core/retry';

export const ErrorCode = {
  invalidJson: 'invalid_json',
  invalidMessage: 'invalid_message',
  unknownAction: 'unknown_action',
  invalidRequest: 'invalid_request',
  invalidUrl: 'invalid_url',
  frameTooLarge: 'frame_too_large',
  jobNotFound: 'job_not_found',
  jobFinished: 'job_finished',
  tooManyJobs: 'too_many_jobs',
  /** a per-client quota (core/client-quota.ts) is reached: the message names it */
  quotaExceeded: 'quota_exceeded',
  /** `redrive` of a job that runs (or is still finishing), or a second `redrive` racing the first */
  jobRunning: 'job_running',
  /** `redrive` of a job none of whose URLs failed in a way another try may mend */
  nothingToRedrive: 'nothing_to_redrive',
  /** `unschedule` of a schedule this client does not have (none, or another client's) */
  scheduleNotFound: 'schedule_not_found',
  /** `schedule` beyond the stack's maximum of schedules per client */
  tooManySchedules: 'too_many_schedules',
  internal: 'internal_error',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** Root of the product's own errors. */
export class CrawlerError extends Error {
  override name = 'CrawlerError';
}

/** The client sent something we refuse; answer it, keep the connection, write nothing. */
export class ClientInputError extends CrawlerError {
  override name = 'ClientInputError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly requestId?: string,
    readonly jobId?: string,
  ) {
    super(message);
  }
}

/**
 * Whose failure it was. `page`: the page's or its host's own (a navigation error or timeout, a
 * render that failed, the host's robots.txt answering 5xx): it counts toward the page's attempts.
 * `stack`: the crawler's own (its browser did not start or a tab could not be opened, AWS throttled
 * or answered 5xx): the attempt is given back, so a page is never given up for what it did not do.
 */
export type FailureOrigin = 'page' | 'stack';

/** A page could not be rendered; `retryable` says whether another attempt may succeed. */
export class PageFailedError extends CrawlerError {
  override name = 'PageFailedError';
  constructor(
    message: string,
    readonly retryable: boolean,
    readonly origin: FailureOrigin = 'page',
  ) {
    super(message);
  }
}

/** Another worker holds a live claim on the URL: the message must come back later. */
export class UrlBusyError extends CrawlerError {
  override name = 'UrlBusyError';
  constructor(
    message: string,
    /** when the other worker's lease ends, if known: the message need not come back before */
    readonly leaseUntil?: number,
  ) {
    super(message);
  }
}

/**
 * Whether a failure of a dependency (S3, DynamoDB, SQS, the network) may pass if the work is tried
 * again later: throttling, 5xx answers, timeouts and dropped connections. It asks the same questions
 * the SDK's own retry strategy asks of an error ($retryable, $metadata.httpStatusCode, the
 * throttling error names, Node's network error codes), so an error the SDK gave up retrying after its
 * attempts is classed the same way here. Anything else (a refused condition, a missing bucket, a
 * malformed request, a bug) is not: trying again gives the same answer.
 */
export function isTransientFailure(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  if (error instanceof PageFailedError) return error.retryable;
  // The classifiers read optional fields of any error shape ($metadata, $retryable, name, code).
  const shaped = error as Parameters<typeof isTransientError>[0];
  return isThrottlingError(shaped) || isTransientError(shaped) || isServerError(shaped);
}

/**
 * Whether a failure is the stack's own, not the page's (FailureOrigin): a page's attempt is given
 * back for it. Transient failures of AWS services and the network between them (throttling, 5xx,
 * dropped connections: isTransientFailure) are; so is a PageFailedError whose origin is `stack`.
 * A failure that is neither transient nor the page's (a bug, a refused request) still counts, so
 * a page that keeps meeting it is given up after its attempts instead of cycling to the DLQ.
 */
export function isStackFault(error: unknown): boolean {
  if (error instanceof PageFailedError) return error.origin === 'stack';
  if (error instanceof UrlBusyError) return true;
  return isTransientFailure(error);
}
