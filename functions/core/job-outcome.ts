// What a job's counters and frontier items say of its outcome: which URLs were skipped (robots.txt)
// rather than failed, which failures a redrive takes again, what is left, and how the job ends.
// (Structural types: job.ts re-exports these, so this file imports nothing of it.)
import type { FinalStatus } from './vocabulary.js';

export interface JobCounters {
  /** URLs admitted to the frontier (the seed included); each is settled exactly once */
  admitted: number;
  /**
   * settled, done, failed: the job item holds a base (what a redrive took back), its counter shards
   * the settles (core/counter-shards.ts); a job read through the store has them summed
   */
  settled: number;
  done: number;
  failed: number;
}

/** What these rules read of a frontier item (job.ts FrontierRecord). */
interface SettledItem {
  state: string;
  failure?: { kind?: string; error?: string };
}

/**
 * Whether `redrive` tries the URL again: it failed for a reason another try may mend (not
 * robots.txt: older records say so only in their text), or the job ended before it was crawled.
 */
export function isRedrivable(record: SettledItem): boolean {
  if (record.state === 'queued' || record.state === 'claimed') return true;
  if (record.state !== 'failed') return false;
  return !isSkipped(record);
}

/**
 * Whether a settled URL was skipped rather than failed: robots.txt disallows it (older records say
 * so only in their text). It is stored as a failed item counted in `robotsRefused`, but it is no
 * failure of the job: the manifest lists it under `skipped`, and the job's status, `failed` counts
 * and redrive leave it out.
 */
export function isSkipped(record: SettledItem): boolean {
  return record.state === 'failed' && (record.failure?.kind === 'robots' || /^disallowed by robots\.txt/.test(record.failure?.error ?? ''));
}

/** URLs the job skipped (robots.txt disallows them), from its counters. */
export function skippedCount(job: { robotsRefused?: number }): number {
  return Math.max(0, job.robotsRefused ?? 0);
}

/** The job's real failures: `failed` without the URLs it skipped (robots.txt), which are not failures. */
export function realFailures(job: Pick<JobCounters, 'failed'> & { robotsRefused?: number }): number {
  return Math.max(0, job.failed - skippedCount(job));
}

/**
 * How many of a final job's URLs a redrive would crawl again, from its counters alone: the failed
 * ones but those robots.txt refused, and the ones a job that ended early never settled. Jobs that
 * failed pages for robots.txt before that was counted apart count them here: their redrive is
 * accepted and, finding nothing to crawl, ends at once.
 */
export function redrivableCount(job: JobCounters & { robotsRefused?: number }): number {
  return realFailures(job) + Math.max(0, outstanding(job));
}

/** A job that rendered none of its pages, every one taken from an earlier crawl: its `completed` says `cached: true`. */
export function answeredFromCache(job: JobCounters & { reusedFrom?: string; reused?: number; robotsRefused?: number }): boolean {
  return job.reusedFrom !== undefined && (job.reused ?? 0) > 0 && job.reused === job.done && job.admitted === job.done + skippedCount(job) && realFailures(job) === 0;
}

export function outstanding(c: JobCounters): number {
  return c.admitted - c.settled;
}

/**
 * The outcome of a job that ran to the end (cancel decides its own). URLs robots.txt disallows are
 * skipped, not failed: a job whose only misses are skipped URLs succeeded (and can be reused).
 */
export function finalStatusOf(c: JobCounters & { robotsRefused?: number; blocked?: number }): FinalStatus {
  if (c.done === 0) return 'failed';
  // a blocked page is a page the job did not get (core/pushback.ts)
  if (realFailures(c) > 0 || (c.blocked ?? 0) > 0) return 'partial';
  return 'succeeded';
}
