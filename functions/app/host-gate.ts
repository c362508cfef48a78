// Whether, and when, a claimed URL may be fetched from its host: robots.txt first, then the
// host-rate gate's navigation slot (politeness, core/host-rate.ts). A URL with no slot soon waits
// in the queue (see the head of crawl-page.ts for why that is safe).
import { PageFailedError } from '../core/errors.js';
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
import type { FrontierRecord, JobRecord, PageFailure } from '../core/job.js';
import type { WorkerDeps } from './deps.js';
import type { PhaseTimer } from './phase-timer.js';

export type RobotsAnswer = { allowed: true; crawlDelaySeconds?: number } | { allowed: false; reason: string; kind?: PageFailure['kind'] };

/**
 * robots.txt's answer for the URL (allowed, for a job that ignores robots.txt); throws to ask again
 * on a later attempt when the host's robots.txt is failing.
 */
export async function askRobots(job: JobRecord, record: FrontierRecord, deps: WorkerDeps): Promise<RobotsAnswer> {
  if (job.ignoreRobots) return { allowed: true };
  // A disallow is not retried: the site asked not to be crawled there, and asking again will not change that.
  const verdict = await deps.robots.check(record.url);
  // A failing robots.txt (5xx) is asked again on a later attempt (the message comes back after
  // the visibility timeout, the answer is cached only a minute); the last attempt records it.
  if (!verdict.allowed && verdict.retryable && record.attempts < deps.limits.maxAttempts) {
    throw new PageFailedError(`${verdict.reason}; will ask again`, true);
  }
  if (!verdict.allowed) return { allowed: false, reason: verdict.reason, ...(verdict.retryable ? {} : { kind: 'robots' as const }) };
  return { allowed: true, crawlDelaySeconds: verdict.crawlDelaySeconds };
}

/**
 * Politeness: no navigation before the host's slot, asked for once the tab is ready (a browser
 * that starts slowly must not bunch navigations together); a far slot is waited for in the queue.
 * Returns what the renderer awaits right before it navigates (RenderOptions.beforeNavigation).
 */
export function awaitHostSlot(job: JobRecord, record: FrontierRecord, crawlDelaySeconds: number | undefined, deps: WorkerDeps, timer: PhaseTimer): () => Promise<void> {
  return async () => {
    const slot = await timer.time('dynamodb', () => reserveHostSlot(job, record, crawlDelaySeconds, deps));
    if (slot.kind === 'wait') throw new HostSlotDeferredError(slot.retryInMs);
    // A URL that waited for its host stops counting as waiting while its tab sleeps for the slot:
    // after the sleep, that write would start the navigation late, closer to the next slot.
    const endWait =
      record.waitingSince !== undefined ? timer.time('dynamodb', () => deps.frontier.endWait(job.jobId, record.urlKey, deps.workerId, job.counterShards)) : undefined;
    await Promise.all([sleepUntil(slot.at, deps), endWait]);
    deps.log.debug('navigation slot', { url: record.url, slotAt: slot.at, lateMs: deps.clock.now() - slot.at });
  };
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
export async function waitForHost(job: JobRecord, record: FrontierRecord, waitMs: number, deps: WorkerDeps): Promise<'delayed' | 'lease-lost'> {
  const delaySeconds = queueDelaySecondsFor(waitMs);
  await deps.queue.sendDelayed({ jobId: job.jobId, url: record.url, depth: record.depth }, delaySeconds);
  deps.faults.hit('after-delay-send', { url: record.url, attempt: record.attempts });
  const until = deps.clock.now() + delaySeconds * 1000;
  // A URL already waiting (sent back before) is counted in `delayed` once.
  if (!(await deps.frontier.releaseForHost(job.jobId, record.urlKey, deps.workerId, until, record.waitingSince === undefined, job.counterShards, hostKeyOf(record.url)))) {
    deps.log.warn('lease lost before waiting for the host; the new holder goes on', { url: record.url });
    return 'lease-lost';
  }
  deps.log.debug('URL waits for its host', { jobId: job.jobId, url: record.url, delaySeconds });
  return 'delayed';
}
