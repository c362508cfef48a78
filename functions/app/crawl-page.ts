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
// Waiting for the host (politeness, core/host-rate.ts): after the claim and the robots check, and
// before any tab is opened, the host-rate gate grants a navigation slot or gives the URL its turn in
// the host's backlog. A URL with no slot soon is
// sent again, delayed, as the same message (same URL, same depth), and only then released with its
// attempt given back, in one transaction that counts it in the job's `delayed`: it stays admitted
// and unsettled, so `admitted - settled` is still exact and the job cannot end under it. A crash
// between the send and the release leaves the lease to expire and two messages for one URL: the
// claim dedupes them, as any duplicate delivery.
// Exact depth (core/depth.ts): the record's depth wins over the message's. A shorter path that
// finds the URL lowers its record by conditional updates; a page settles as done only at the depth
// its links were admitted from (a condition of the settle), so a holder whose record was lowered
// meanwhile admits them again, one level up. A done page whose links a shorter path needs is
// reopened: queued again with its settle taken back on its counter shard (`admitted - settled`
// stays exact, the job cannot end under it), and the worker that claims it admits the stored
// record's links at the new depth without asking its host again.
// A failure this worker sees (not a crash) releases the claim and throws: the message comes back
// after a backoff (handlers/worker.ts, core/retry-backoff.ts). A transient failure of the page's
// own (a render, its host's robots.txt) is retried that way as another attempt, up to the last;
// one of the stack's (AWS throttling or 5xx, a browser that did not start: core/errors.ts
// isStackFault) gives its attempt back in the release, so it never uses up the page's attempts
// (the queue's maxReceiveCount still bounds how often a message comes back). A crash (the
// function timed out or died) gives nothing back: it may be the page's doing.
// We chose transactions over an idempotency-token design because they make `admitted - settled`
// exact at every instant, which is what lets a single condition decide the end of the job.
// A `since` crawl (conditional-fetch.ts) first asks the host, at the host's slot, whether a URL the
// earlier job recorded changed: a 304 stands for the page (its earlier record copied, its links
// admitted), anything else is rendered at a slot of its own; every page is then compared with the
// earlier job's (its `change`).
// Where each step's detail is: host-gate.ts (robots.txt, the host's slot, waiting for it),
// conditional-fetch.ts (a `since` crawl's conditional request), render-and-store.ts,
// admit-children.ts (children, sitemap URLs, redirect aliases, resending),
// settle-page.ts (the page's summary, a failed or blocked page, what follows a settle),
// throttled-page.ts (a 429/503: the host slows down, the page waits; core/pushback.ts).
import { isReopenedPage } from '../core/depth.js';
import { isStackFault, isTransientFailure, UrlBusyError } from '../core/errors.js';
import { HostSlotDeferredError } from '../core/host-rate.js';
import type { FrontierRecord, JobRecord } from '../core/job.js';
import { pageObjectKey, urlKeyOf } from '../core/keys.js';
import type { CrawlMessage, PageRecord } from '../core/ports.js';
import { admitPageChildren, sendChildren, type Child } from './admit-children.js';
import { withMessageTurn } from './pace-children.js';
import type { WorkerDeps } from './deps.js';
import { finishIfDone } from './finish-job.js';
import { askRobots, navigateAtSlot, takeHostSlot, untilTabTime, waitForHost } from './host-gate.js';
import { PhaseTimer } from './phase-timer.js';
import { renderAndStore, storedPage } from './render-and-store.js';
import { afterSettle, pageSummaryOf, settleBlocked, settleFailed } from './settle-page.js';
import { PageThrottledError } from '../core/pushback.js';
import { throttledPage } from './throttled-page.js';
import { asksConditionally, changeFields, earlierPageOf, unchangedPage, type EarlierPage } from './conditional-fetch.js';

