// A claimed page rendered and its record stored in S3 under a deterministic key, once: a retry
// reuses the record an earlier attempt stored, so the set of links (and so of children) stays the
// one first seen.
import type { FrontierRecord, JobRecord } from '../core/job.js';
import { pageBehaviourOf, productRequestsOf } from '../core/job.js';
import { pageObjectKey, sha256Hex } from '../core/keys.js';
import type { PageRecord } from '../core/ports.js';
import { judgeResponse, PageThrottledError } from '../core/pushback.js';
import type { WorkerDeps } from './deps.js';
import { recordedPage, storeOutputs } from './page-outputs.js';
import type { PhaseTimer } from './phase-timer.js';
import { renderForJob } from './render-auto.js';

/** The record an earlier try of this URL stored, if any (then it needs no navigation, nor a host slot). */
export async function storedPage(job: JobRecord, record: FrontierRecord, attempt: number, deps: WorkerDeps, timer: PhaseTimer): Promise<PageRecord | null> {
  // Only an earlier try can have stored a record: an earlier attempt, or one whose attempt was
  // given back (a stack fault after the store). The first try skips the lookup.
  if (attempt <= 1 && !(record.stackFaults ?? 0)) return null;
  const stored = await timer.time('s3', () => deps.results.getPage(pageObjectKey(job.jobId, record.urlKey)));
  if (stored) deps.log.info('reusing the page record of an earlier attempt', { url: record.url });
  return stored;
}

/** Renders the page (navigating after `beforeNavigation`, the host's slot) and stores its record. */
export async function renderAndStore(
  job: JobRecord,
  record: FrontierRecord,
  attempt: number,
  deps: WorkerDeps,
  timer: PhaseTimer,
  beforeNavigation?: () => Promise<void>,
): Promise<PageRecord> {
  const key = pageObjectKey(job.jobId, record.urlKey);
  const products = productRequestsOf(job);
  // In the browser, or without one (`render: "http"`, and `auto`'s learned page types: render-auto.ts).
  const rendered = await renderForJob(job, record.url, {
    // no cookie, storage or cache of another job's pages reaches this one (adapters/browser/chromium.ts)
    jobId: job.jobId,
    navigationTimeoutMs: deps.limits.navigationTimeoutMs,
    settleIdleMs: deps.limits.settleIdleMs,
    settleMaxMs: deps.limits.settleMaxMs,
    ...(job.block?.length ? { block: job.block } : {}),
    ...(products.length > 0 ? { products } : {}),
    ...(beforeNavigation ? { beforeNavigation } : {}),
    // auto-scroll, actions, and the seeds' headers and cookies (never logged: they may be secrets)
    ...pageBehaviourOf(job),
  }, deps);
  deps.faults.hit('after-render', { url: record.url, attempt });
  // A throttle (429/503) is not a result: nothing is stored, the page waits (crawl-page.ts). A
  // challenge or block page is stored as what it is, named (core/pushback.ts).
  const verdict = judgeResponse(rendered, deps.clock.now());
  if (verdict.kind === 'throttled') throw new PageThrottledError(verdict);
  const outputs = await timer.time('s3', () => storeOutputs(job, record.urlKey, rendered.products, deps.results));
  const page: PageRecord = {
    jobId: job.jobId,
    url: record.url,
    depth: record.depth,
    parent: record.parent,
    page: recordedPage(job, rendered),
    renderedAt: new Date(deps.clock.now()).toISOString(),
    sha256: sha256Hex(rendered.html),
    ...(outputs ? { outputs } : {}),
    ...(verdict.kind === 'blocked' ? { blocked: { reason: verdict.reason, signal: verdict.signal } } : {}),
  };
  await timer.time('s3', () => deps.results.putPage(key, page));
  deps.faults.hit('after-store', { url: record.url, attempt });
  return page;
}
