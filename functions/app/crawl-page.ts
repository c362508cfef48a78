// Crawling one URL of a job, safe under duplicate delivery and a worker dying at any point.
//
// Order of effects, and why each crash point is safe:
//   claim (lease)        → a crash leaves a lease that expires; the redelivered message takes over.
//   render, store in S3  → a deterministic key: a retry overwrites, or reuses the stored record so
//                          the set of links (and so of children) stays the one first seen.
//   admit children       → one transaction per page (a conditional put per new child, up to 99,
//                          + job.admitted += n), so a crash never leaves a URL admitted but
//                          uncounted; a retry of the same parent recognises its own still-queued
//                          children and sends them again.
//   send children        → duplicates are harmless: the claim dedupes.
//   settle               → a transaction (frontier state + settled on the URL's counter shard,
//                          core/counter-shards.ts; not the job item): counted exactly once.
//                          A page settled as failed (robots, giving up, a render that cannot
//                          succeed) first sends again the children an earlier attempt admitted,
//                          as the success path does: no admitted child is left off the queue.
//   finish               → `admitted = Σ settled` checked by one transaction over the job item
//                          and its shards, conditional on the job running: one winner.
// Waiting for the host (politeness, core/host-rate.ts): after the claim and the robots check, the
// host-rate gate grants a navigation slot or says when to ask again. A URL with no slot soon is
// sent again, delayed, as the same message (same URL, same depth), and only then released with its
// attempt given back, in one transaction that counts it in the job's `delayed`: it stays admitted
// and unsettled, so `admitted - settled` is still exact and the job cannot end under it. A crash
// between the send and the release leaves the lease to expire and two messages for one URL: the
// claim dedupes them, as any duplicate delivery.
// A failure this worker sees (not a crash) releases the claim and throws: the message comes back,
// as another attempt. Transient failures of a render or of S3 (throttling, 5xx, network) are
// retried that way up to the last attempt instead of failing the page at once.
// We chose transactions over an idempotency-token design because they make `admitted - settled`
// exact at every instant, which is what lets a single condition decide the end of the job.
import { isTransientFailure, PageFailedError, UrlBusyError } from '../core/errors.js';
import {
  DEFAULT_HOST_RATE_CEILING,
  HOST_SLOT_MAX_SLEEP_MS,
  hostIntervalMs,
  hostKeyOf,
  jobIntervalMs,
  queueDelaySecondsFor,
  HostSlotDeferredError,
  type SlotDecision,
} from '../core/host-rate.js';
import type { FrontierRecord, JobRecord, PageFailure, PageSummary } from '../core/job.js';
import { outstanding, pageBehaviourOf, productRequestsOf, seedsOfJob } from '../core/job.js';
import { pageObjectKey, sha256Hex, urlKeyOf } from '../core/keys.js';
import { documentUrlOf, followedLinks } from '../core/page-links.js';
import type { CrawlMessage, PageRecord, RenderedPage } from '../core/ports.js';
import { makeSeedsScope } from '../core/scope.js';
import { normaliseLink } from '../core/url.js';
import { expiresAt, type WorkerDeps } from './deps.js';
import { finishIfDone } from './finish-job.js';
import { outputKeys, recordedPage, storeOutputs } from './page-outputs.js';
import { PhaseTimer } from './phase-timer.js';

export type CrawlOutcome = 'done' | 'failed' | 'duplicate' | 'dropped' | 'lease-lost' | 'delayed';


export interface Delivery {
  /** how long the message waited in the queue before this attempt (ms) */
  queueWaitMs?: number;
}

