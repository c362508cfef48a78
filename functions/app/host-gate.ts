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
  SLOT_LATE_TOLERANCE_MS,
  SLOT_LEAD_MS,
  TAB_OPEN_AHEAD_MS,
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
 * Politeness, step one: the host's slot is reserved before a tab is opened or any other per-page
 * work is done, so a URL whose host is busy goes back to the queue having cost one claim and one
 * gate write, no tab (and no count toward the browser's recycling). A URL that comes back before
 * its turn in the host's backlog (a wait longer than SQS's 900 s) is sent back again without
 * asking the gate.
 */
export async function takeHostSlot(job: JobRecord, record: FrontierRecord, crawlDelaySeconds: number | undefined, deps: WorkerDeps, timer: PhaseTimer): Promise<SlotDecision> {
  const ticketAt = record.hostTicketAt;
  const now = deps.clock.now();
  if (ticketAt !== undefined && ticketAt > now + HOST_SLOT_MAX_SLEEP_MS) return { kind: 'wait', retryInMs: ticketAt - now, ticketAt };
  return timer.time('dynamodb', () => reserveHostSlot(job, record, crawlDelaySeconds, deps, ticketAt));
}

/**
 * Politeness, step two: what the renderer awaits right before it navigates (RenderOptions
 * .beforeNavigation), once the tab is open: sleep until the granted slot. The tab is opened while
 * the slot is still ahead (at most TAB_OPEN_AHEAD_MS before it: untilTabTime), so it is usually
 * ready in time. A tab
 * that was not (a cold browser, a busy CPU) would navigate late, and the next slot's holder could
 * follow it closer than the interval: bunched navigations. So a navigation later than
 * SLOT_LATE_TOLERANCE_MS past its slot asks the gate again (as the holder of a due turn, the one it
 * lost) and sleeps until the new slot; with none soon, the URL waits in the queue after all.
 */
export function navigateAtSlot(
  job: JobRecord,
  record: FrontierRecord,
  granted: Extract<SlotDecision, { kind: 'grant' }>,
  crawlDelaySeconds: number | undefined,
  deps: WorkerDeps,
  timer: PhaseTimer,
): () => Promise<void> {
  // A URL that waited for its host stops counting as waiting now, while its tab opens: after the
  // sleep, that write would start the navigation late. Its failure surfaces before the navigation.
  const ended: Promise<unknown> =
    record.waitingSince !== undefined
      ? timer.time('dynamodb', () => deps.frontier.endWait(job.jobId, record.urlKey, deps.workerId, job.counterShards)).then(
          () => {
            // No longer waiting: should the slot be lost after all (below), waitForHost counts the
            // URL in the job's `delayed` again.
            delete record.waitingSince;
            return undefined;
          },
          (error: unknown) => error ?? new Error('endWait failed'),
        )
      : Promise.resolve(undefined);
  return async () => {
    const failed = await ended;
    if (failed) throw failed;
    let slot = granted;
    // Its own slot moved to now, when no one reserved after it: it keeps its place (asking again
    // would find the next free slot an interval on, beyond the sleep bound on a slow host, and
    // send it to the back of the backlog to wait once more, its slot left idle).
    if (deps.clock.now() > slot.at + SLOT_LATE_TOLERANCE_MS) {
      const lateMs = deps.clock.now() - slot.at;
      const moved = await timer.time('dynamodb', () => slideHostSlot(job, record, slot.at, crawlDelaySeconds, deps));
      if (moved) {
        slot = moved;
        deps.log.debug('navigation slot missed; moved to now', { url: record.url, lateMs, slotAt: moved.at });
      }
    }
    if (deps.clock.now() > slot.at + SLOT_LATE_TOLERANCE_MS) {
      const again = await timer.time('dynamodb', () => reserveHostSlot(job, record, crawlDelaySeconds, deps, slot.at));
      deps.log.debug('navigation slot missed; asked again', { url: record.url, slotAt: slot.at, lateMs: deps.clock.now() - slot.at, again: again.kind });
      if (again.kind === 'wait') throw new HostSlotDeferredError(again.retryInMs, again.ticketAt);
      slot = again;
    }
    await sleepUntil(slot.at, deps);
    deps.log.debug('navigation slot', { url: record.url, slotAt: slot.at, lateMs: deps.clock.now() - slot.at });
  };
}

