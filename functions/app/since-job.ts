// `since` on a crawl: the earlier job it is compared with must be a finished job of the same client
// (its frontier and records are what the new crawl asks conditionally and reports changes against).
import { ClientInputError, ErrorCode } from '../core/errors.js';
import { formatsOf, isExpired, isFinal, isVisibleTo, type JobRecord, type SinceJob } from '../core/job.js';
import type { CrawlRequest } from '../core/messages.js';
import type { AppDeps } from './deps.js';

/**
 * The earlier job `request.since` names, checked: another client's job, an expired one and an
 * unknown id get the same `job_not_found` (a client cannot learn that a job id exists); a job not
 * yet final gets `job_running`. Both messages name `since`.
 */
export async function sinceJobFor(request: CrawlRequest & { since: string }, owner: string | undefined, deps: AppDeps): Promise<SinceJob> {
  const earlier = await deps.jobs.getJob(request.since);
  if (!earlier || !isVisibleTo(earlier, owner) || isExpired(earlier, deps.clock.now())) {
    throw new ClientInputError(ErrorCode.jobNotFound, `since: no job with id "${request.since}"`, request.requestId, request.since);
  }
  if (!isFinal(earlier.status)) {
    throw new ClientInputError(ErrorCode.jobRunning, `since: job "${request.since}" has not finished yet; name a finished job`, request.requestId, request.since);
  }
  // An answer cut from a deeper cached crawl has no frontier of its own: its pages are that crawl's.
  const base = earlier.reusedFrom !== undefined && earlier.reused === undefined ? earlier.reusedFrom : earlier.jobId;
  return { jobId: base, conditional: keepsAsMuch(earlier, request) };
}

/**
 * A 304 may stand for the page only when the earlier job kept at least what this one asks of a page
 * (every format, the same extractor): its outputs are then the page's outputs.
 */
function keepsAsMuch(earlier: Pick<JobRecord, 'formats' | 'extract'>, request: Pick<CrawlRequest, 'formats' | 'extract'>): boolean {
  const kept = formatsOf(earlier);
  return request.formats.every((format) => kept.includes(format)) && request.extract === earlier.extract;
}