export async function crawlPage(message: CrawlMessage, deps: WorkerDeps, delivery: Delivery = {}): Promise<CrawlOutcome> {
  const urlKey = urlKeyOf(message.url);
  const timer = new PhaseTimer(deps.clock);
  // Options and status only: this worker's counts are read after its settle (afterSettle).
  const job = await timer.time('dynamodb', () => deps.jobs.getJobSettings(message.jobId));
  if (!job) {
    deps.log.warn('message for an unknown job dropped', { ...message });
    return 'dropped';
  }
  if (job.status !== 'running') {
    // Cancelled or finished: no new work. Resume a finish that may have been interrupted.
    await finishIfDone(job.jobId, deps);
    return 'dropped';
  }

  const claim = await timer.time('dynamodb', () => deps.frontier.claim(job.jobId, urlKey, deps.workerId, deps.limits.leaseMs));
  switch (claim.kind) {
    case 'missing':
      deps.log.warn('message for a URL that was never admitted dropped', { ...message });
      return 'dropped';
    case 'settled':
      // A duplicate delivery, or a redelivery after a crash that followed the settle.
      await finishIfDone(job.jobId, deps);
      return 'duplicate';
    case 'busy':
      throw new UrlBusyError(`${message.url} is being crawled by ${claim.record.leaseOwner}`);
    case 'claimed':
      break;
  }
  const record = claim.record;
  try {
    return await crawlClaimed(job, record, deps, delivery, timer);
  } catch (error) {
    // This worker is alive and gives the URL up: free it now, so the redelivered message (each
    // delivery an attempt) claims it at once instead of finding our lease and waiting it out.
    await deps.frontier.release(job.jobId, urlKey, deps.workerId).catch((releaseError: unknown) =>
      deps.log.warn('could not release the lease; it will expire', { url: record.url, error: String(releaseError) }),
    );
    throw error;
  }
}