export type CrawlOutcome = 'done' | 'failed' | 'duplicate' | 'dropped' | 'lease-lost' | 'delayed' | 'blocked';


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
      throw new UrlBusyError(`${message.url} is being crawled by ${claim.record.leaseOwner}`, claim.record.leaseUntil);
    case 'claimed':
      break;
  }
  // A paced child's message carries its turn in the host's backlog (pace-children.ts).
  const record = withMessageTurn(claim.record, message);
  try {
    return await crawlClaimed(job, record, deps, delivery, timer);
  } catch (error) {
    // This worker is alive and gives the URL up: free it now, so the redelivered message (each
    // delivery an attempt) claims it at once instead of finding our lease and waiting it out.
    // A failure that was the stack's, not the page's, gives the claim's attempt back in the same
    // write (core/errors.ts isStackFault): only the page's own failures use up its attempts.
    await deps.frontier.release(job.jobId, urlKey, deps.workerId, isStackFault(error)).catch((releaseError: unknown) =>
      deps.log.warn('could not release the lease; it will expire', { url: record.url, error: String(releaseError) }),
    );
    throw error;
  }
}

/** From the claim on: the URL is ours until it is settled, or until we throw (see crawlPage). */
async function crawlClaimed(job: JobRecord, record: FrontierRecord, deps: WorkerDeps, delivery: Delivery, timer: PhaseTimer): Promise<CrawlOutcome> {
  const attempt = record.attempts;
  deps.faults.hit('after-claim', { url: record.url, attempt });

  if (attempt > deps.limits.maxAttempts) {
    // Earlier attempts died without recording anything (crashed browser, timeout of the function).
    return settleFailed(job, record, `gave up after ${attempt - 1} attempts`, deps);
  }

  // A page reopened because a shorter path found it (core/depth.ts): its stored record's links
  // are admitted at its new depth; nothing is asked of its host again.
  const stored = isReopenedPage(record) ? await timer.time('s3', () => deps.results.getPage(pageObjectKey(job.jobId, record.urlKey))) : null;
  if (stored) return admitAndSettle(job, record, stored, deps, delivery, timer);

  // The host's gate: robots.txt, then the navigation slot, before any tab is opened (host-gate.ts).
  const robots = await askRobots(job, record, deps);
  if (!robots.allowed) return settleFailed(job, record, robots.reason, deps, robots.kind);

  // A `since` crawl: what the earlier job recorded of this URL (conditional-fetch.ts).
  const earlier = await earlierPageOf(job, record, deps, timer);
  // Render and store (or reuse what an earlier try stored: no navigation, so no slot).
  let page: PageRecord | null = null;
  let notModified = false;
  try {
    page = await storedPage(job, record, attempt, deps, timer);
    if (!page) {
      let slot = await takeHostSlot(job, record, robots.crawlDelaySeconds, deps, timer);
      // No slot soon: nothing was requested of the host, no tab opened; the URL waits in the queue.
      if (slot.kind === 'wait') return await waitForHost(job, record, slot.retryInMs, deps, slot.ticketAt);
      if (asksConditionally(job, earlier, deps)) {
        page = await unchangedPage(job, record, earlier, navigateAtSlot(job, record, slot, robots.crawlDelaySeconds, deps, timer), deps, timer);
        notModified = page !== null;
        // Changed: the host answered that request; the navigation is another, at a slot of its own.
        if (!page) slot = await takeHostSlot(job, record, robots.crawlDelaySeconds, deps, timer);
        if (slot.kind === 'wait') return await waitForHost(job, record, slot.retryInMs, deps, slot.ticketAt);
      }
      if (!page) {
        const beforeNavigation = navigateAtSlot(job, record, slot, robots.crawlDelaySeconds, deps, timer);
        await untilTabTime(slot, deps);
        page = await renderAndStore(job, record, attempt, deps, timer, beforeNavigation);
      }
    }
  } catch (error) {
    // The slot was lost while the tab opened, and none is near: not an attempt, the URL waits.
    if (error instanceof HostSlotDeferredError) return waitForHost(job, record, error.retryInMs, deps, error.ticketAt);
    // The host answered 429/503: not a result; the host slows down for every job, the page waits (throttled-page.ts).
    if (error instanceof PageThrottledError) return throttledPage(job, record, error.verdict, deps);
    // The stack's own failure (AWS throttling or 5xx, a browser that did not start): the message
    // comes back (crawlPage releases the URL and gives its attempt back), whatever the attempt.
    if (isStackFault(error)) throw error;
    // A render that may succeed next time, a failing robots.txt: the message comes back, as
    // another attempt, up to the last one.
    if (isTransientFailure(error) && attempt < deps.limits.maxAttempts) throw error;
    const reason = error instanceof Error ? error.message : String(error);
    return settleFailed(job, record, reason, deps);
  }

  return admitAndSettle(job, record, page, deps, delivery, timer, robots.crawlDelaySeconds, { earlier, notModified });
}

