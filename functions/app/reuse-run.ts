// Building a job upon a cached crawl (maxAge), the finisher function's part: the crawl route
// created the job, running, with its seed queued but not sent and `reusePending` (state
// `planning`), answered `accepted`, and asked for this through the finisher's queue. Here the
// cached crawl is listed and walked and the job either built upon it — a shallower crawl's pages
// copied and its next level queued (reuse-build.ts), or a deeper crawl's pages within the depth
// taken as they are, nothing left to crawl (an answer cut from it, reuse-answer.ts) — or, if it
// cannot be, crawled from its seeds like any job.
//
// Idempotent under duplicate delivery and a crash anywhere, as the message comes back; the state
// on the job item says how far it got, each step moving it on by a conditional write:
//   planning → the plan and copies are redone whole (same keys, same bytes: the plan is a function
//              of the cached crawl); the items are plain puts, safe as no URL of the job is on the
//              queue yet; then the counters and state `built` in one conditional update — or, if
//              the cached crawl cannot be used, state `seeds`. Until then the job holds its seed
//              admitted and unsettled, so it cannot end.
//   built    → the next URLs sent (from the plan, or on a repeat those of its frontier still
//              queued: a URL sent twice is claimed once), then the mark removed; with none, the
//              job ends now (every admitted URL is settled).
//   seeds    → the seeds sent (the others admitted first, idempotently), then the mark removed.
// A job cancelled (or ended by the sweeper) meanwhile is left as it is.
import type { FrontierRecord, JobRecord } from '../core/job.js';
import { urlKeyOf } from '../core/keys.js';
import type { CrawlMessage } from '../core/ports.js';
import type { AppDeps } from './deps.js';
import { finishIfDone } from './finish-job.js';
import { cutAnswer } from './reuse-answer.js';
import { buildUpon } from './reuse-build.js';
import { planned, usableSource } from './reuse-crawl.js';

export type ReuseRunOutcome = 'built' | 'seeds' | 'nothing-pending' | 'ended-meanwhile';

/** `afterCommit`: called once the build is committed, before its URLs are sent (fault injection, tests). */
export async function continueReuse(jobId: string, deps: AppDeps, afterCommit?: () => void | Promise<void>): Promise<ReuseRunOutcome> {
  let job = await deps.jobs.getJob(jobId);
  if (!job?.reusePending) return 'nothing-pending';
  if (job.status !== 'running') return 'ended-meanwhile';
  let messages: CrawlMessage[] | undefined;
  if (job.reusePending.state === 'planning') {
    const plan = await planBuild(job, deps);
    if (plan && (await deps.jobs.commitReuse(plan.built, plan.items))) {
      messages = plan.messages;
      deps.log.info('job built upon a cached crawl', { jobId, from: plan.built.reusedFrom, reused: plan.built.reused, next: messages.length });
      await afterCommit?.();
    } else if (!plan) {
      await deps.jobs.advanceReuse(jobId, 'planning', 'seeds');
    }
    // The state as it now is (a duplicate may have moved it on meanwhile, or a cancel ended the job).
    job = await deps.jobs.getJob(jobId);
    if (!job?.reusePending) return 'nothing-pending';
    if (job.status !== 'running') return 'ended-meanwhile';
  }
  if (job.reusePending!.state === 'built') {
    messages ??= await queuedOf(jobId, deps);
    if (messages.length > 0) await deps.queue.send(messages);
    await deps.jobs.advanceReuse(jobId, 'built', null);
    // None to crawl: the cached pages link nowhere new within the depth, and the job is done.
    await finishIfDone(jobId, deps);
    return 'built';
  }
  await deps.queue.send(await seedMessages(job, deps));
  await deps.jobs.advanceReuse(jobId, 'seeds', null);
  return 'seeds';
}

/** The job's items and counters upon its cached crawl, its pages copied; null if it cannot be built. */
async function planBuild(job: JobRecord, deps: AppDeps): Promise<{ built: JobRecord; items: FrontierRecord[]; messages: CrawlMessage[] } | null> {
  const from = job.reusePending!;
  const read = await deps.jobs.getJob(from.jobId);
  const entry = { jobId: from.jobId, finishedAt: from.finishedAt, depth: read?.depth ?? -1 };
  const source = read && (await usableSource(entry, job.owner, deps));
  if (!source) return null;
  // Planned upon the job as the route created it: its counters are the ones the build replaces.
  const built = await planned(() => (source.depth > job.depth ? cutAnswer(source, entry, job, deps) : buildUpon(source, entry, job, deps)), source, deps);
  if (!built) return null;
  return { built: built.job, items: [built.seed, ...built.items], messages: built.messages };
}

/** On a repeat after the build was committed: the URLs of its frontier still waiting to be crawled. */
async function queuedOf(jobId: string, deps: AppDeps): Promise<CrawlMessage[]> {
  return (await deps.frontier.list(jobId)).filter((r) => r.state === 'queued').map((r) => ({ jobId, url: r.url, depth: r.depth }));
}

/**
 * Crawled from its seeds, as a job without reuse: the first seed was admitted with the job; the
 * others are admitted now (against maxPages; the ones past it counted in `capped`). A repeat finds
 * them admitted already ('exists-mine' is not an answer for seeds, which have no parent), so it
 * sends every seed whose item is still queued.
 */
async function seedMessages(job: JobRecord, deps: AppDeps): Promise<CrawlMessage[]> {
  const seeds = job.seeds ?? [job.url];
  const others = seeds.slice(1).map(
    (url): FrontierRecord => ({ jobId: job.jobId, urlKey: urlKeyOf(url), url, depth: 0, parent: null, discoveredBy: null, state: 'queued', attempts: 0, expiresAt: job.expiresAt }),
  );
  if (others.length > 0) {
    const outcomes = await deps.frontier.admitAll(others, job.maxPages);
    const capped = others.filter((_, i) => outcomes[i] === 'cap-reached');
    if (capped.length > 0) await deps.frontier.markCapped(capped);
  }
  const items = await deps.frontier.existing(job.jobId, seeds.map(urlKeyOf));
  return seeds.filter((url) => items.get(urlKeyOf(url))?.state === 'queued').map((url) => ({ jobId: job.jobId, url, depth: 0 }));
}
