// A `since` crawl's first question to a host about a URL the earlier job recorded: "has it changed
// since these validators?" (If-None-Match from its ETag, If-Modified-Since from its Last-Modified).
// The request is one to the host, so it waits for the host's slot like a navigation; it goes
// through the same egress guard as every other request (adapters/http/conditional-fetch.ts).
//
// A 304: the page is `unchanged`. It is not rendered: its record is copied from the earlier job's
// inside S3 (CopyObject, no bytes through the worker), its files (screenshot, WARC…) stay where the
// earlier job put them and are referenced, and its links, read from that record, are admitted and
// followed as a rendered page's would be. Anything else (200, an error, no answer): the page is
// rendered as usual, at a slot of its own.
import { changeOf } from '../core/changes.js';
import type { FrontierRecord, JobRecord, PageSummary } from '../core/job.js';
import { pageObjectKey } from '../core/keys.js';
import type { PageRecord } from '../core/ports.js';
import type { WorkerDeps } from './deps.js';
import type { PhaseTimer } from './phase-timer.js';

/** What the earlier job recorded of the URL: a page (its summary), or nothing. */
export type EarlierPage = PageSummary | null;

/** For a `since` crawl, the earlier job's summary of this URL (null: it had no page there); undefined for any other crawl. */
export async function earlierPageOf(job: JobRecord, record: FrontierRecord, deps: WorkerDeps, timer: PhaseTimer): Promise<EarlierPage | undefined> {
  if (!job.since) return undefined;
  const earlier = await timer.time('dynamodb', () => deps.frontier.get(job.since!.jobId, record.urlKey));
  return earlier?.state === 'done' && earlier.summary ? earlier.summary : null;
}

/** Whether the URL is asked conditionally first: the earlier job had it as a 2xx page with validators, and a 304 may stand for it. */
export function asksConditionally(job: JobRecord, earlier: EarlierPage | undefined, deps: WorkerDeps): earlier is PageSummary {
  if (!job.since?.conditional || !deps.conditional || !earlier) return false;
  // Headers and cookies would not be on the conditional request: the answer might not be the page they see.
  if (job.usedCredentials) return false;
  const ok = earlier.status !== null && earlier.status >= 200 && earlier.status < 300;
  return ok && (earlier.etag !== undefined || earlier.lastModified !== undefined);
}

/**
 * Asks the host (after `atSlot`, the host slot's wait) whether the page changed. The earlier
 * record, under this job's key, when it did not; null when it must be rendered.
 */
export async function unchangedPage(
  job: JobRecord,
  record: FrontierRecord,
  earlier: PageSummary,
  atSlot: () => Promise<void>,
  deps: WorkerDeps,
  timer: PhaseTimer,
): Promise<PageRecord | null> {
  await atSlot();
  const answer = await deps.conditional!.fetch(record.url, {
    ...(earlier.etag !== undefined ? { etag: earlier.etag } : {}),
    ...(earlier.lastModified !== undefined ? { lastModified: earlier.lastModified } : {}),
  });
  deps.log.info('conditional request', { jobId: job.jobId, url: record.url, status: answer.status, ...(answer.error ? { error: answer.error } : {}) });
  if (answer.status !== 304) return null;
  // The links to follow are in the earlier record; gone (expired), the page is rendered instead.
  const stored = await timer.time('s3', () => deps.results.getPage(earlier.key));
  if (!stored) return null;
  const key = pageObjectKey(job.jobId, record.urlKey);
  await timer.time('s3', () => deps.results.copyObject(earlier.key, key));
  return {
    ...stored,
    jobId: job.jobId,
    url: record.url,
    depth: record.depth,
    parent: record.parent,
    // Not rendered now: no navigation, no settle, no extraction of ours.
    page: { ...stored.page, timings: { navigationMs: 0, settleMs: 0, extractMs: 0, totalMs: 0 }, ...(answer.validators ?? {}) },
  };
}

/** A `since` crawl's fields of the page's summary: its change against the earlier job (core/changes.ts). */
export function changeFields(earlier: EarlierPage | undefined, now: PageSummary, notModified: boolean): Partial<PageSummary> {
  if (earlier === undefined) return {};
  if (notModified) return { change: 'unchanged', notModified: true };
  const change = changeOf(earlier, now);
  if (change === undefined) return {};
  return { change, ...(change === 'changed' && earlier ? { previousKey: earlier.key } : {}) };
}