/** The page is stored: its children admitted and sent, then the page settled as done. */
async function admitAndSettle(
  job: JobRecord,
  claimed: FrontierRecord,
  page: PageRecord,
  deps: WorkerDeps,
  delivery: Delivery,
  timer: PhaseTimer,
  crawlDelaySeconds?: number,
  since: { earlier?: EarlierPage; notModified?: boolean } = {},
): Promise<CrawlOutcome> {
  const attempt = claimed.attempts;
  // A challenge or block page (core/pushback.ts): kept as what it is, its links not followed.
  if (page.blocked) return settleBlocked(job, claimed, page, deps, delivery.queueWaitMs, timer);
  let record = claimed;
  let toSend: Child[];
  for (;;) {
    // Admit the page's children, then send them.
    const admitted = await admitPageChildren(job, record, page.page, deps, timer);
    toSend = admitted.toSend;
    deps.faults.hit('after-admit', { url: record.url, attempt });
    // Children on the page's own host go out paced, each due at its turn in the host's backlog (pace-children.ts).
    if (toSend.length > 0) await timer.time('sqs', () => sendChildren(job, toSend, deps, { parentUrl: record.url, crawlDelaySeconds }));
    deps.faults.hit('after-enqueue', { url: record.url, attempt });

    // Settle: the page is done, counted once; a lease another worker took over is theirs to settle.
    // A page reopened for its links keeps the summary of its crawl, at its new depth.
    // Its dropped links are counted with its first settle only: a reopened page was counted then.
    const reopened = isReopenedPage(record);
    const fresh = () => {
      const summary = { ...pageSummaryOf(job, record, page, delivery.queueWaitMs, timer), ...(admitted.linksDropped > 0 ? { linksDropped: admitted.linksDropped } : {}) };
      // A `since` crawl's page: how it compares with the earlier job's (conditional-fetch.ts).
      return { ...summary, ...changeFields(since.earlier, summary, since.notModified === true) };
    };
    const summary = reopened ? { ...record.summary!, depth: record.depth, parent: record.parent } : fresh();
    const linksDropped = reopened ? 0 : admitted.linksDropped;
    deps.faults.hit('before-settle', { url: record.url, attempt });
    if (await deps.frontier.settle(job.jobId, record.urlKey, deps.workerId, { kind: 'done', summary, ...(linksDropped > 0 ? { linksDropped } : {}) }, job.counterShards)) break;
    // Still ours, but a shorter path lowered its depth meanwhile: its links again, one level up.
    const now = await deps.frontier.get(job.jobId, record.urlKey);
    if (now?.state === 'claimed' && now.leaseOwner === deps.workerId && now.depth < record.depth) {
      deps.log.info('depth lowered while crawling; admitting the links again', { url: record.url, depth: now.depth, was: record.depth });
      record = now;
      continue;
    }
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
  // Finish: the job ends here if this was its last URL; else its client may be told the progress.
  await afterSettle(job, deps);
  return 'done';
}