/** From the claim on: the URL is ours until it is settled, or until we throw (see crawlPage). */
async function crawlClaimed(job: JobRecord, record: FrontierRecord, deps: WorkerDeps, delivery: Delivery, timer: PhaseTimer): Promise<CrawlOutcome> {
  const urlKey = record.urlKey;
  const attempt = record.attempts;
  deps.faults.hit('after-claim', { url: record.url, attempt });

  if (attempt > deps.limits.maxAttempts) {
    // Earlier attempts died without recording anything (crashed browser, timeout of the function).
    return settleFailed(job, record, `gave up after ${attempt - 1} attempts`, deps);
  }

  let crawlDelaySeconds: number | undefined;
  if (!job.ignoreRobots) {
    // A disallow is not retried: the site asked not to be crawled there, and asking again will not change that.
    const verdict = await deps.robots.check(record.url);
    // A failing robots.txt (5xx) is asked again on a later attempt (the message comes back after
    // the visibility timeout, the answer is cached only a minute); the last attempt records it.
    if (!verdict.allowed && verdict.retryable && attempt < deps.limits.maxAttempts) {
      throw new PageFailedError(`${verdict.reason}; will ask again`, true);
    }
    if (!verdict.allowed) return settleFailed(job, record, verdict.reason, deps, verdict.retryable ? undefined : 'robots');
    crawlDelaySeconds = verdict.crawlDelaySeconds;
  }

  // Politeness: no navigation before the host's slot, asked for once the tab is ready (a browser
  // that starts slowly must not bunch navigations together); a far slot is waited for in the queue.
  const beforeNavigation = async (): Promise<void> => {
    const slot = await timer.time('dynamodb', () => reserveHostSlot(job, record, crawlDelaySeconds, deps));
    if (slot.kind === 'wait') throw new HostSlotDeferredError(slot.retryInMs);
    // A URL that waited for its host stops counting as waiting while its tab sleeps for the slot:
    // after the sleep, that write would start the navigation late, closer to the next slot.
    const endWait = record.waitingSince !== undefined ? timer.time('dynamodb', () => deps.frontier.endWait(job.jobId, urlKey, deps.workerId, job.counterShards)) : undefined;
    await Promise.all([sleepUntil(slot.at, deps), endWait]);
    deps.log.debug('navigation slot', { url: record.url, slotAt: slot.at, lateMs: deps.clock.now() - slot.at });
  };

  let page: PageRecord;
  try {
    page = await loadOrRender(job, record, attempt, deps, timer, beforeNavigation);
  } catch (error) {
    // Nothing was requested of the host: not an attempt, the URL waits in the queue.
    if (error instanceof HostSlotDeferredError) return waitForHost(job, record, error.retryInMs, deps);
    // A render that may succeed next time, or S3 throttling, a 5xx, a dropped connection: the
    // message comes back (crawlPage releases the URL), up to the last attempt.
    if (isTransientFailure(error) && attempt < deps.limits.maxAttempts) throw error;
    const reason = error instanceof Error ? error.message : String(error);
    return settleFailed(job, record, reason, deps);
  }

  const children = withSitemapUrls(childrenOf(job, record, page.page, deps), await sitemapChildren(job, record, deps));
  const toSend = await timer.time('dynamodb', async () => {
    await recordRedirectTarget(job, record, page.page, deps);
    return admitChildren(job, record, children, deps);
  });
  deps.faults.hit('after-admit', { url: record.url, attempt });
  if (toSend.length > 0) {
    await timer.time('sqs', () => deps.queue.send(toSend.map((child) => ({ jobId: job.jobId, url: child.url, depth: child.depth }))));
  }
  deps.faults.hit('after-enqueue', { url: record.url, attempt });

  const summary: PageSummary = {
    url: record.url,
    finalUrl: page.page.finalUrl,
    depth: record.depth,
    parent: record.parent,
    status: page.page.status,
    title: page.page.title,
    sha256: page.sha256,
    links: page.page.links.length,
    key: pageObjectKey(job.jobId, urlKey),
    ...(outputKeys(page.outputs) ? { outputs: outputKeys(page.outputs) } : {}),
    timings: {
      queueWaitMs: delivery.queueWaitMs ?? null,
      navigationMs: page.page.timings.navigationMs,
      settleMs: page.page.timings.settleMs,
      extractMs: page.page.timings.extractMs,
      dynamodbMs: timer.totals.dynamodb,
      sqsMs: timer.totals.sqs,
      s3Ms: timer.totals.s3,
      totalMs: timer.elapsed(),
    },
  };
  deps.faults.hit('before-settle', { url: record.url, attempt });
  if (!(await deps.frontier.settle(job.jobId, urlKey, deps.workerId, { kind: 'done', summary }, job.counterShards))) {
    deps.log.warn('lease lost before settling; the new holder will settle', { url: record.url });
    return 'lease-lost';
  }
  deps.faults.hit('after-settle', { url: record.url, attempt });
  deps.log.info('page crawled', {
    jobId: job.jobId,
    url: record.url,
    depth: record.depth,
    status: page.page.status,
    links: page.page.links.length,
    admitted: toSend.length,
    ms: page.page.timings.totalMs,
  });
  await afterSettle(job, deps);
  return 'done';
}

/** Asks the host-rate gate for a navigation slot on the URL's host (granted now when there is no gate). */
async function reserveHostSlot(job: JobRecord, record: FrontierRecord, crawlDelaySeconds: number | undefined, deps: WorkerDeps): Promise<SlotDecision> {
  const now = deps.clock.now();
  if (!deps.hostRate) return { kind: 'grant', at: now, next: now };
  const hostInterval = hostIntervalMs(deps.limits.hostRateCeiling ?? DEFAULT_HOST_RATE_CEILING, crawlDelaySeconds);
  const jobInterval = jobIntervalMs(job.hostRate, hostInterval);
  return deps.hostRate.reserve({
    host: hostKeyOf(record.url),
    jobId: job.jobId,
    hostIntervalMs: hostInterval,
    ...(jobInterval !== undefined ? { jobIntervalMs: jobInterval } : {}),
    maxSleepMs: HOST_SLOT_MAX_SLEEP_MS,
  });
}

