// A page's children: the links the job follows (core/page-links.ts), and a seed's sitemap URLs,
// admitted to the frontier in one transaction per page (a conditional put per new child, up to 99,
// + job.admitted += n), so a crash never leaves a URL admitted but uncounted; a retry of the same
// parent recognises its own still-queued children and sends them again.
//
// Bounded work per page. A page adds at most N = min(its in-scope links, maxLinksPerPage) children
// (core/page-links.ts linksToFollow; the rest only add to the job's `linksDropped`, on the settle's
// counter update: no item, no request of their own), plus its sitemap URLs when it is a seed of a
// `sitemap: true` job (those are bounded by maxPages). For those N, DynamoDB sees at most:
//   reads:  ceil(N/100) BatchGetItem (frontier `existing`; unprocessed keys retried with backoff),
//           plus one GetItem per child another page admitted between that read and our write (≤ N);
//   writes: ceil(N/99) admission transactions when nothing races (99 children + the job counter
//           each); a refused one is retried without the children it names, so ≤ N + ceil(N/99) in
//           all; the same again for the maxPages markers (markCapped), only for the children past
//           maxPages; one UpdateItem per child found by a shorter path (lowerDepth, ≤ N); one PutItem
//           for a redirect's alias.
// core/page-work.ts admissionBound states the figures. So a page costs O(N) requests, and O(N/99) in the usual case (≈ 2·N/99 + 2 at a full cap): with
// the default 2,000, about 21 reads and 21–42 transactions, however many links the page has.
import type { FrontierRecord, JobRecord } from '../core/job.js';
import { seedsOfJob } from '../core/job.js';
import { pageObjectKey, urlKeyOf } from '../core/keys.js';
import { documentUrlOf, linksToFollow } from '../core/page-links.js';
import type { RenderedPage } from '../core/ports.js';
import { makeSeedsScope } from '../core/scope.js';
import { normaliseLink } from '../core/url.js';
import { expiresAt, type WorkerDeps } from './deps.js';
import { paceChildren, type ChildPacing } from './pace-children.js';
import type { PhaseTimer } from './phase-timer.js';

export interface Child {
  url: string;
  depth: number;
}

/**
 * Admits the page's children (its followed links and, for a seed, its sitemap URLs) and records
 * where its redirects ended; returns the children to send: the new ones and those still queued.
 */
export async function admitPageChildren(
  job: JobRecord,
  record: FrontierRecord,
  page: RenderedPage,
  deps: WorkerDeps,
  timer: PhaseTimer,
): Promise<{ toSend: Child[]; linksDropped: number }> {
  const followed = pageChildren(job, record, page, deps);
  if (followed.dropped > 0) deps.log.info('links past maxLinksPerPage not followed', { jobId: job.jobId, url: record.url, followed: followed.children.length, dropped: followed.dropped });
  const children = withSitemapUrls(followed.children, await sitemapChildren(job, record, deps));
  const toSend = await timer.time('dynamodb', async () => {
    await recordRedirectTarget(job, record, page, deps);
    return admitChildren(job, record, children, deps);
  });
  return { toSend, linksDropped: followed.dropped };
}

/**
 * Children on the crawl queue; sent twice is harmless: the claim dedupes. With `pacing`, those on
 * the parent's host are sent delayed to their turns in its backlog (pace-children.ts).
 */
export async function sendChildren(job: JobRecord, children: Child[], deps: WorkerDeps, pacing?: ChildPacing): Promise<void> {
  const messages = children.map((child) => ({ jobId: job.jobId, url: child.url, depth: child.depth }));
  if (!pacing) return deps.queue.send(messages);
  const paced = await paceChildren(job, messages, pacing, deps);
  await deps.queue.send(paced.messages, paced.delaysSeconds);
}

/** The page's links the job follows (core/page-links.ts), one level deeper; none at the job's depth. */
function childrenOf(job: JobRecord, record: FrontierRecord, page: RenderedPage, deps: WorkerDeps): Child[] {
  return pageChildren(job, record, page, deps).children;
}

