// Per-client quotas, across all of a client's connections: jobs running at once, and pages a day.
// A client is the principal its token names (core/auth.ts); a second connection of the same client
// shares its allowance. With auth off there is no client to count: only the per-connection limit
// (maxJobsPerConnection) applies.
//
// Pages a day are counted when a job starts, as its `maxPages` (the most it may crawl), on the UTC
// day it starts; when it ends, what it did not use (maxPages minus the URLs it admitted) is given
// back to that day. So a job is never stopped half-way by the quota, and the day's count is never
// below what was crawled. A redrive's URLs count as they are queued again, with nothing given back.
import { ClientInputError, ErrorCode } from './errors.js';
import { ANONYMOUS_OWNER } from './owners.js';

export interface ClientQuotaLimits {
  /** jobs (and redrives) one client may have running at once, over all its connections; 0: no limit */
  maxRunningJobsPerClient: number;
  /** pages one client may start a day (UTC), over all its connections; 0: no limit */
  maxPagesPerClientPerDay: number;
}

export const DEFAULT_CLIENT_QUOTAS: ClientQuotaLimits = { maxRunningJobsPerClient: 10, maxPagesPerClientPerDay: 100_000 };

/** What one start of a job takes from its client's allowance. */
export interface ClientQuota {
  principal: string;
  /** 0: not counted */
  maxRunningJobs: number;
  /** 0: not counted */
  maxPagesPerDay: number;
  /** the UTC day, YYYY-MM-DD */
  day: string;
  /** pages taken from the day */
  pages: number;
  /** whether what the job does not use is given back when it ends */
  refund: boolean;
}

/** What a job notes of the allowance it holds, so that its end gives it back (once, with its slot). */
export interface QuotaNote {
  day: string;
  /** it holds one of its client's running-job slots */
  running: boolean;
  /** pages it took from the day */
  pages: number;
  refund: boolean;
}

export type QuotaRefusal = 'client-jobs-quota' | 'client-pages-quota';

export function utcDay(now: number): string {
  return new Date(now).toISOString().slice(0, 10);
}

/** The allowance a start takes, or undefined when there is no client (auth off) or nothing is counted. */
export function clientQuotaFor(owner: string | undefined, pages: number, limits: Partial<ClientQuotaLimits>, now: number, refund: boolean): ClientQuota | undefined {
  // auth off: every job's owner is ANONYMOUS_OWNER, which is no client (core/job.ts ownerFor)
  if (owner === undefined || owner === ANONYMOUS_OWNER) return undefined;
  const maxRunningJobs = limits.maxRunningJobsPerClient ?? DEFAULT_CLIENT_QUOTAS.maxRunningJobsPerClient;
  const maxPagesPerDay = limits.maxPagesPerClientPerDay ?? DEFAULT_CLIENT_QUOTAS.maxPagesPerClientPerDay;
  if (maxRunningJobs === 0 && maxPagesPerDay === 0) return undefined;
  return { principal: owner, maxRunningJobs, maxPagesPerDay, day: utcDay(now), pages: maxPagesPerDay > 0 ? pages : 0, refund };
}

export function quotaNoteOf(quota: ClientQuota): QuotaNote {
  return { day: quota.day, running: quota.maxRunningJobs > 0, pages: quota.pages, refund: quota.refund };
}

/** Pages a job gives back to its day when it ends: what it took and did not admit. */
export function pagesToGiveBack(note: QuotaNote, admitted: number): number {
  return note.refund ? Math.max(0, note.pages - Math.max(0, admitted)) : 0;
}

/** The client's running-jobs item and its day's pages item: keys of the jobs table no job id has. */
export const clientJobsKey = (principal: string) => `client#${principal}`;
export const clientDayKey = (principal: string, day: string) => `client#${principal}#day#${day}`;

/** A start that takes more pages than a whole day allows: refused without a write. */
export function exceedsDay(quota: ClientQuota | undefined): boolean {
  return quota !== undefined && quota.maxPagesPerDay > 0 && quota.pages > quota.maxPagesPerDay;
}

/** The error a refused start answers, naming the quota. */
export function quotaError(refusal: QuotaRefusal, quota: ClientQuota, requestId?: string, jobId?: string): ClientInputError {
  const message =
    refusal === 'client-jobs-quota'
      ? `quota maxRunningJobsPerClient: this client already has ${quota.maxRunningJobs} running jobs, over all its connections; wait for one to complete or cancel one`
      : `quota maxPagesPerClientPerDay: this would take ${quota.pages} pages${quota.refund ? ' (its maxPages)' : ''} from today's ${quota.maxPagesPerDay} for this client (UTC day ${quota.day}), and not that many are left; ask a smaller maxPages, or wait for running jobs to end (they give back what they did not crawl) or for the next day`;
  return new ClientInputError(ErrorCode.quotaExceeded, message, requestId, jobId);
}