/** Before the tab is opened: sleeps until TAB_OPEN_AHEAD_MS before a granted slot, if it is further ahead. */
export async function untilTabTime(slot: Extract<SlotDecision, { kind: 'grant' }>, deps: WorkerDeps): Promise<void> {
  await sleepUntil(slot.at - TAB_OPEN_AHEAD_MS, deps);
}

/** Asks the host-rate gate for a navigation slot on the URL's host (granted now when there is no gate). */
async function reserveHostSlot(job: JobRecord, record: FrontierRecord, crawlDelaySeconds: number | undefined, deps: WorkerDeps, ticketAt?: number): Promise<SlotDecision> {
  const now = deps.clock.now();
  if (!deps.hostRate) return { kind: 'grant', at: now, next: now };
  const ceiling = deps.limits.hostRateCeiling ?? DEFAULT_HOST_RATE_CEILING;
  const hostInterval = hostIntervalMs(ceiling, crawlDelaySeconds);
  const jobInterval = jobIntervalMs(job.hostRate, hostInterval);
  return deps.hostRate.reserve({
    host: hostKeyOf(record.url),
    jobId: job.jobId,
    hostIntervalMs: hostInterval,
    // the host's pushback (core/host-pushback.ts) is measured against it
    ceiling,
    ...(jobInterval !== undefined ? { jobIntervalMs: jobInterval } : {}),
    maxSleepMs: HOST_SLOT_MAX_SLEEP_MS,
    ...(ticketAt !== undefined ? { ticketAt } : {}),
  });
}

/** Moves a late navigation's own slot to just ahead of now (HostRateGate.slide): the new grant, or null when it cannot. */
async function slideHostSlot(
  job: JobRecord,
  record: FrontierRecord,
  slotAt: number,
  crawlDelaySeconds: number | undefined,
  deps: WorkerDeps,
): Promise<Extract<SlotDecision, { kind: 'grant' }> | null> {
  if (!deps.hostRate) return null;
  const hostInterval = hostIntervalMs(deps.limits.hostRateCeiling ?? DEFAULT_HOST_RATE_CEILING, crawlDelaySeconds);
  const jobInterval = jobIntervalMs(job.hostRate, hostInterval);
  // Decided before the write, as a grant is (decideSlot): the lead covers the write's own time.
  const to = deps.clock.now() + SLOT_LEAD_MS;
  const moved = await deps.hostRate.slide({
    host: hostKeyOf(record.url),
    jobId: job.jobId,
    hostIntervalMs: hostInterval,
    ...(jobInterval !== undefined ? { jobIntervalMs: jobInterval } : {}),
    slotAt,
    to,
  });
  return moved ? { kind: 'grant', at: to, next: to + hostInterval } : null;
}

/** A granted slot at most HOST_SLOT_MAX_SLEEP_MS ahead: this tab waits for it, the batch goes on. */
async function sleepUntil(at: number, deps: WorkerDeps): Promise<void> {
  const ms = at - deps.clock.now();
  if (ms > 0) await new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * No slot soon: the same message goes back to the queue, visible at the URL's turn in the host's
 * backlog (`ticketAt`, kept on the URL; core/host-rate.ts HostTicket) or when the host's slot may
 * be free, at most SQS's 900 s ahead; then the claim is released without counting an attempt. The
 * original message is acknowledged.
 */
export async function waitForHost(
  job: JobRecord,
  record: FrontierRecord,
  waitMs: number,
  deps: WorkerDeps,
  ticketAt?: number,
  /** the host throttled the page (app/throttled-page.ts): counted on the URL, its attempt kept past the free ones */
  throttle?: { keepAttempt: boolean },
): Promise<'delayed' | 'lease-lost'> {
  const delaySeconds = queueDelaySecondsFor(waitMs);
  await deps.queue.sendDelayed({ jobId: job.jobId, url: record.url, depth: record.depth }, delaySeconds);
  deps.faults.hit('after-delay-send', { url: record.url, attempt: record.attempts });
  const until = deps.clock.now() + delaySeconds * 1000;
  // A URL already waiting (sent back before) is counted in `delayed` once.
  if (!(await deps.frontier.releaseForHost(job.jobId, record.urlKey, deps.workerId, until, record.waitingSince === undefined, job.counterShards, ticketAt, hostKeyOf(record.url), throttle))) {
    deps.log.warn('lease lost before waiting for the host; the new holder goes on', { url: record.url });
    return 'lease-lost';
  }
  deps.log.debug('URL waits for its host', { jobId: job.jobId, url: record.url, delaySeconds, ...(ticketAt !== undefined ? { ticketAt } : {}) });
  return 'delayed';
}