/** Its children, at most maxLinksPerPage, and how many of its links were dropped past that. */
function pageChildren(job: JobRecord, record: FrontierRecord, page: RenderedPage, deps: WorkerDeps): { children: Child[]; dropped: number } {
  if (record.depth >= job.depth) return { children: [], dropped: 0 };
  const { links, dropped } = linksToFollow(job, record.url, page, deps.limits);
  return { children: links.map((url) => ({ url, depth: record.depth + 1 })), dropped };
}

async function admitChildren(job: JobRecord, parent: FrontierRecord, allChildren: Child[], deps: WorkerDeps): Promise<Child[]> {
  const toSend: Child[] = [];
  // Most links of a site point at pages already known (navigation, footers): one batched read
  // finds them, and only the new ones pay for an admission transaction. The transaction's own
  // condition still decides races; this read only saves work.
  const known = await deps.frontier.existing(job.jobId, allChildren.map((c) => urlKeyOf(c.url)));
  const children: Child[] = [];
  const shallower: { child: Child; existing: FrontierRecord }[] = [];
  for (const child of allChildren) {
    const existing = known.get(urlKeyOf(child.url));
    if (!existing) children.push(child);
    // First: the parent's own queued children too, when the parent itself was lowered since it admitted them.
    else if (existing.depth > child.depth && (existing.state !== 'alias' || existing.aliasOf)) shallower.push({ child, existing });
    else if (isStillQueuedChildOf(existing, parent)) toSend.push(child);
  }
  // Found first through a longer path (waits reorder the work): each takes this shorter one.
  for (const { child, existing } of shallower) {
    const lowered = await lowerToDepth(job, parent, child, existing, deps);
    if (lowered) toSend.push(lowered);
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
  const racedIn: Child[] = [];
  outcomes.forEach((outcome, index) => {
    const child = children[index];
    if (!child) return;
    if (outcome === 'admitted' || outcome === 'exists-mine') toSend.push(child);
    if (outcome === 'cap-reached') capped.push(records[index]!);
    // Admitted by another page since the read above, maybe through a longer path.
    if (outcome === 'exists-other') racedIn.push(child);
  });
  for (const child of racedIn) {
    const existing = await deps.frontier.get(job.jobId, urlKeyOf(child.url));
    if (!existing || existing.depth <= child.depth) continue;
    const lowered = await lowerToDepth(job, parent, child, existing, deps);
    if (lowered) toSend.push(lowered);
  }
  if (capped.length > 0) {
    // Counted by a marker per URL: a URL several pages link to, or a retried parent, counts once.
    const counted = await deps.frontier.markCapped(capped);
    deps.log.info('maxPages reached; links not admitted', { jobId: job.jobId, url: parent.url, capped: capped.length, newlyCounted: counted });
  }
  return toSend;
}

/**
 * A known URL found at a smaller depth than its record's (core/depth.ts): the record is lowered, or
 * reopened when it was crawled with its links cut; a redirect target's alias lowers the page it
 * stands for. Returns the URL to send when it must be on the queue.
 */
async function lowerToDepth(job: JobRecord, parent: FrontierRecord, child: Child, existing: FrontierRecord, deps: WorkerDeps): Promise<Child | null> {
  const url = existing.state === 'alias' && existing.aliasOf ? existing.aliasOf : child.url;
  const outcome = await deps.frontier.lowerDepth(job.jobId, urlKeyOf(url), { depth: child.depth, parent: parent.url, discoveredBy: parent.urlKey }, job.counterShards);
  if (outcome !== 'unchanged') deps.log.info('URL found by a shorter path', { jobId: job.jobId, url, depth: child.depth, was: existing.depth, outcome });
  return outcome === 'send' ? { url, depth: child.depth } : null;
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

/**
 * Sends again the children an earlier attempt of this page admitted and may have died before
 * sending. Children are admitted only once the page record is stored, and from that record's links,
 * so the stored record says which they are; the first attempt has no earlier one to make up for.
 */
export async function resendOwnChildren(job: JobRecord, record: FrontierRecord, deps: WorkerDeps): Promise<void> {
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
  await sendChildren(job, unsent, deps);
}

/** Admitted by this parent and not claimed yet: an attempt of the parent may have died before sending it. */
function isStillQueuedChildOf(existing: Pick<FrontierRecord, 'discoveredBy' | 'state'>, parent: FrontierRecord): boolean {
  return existing.discoveredBy === parent.urlKey && existing.state === 'queued';
}