/** A granted slot at most HOST_SLOT_MAX_SLEEP_MS ahead: this tab waits for it, the batch goes on. */
async function sleepUntil(at: number, deps: WorkerDeps): Promise<void> {
  const ms = at - deps.clock.now();
  if (ms > 0) await new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * No slot soon: the same message goes back to the queue, visible when the host's slot may be free,
 * then the claim is released without counting an attempt. The original message is acknowledged.
 */
async function waitForHost(job: JobRecord, record: FrontierRecord, waitMs: number, deps: WorkerDeps): Promise<CrawlOutcome> {
  const delaySeconds = queueDelaySecondsFor(waitMs);
  await deps.queue.sendDelayed({ jobId: job.jobId, url: record.url, depth: record.depth }, delaySeconds);
  deps.faults.hit('after-delay-send', { url: record.url, attempt: record.attempts });
  const until = deps.clock.now() + delaySeconds * 1000;
  // A URL already waiting (sent back before) is counted in `delayed` once.
  if (!(await deps.frontier.releaseForHost(job.jobId, record.urlKey, deps.workerId, until, record.waitingSince === undefined, job.counterShards))) {
    deps.log.warn('lease lost before waiting for the host; the new holder goes on', { url: record.url });
    return 'lease-lost';
  }
  deps.log.debug('URL waits for its host', { jobId: job.jobId, url: record.url, delaySeconds });
  return 'delayed';
}

async function settleFailed(job: JobRecord, record: FrontierRecord, error: string, deps: WorkerDeps, kind?: PageFailure['kind']): Promise<CrawlOutcome> {
  deps.log.warn('page failed', { jobId: job.jobId, url: record.url, attempt: record.attempts, error });
  // It no longer waits for its host, whatever it waited for before.
  if (record.waitingSince !== undefined) await deps.frontier.endWait(job.jobId, record.urlKey, deps.workerId, job.counterShards);
  // However the page ends, children an earlier attempt admitted are counted in the job: they must
  // be on the queue before the page settles, or the job waits for them until the sweeper.
  await resendOwnChildren(job, record, deps);
  const settled = await deps.frontier.settle(
    job.jobId,
    record.urlKey,
    deps.workerId,
    // robots.txt refusals are marked: a redrive leaves them alone.
    { kind: 'failed', failure: { url: record.url, error, ...(kind ? { kind } : {}) } },
    job.counterShards,
  );
  if (!settled) return 'lease-lost';
  await afterSettle(job, deps);
  return 'failed';
}

/**
 * Sends again the children an earlier attempt of this page admitted and may have died before
 * sending. Children are admitted only once the page record is stored, and from that record's links,
 * so the stored record says which they are; the first attempt has no earlier one to make up for.
 */
async function resendOwnChildren(job: JobRecord, record: FrontierRecord, deps: WorkerDeps): Promise<void> {
  if (record.attempts <= 1) return;
  const stored = await deps.results.getPage(pageObjectKey(job.jobId, record.urlKey));
  if (!stored) return;
  const children = childrenOf(job, record, stored.page, deps);
  const known = await deps.frontier.existing(job.jobId, children.map((child) => urlKeyOf(child.url)));
  const unsent = children.filter((child) => {
    const existing = known.get(urlKeyOf(child.url));
    return existing !== undefined && isStillQueuedChildOf(existing, record);
  });
  if (unsent.length === 0) return;
  deps.log.info('sending again the children an earlier attempt admitted', { jobId: job.jobId, url: record.url, children: unsent.length });
  await deps.queue.send(unsent.map((child) => ({ jobId: job.jobId, url: child.url, depth: child.depth })));
}

/** Admitted by this parent and not claimed yet: an attempt of the parent may have died before sending it. */
function isStillQueuedChildOf(existing: Pick<FrontierRecord, 'discoveredBy' | 'state'>, parent: FrontierRecord): boolean {
  return existing.discoveredBy === parent.urlKey && existing.state === 'queued';
}

async function afterSettle(settings: JobRecord, deps: WorkerDeps): Promise<void> {
  const jobId = settings.jobId;
  const { job, progressDue } = await deps.jobs.readAfterSettle(jobId, deps.clock.now(), deps.limits.progressIntervalMs, settings.counterShards);
  if (!job) return;
  // Read after this settle, the counts include it and every settle before it; <= 0 because the job
  // item and its shards are separate item reads (a child admitted after the item was read may be
  // seen settled). After a job's last settle nothing admits any more, so that read is exact.
  if (job.status === 'running' && outstanding(job) <= 0) {
    await finishIfDone(jobId, deps);
    return;
  }
  if (progressDue) {
    await deps.notifier.send(job.connectionId, {
      type: 'progress',
      jobId,
      done: job.done,
      queued: Math.max(0, outstanding(job)),
      failed: job.failed,
      // Waiting for their host: a slow job that is polite, not stalled.
      ...(job.delayed ? { delayed: job.delayed } : {}),
    });
  }
}

/** A record stored by an earlier attempt is reused: the page is rendered and recorded once. */
async function loadOrRender(
  job: JobRecord,
  record: FrontierRecord,
  attempt: number,
  deps: WorkerDeps,
  timer: PhaseTimer,
  beforeNavigation?: () => Promise<void>,
): Promise<PageRecord> {
  const key = pageObjectKey(job.jobId, record.urlKey);
  // Only an earlier attempt can have stored a record; the first attempt skips the lookup.
  const stored = attempt > 1 ? await timer.time('s3', () => deps.results.getPage(key)) : null;
  if (stored) {
    deps.log.info('reusing the page record of an earlier attempt', { url: record.url });
    return stored;
  }
  const products = productRequestsOf(job);
  const rendered = await deps.renderer.render(record.url, {
    navigationTimeoutMs: deps.limits.navigationTimeoutMs,
    settleIdleMs: deps.limits.settleIdleMs,
    settleMaxMs: deps.limits.settleMaxMs,
    ...(job.block?.length ? { block: job.block } : {}),
    ...(products.length > 0 ? { products } : {}),
    ...(beforeNavigation ? { beforeNavigation } : {}),
    // auto-scroll, actions, and the seeds' headers and cookies (never logged: they may be secrets)
    ...pageBehaviourOf(job),
  });
  deps.faults.hit('after-render', { url: record.url, attempt });
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
  };
  await timer.time('s3', () => deps.results.putPage(key, page));
  deps.faults.hit('after-store', { url: record.url, attempt });
  return page;
}

