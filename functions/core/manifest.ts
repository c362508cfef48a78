// The manifest: the job's one-file summary, built from the frontier when the job finishes.
import type { FinalStatus, FrontierRecord, JobRecord, PageSummary } from './job.js';

export interface Manifest {
  jobId: string;
  url: string;
  depth: number;
  status: FinalStatus;
  startedAt: string;
  finishedAt: string;
  pages: PageSummary[];
  levels: string[][];
  errors: { url: string; error: string }[];
  /** in-scope URLs that were not admitted because maxPages was reached */
  capped: number;
  /** the seeds of a crawl started from `urls` */
  seeds?: string[];
  /** URLs still waiting for their host's slot when the job ended (politeness), when any */
  delayed?: number;
  /** times URLs went back to the queue to wait for their host's slot, when any */
  hostWaits?: number;
}

const byDepthThenUrl = (a: { depth: number; url: string }, b: { depth: number; url: string }) =>
  a.depth - b.depth || (a.url < b.url ? -1 : a.url > b.url ? 1 : 0);

export function buildManifest(job: JobRecord, records: FrontierRecord[], status: FinalStatus, finishedAt: number): Manifest {
  const sorted = [...records].sort(byDepthThenUrl);
  const pages: PageSummary[] = [];
  const errors: { url: string; error: string }[] = [];
  const levels: string[][] = [];
  for (const record of sorted) {
    // Aliases stand for a page listed under its own URL; capped URLs were never admitted (counted in `capped`).
    if (record.state === 'alias' || record.state === 'capped') continue;
    // A warning (a sitemap that could not be used) is no URL of the crawl: listed, not levelled.
    if (record.state === 'warning') {
      errors.push({ url: record.url, error: record.failure?.error ?? 'warning' });
      continue;
    }
    if (record.state === 'done' && record.summary) {
      pages.push(record.summary);
    } else if (record.state === 'failed') {
      errors.push({ url: record.url, error: record.failure?.error ?? 'failed' });
    } else {
      // Only a cancelled or timed-out job finishes with URLs still open.
      errors.push({ url: record.url, error: `not crawled: ${job.endReason ?? 'job ended'}` });
    }
    (levels[record.depth] ??= []).push(record.url);
  }
  return {
    jobId: job.jobId,
    url: job.url,
    ...(job.seeds ? { seeds: job.seeds } : {}),
    depth: job.depth,
    status,
    startedAt: new Date(job.startedAt).toISOString(),
    finishedAt: new Date(finishedAt).toISOString(),
    pages,
    levels: Array.from(levels, (level) => level ?? []),
    errors,
    capped: job.capped ?? 0,
    ...(job.delayed ? { delayed: job.delayed } : {}),
    ...(job.hostWaits ? { hostWaits: job.hostWaits } : {}),
  };
}