interface Child {
  url: string;
  depth: number;
}

/** The page's links the job follows (core/page-links.ts), one level deeper; none at the job's depth. */
function childrenOf(job: JobRecord, record: FrontierRecord, page: RenderedPage, deps: WorkerDeps): Child[] {
  if (record.depth >= job.depth) return [];
  return followedLinks(job, record.url, page, deps.limits.maxUrlLength).map((url) => ({ url, depth: record.depth + 1 }));
}

async function admitChildren(job: JobRecord, parent: FrontierRecord, allChildren: Child[], deps: WorkerDeps): Promise<Child[]> {
  const toSend: Child[] = [];
  // Most links of a site point at pages already known (navigation, footers): one batched read
  // finds them, and only the new ones pay for an admission transaction. The transaction's own
  // condition still decides races; this read only saves work.
  const known = await deps.frontier.existing(job.jobId, allChildren.map((c) => urlKeyOf(c.url)));
  const children: Child[] = [];
  for (const child of allChildren) {
    const existing = known.get(urlKeyOf(child.url));
    if (!existing) children.push(child);
    else if (isStillQueuedChildOf(existing, parent)) toSend.push(child);
  }
  // One transaction for all new children of the page (and one counter update on the job item,
  // which is what a big job contends on), instead of one per child.
  const records: FrontierRecord[] = children.map((child) => ({
    jobId: job.jobId,
    urlKey: urlKeyOf(child.url),
    url: child.url,
    depth: child.depth,
    parent: parent.url,
    discoveredBy: parent.urlKey,
    state: 'queued' as const,
    attempts: 0,
    expiresAt: expiresAt(deps.clock, deps.limits),
  }));
  const outcomes = await deps.frontier.admitAll(records, job.maxPages);
  const capped: FrontierRecord[] = [];
  outcomes.forEach((outcome, index) => {
    const child = children[index];
    if (!child) return;
    if (outcome === 'admitted' || outcome === 'exists-mine') toSend.push(child);
    if (outcome === 'cap-reached') capped.push(records[index]!);
  });
  if (capped.length > 0) {
    // Counted by a marker per URL: a URL several pages link to, or a retried parent, counts once.
    const counted = await deps.frontier.markCapped(capped);
    deps.log.info('maxPages reached; links not admitted', { jobId: job.jobId, url: parent.url, capped: capped.length, newlyCounted: counted });
  }
  return toSend;
}

/**
 * A seed of a job with `sitemap: true`: its host's sitemap URLs in scope, at depth 0 (admitted as
 * this seed's children, so a retry of the seed recognises and resends them). A sitemap that cannot
 * be used becomes a warning in the manifest's errors; the crawl goes on.
 */
async function sitemapChildren(job: JobRecord, record: FrontierRecord, deps: WorkerDeps): Promise<Child[]> {
  if (!job.sitemap || !deps.sitemaps || record.depth !== 0 || record.discoveredBy !== null) return [];
  const found = await deps.sitemaps.urlsFor(record.url, job.maxPages);
  for (const warning of found.warnings) {
    await deps.frontier.putAlias({
      jobId: job.jobId,
      urlKey: urlKeyOf(`warning:${warning.url}`),
      url: warning.url,
      depth: 0,
      parent: record.url,
      discoveredBy: record.urlKey,
      state: 'warning',
      failure: { url: warning.url, error: warning.error },
      attempts: 0,
      expiresAt: expiresAt(deps.clock, deps.limits),
    });
  }
  const inScope = makeSeedsScope({ seeds: seedsOfJob(job), scope: job.scope, include: job.include, exclude: job.exclude });
  const children: Child[] = [];
  for (const loc of found.urls) {
    const url = normaliseLink(loc, loc, deps.limits.maxUrlLength);
    if (url !== null && url !== record.url && inScope(url)) children.push({ url, depth: 0 });
  }
  return children;
}

/** Links and sitemap URLs, each URL once (one transaction cannot write an item twice), at its lowest depth. */
function withSitemapUrls(links: Child[], fromSitemaps: Child[]): Child[] {
  if (fromSitemaps.length === 0) return links;
  const byUrl = new Map<string, Child>();
  for (const child of [...fromSitemaps, ...links]) if (!byUrl.has(child.url)) byUrl.set(child.url, child);
  return [...byUrl.values()];
}

/**
 * A page reached through a redirect also stands for the URL the redirect ended at: an alias item
 * there, so later links to it are not crawled a second time. Only a document response makes an
 * alias; a URL the page rewrote with history.replaceState/pushState is recorded (finalUrl) but
 * aliases nothing: the document at that URL was never loaded, and may be another page entirely.
 */
async function recordRedirectTarget(job: JobRecord, parent: FrontierRecord, page: RenderedPage, deps: WorkerDeps): Promise<void> {
  const finalUrl = normaliseLink(documentUrlOf(page), documentUrlOf(page), deps.limits.maxUrlLength);
  if (!finalUrl || finalUrl === parent.url) return;
  await deps.frontier.putAlias({
    jobId: job.jobId,
    urlKey: urlKeyOf(finalUrl),
    url: finalUrl,
    depth: parent.depth,
    parent: parent.parent,
    discoveredBy: parent.urlKey,
    state: 'alias',
    aliasOf: parent.url,
    attempts: 0,
    expiresAt: expiresAt(deps.clock, deps.limits),
  });
}
