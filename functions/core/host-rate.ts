// Politeness: how often one host may be sent a page navigation. Pure arithmetic of the slots the
// host-rate gate (adapters/dynamodb/host-rate-gate.ts) grants; the gate keeps one "next free slot"
// instant per host, shared by every job and crawler environment, and advances it by conditional
// writes.

/** page navigations per second to one host, from all jobs and environments together */
export const DEFAULT_HOST_RATE_CEILING = 2;

/**
 * Added to every interval (at most a fifth of it). The gate grants the instant a navigation may
 * start; the request reaches the host some milliseconds later (Chromium sends it, a busy CPU delays
 * a timer), and how many varies with the load. Without an allowance, one navigation that arrives
 * late and the next that arrives early would reach the host closer together than the interval.
 * Measured on a loaded 2-core machine, the spread of that lag stayed under ~150 ms; 100 ms per
 * interval (with SLOT_LEAD_MS, below) keeps a host under its rate, at 17 % of a 2/s ceiling.
 */
export const HOST_RATE_JITTER_MS = 100;

/**
 * Slots are granted this far ahead of the decision, never at "now": the reservation's own write
 * takes a variable time, and a slot that had already begun when the write returned would start its
 * navigation late by that much. Ahead, every navigation sleeps until its slot and starts on time.
 */
export const SLOT_LEAD_MS = 150;

function withAllowance(baseMs: number): number {
  return Math.ceil(baseMs) + Math.min(HOST_RATE_JITTER_MS, Math.ceil(baseMs / 5));
}

/**
 * A slot this close is waited for inside the worker (the tab sleeps, the rest of the batch goes
 * on); a later one sends the URL back to the queue with a delay instead of burning paid time.
 */
export const HOST_SLOT_MAX_SLEEP_MS = 1_000;

/** SQS DelaySeconds cannot exceed 15 minutes; a longer wait is asked again after that. */
export const MAX_QUEUE_DELAY_SECONDS = 900;

/** The key the gate counts by: a host and its port (an origin without the scheme). */
export function hostKeyOf(url: string): string {
  return new URL(url).host;
}

/**
 * The spacing of one host's navigations: the slowest of the stack's ceiling, the host's robots.txt
 * Crawl-delay (seconds) and the job's own rate (per second), plus the jitter allowance.
 */
export function hostIntervalMs(ceiling: number, crawlDelaySeconds?: number): number {
  const fromCeiling = 1000 / ceiling;
  const fromRobots = crawlDelaySeconds !== undefined && Number.isFinite(crawlDelaySeconds) && crawlDelaySeconds > 0 ? crawlDelaySeconds * 1000 : 0;
  return withAllowance(Math.max(fromCeiling, fromRobots));
}

/** The spacing a job asks for with `hostRate`, when it is slower than the host's; else none. */
export function jobIntervalMs(jobRate: number | undefined, hostInterval: number): number | undefined {
  if (jobRate === undefined || !(jobRate > 0)) return undefined;
  const interval = withAllowance(1000 / jobRate);
  return interval > hostInterval ? interval : undefined;
}

export type SlotDecision =
  /** the navigation may start at `at` (≤ now + maxSleepMs); the gate's next free slot becomes `next` */
  | { kind: 'grant'; at: number; next: number }
  /**
   * no slot soon enough: nothing was reserved; ask again in `retryInMs`. `ticketAt`: the turn the
   * URL was given in the host's backlog (HostTicket, below), when the gate gave one.
   */
  | { kind: 'wait'; retryInMs: number; ticketAt?: number };

/**
 * Reserving the next free slot. `next` is the gate's stored next free instant (undefined: never
 * used). A slot is granted at max(next, notBefore, now) when that is at most `maxSleepMs` away, and
 * the next free instant moves one interval past it. A farther slot is not reserved: the URL waits
 * in the queue and asks again, so no slot is held by a message that may come back late (SQS delays
 * are whole seconds) and navigate next to another one.
 */
export function decideSlot(next: number | undefined, now: number, intervalMs: number, maxSleepMs: number, notBefore = now, backlog?: number): SlotDecision {
  const at = Math.max(now + SLOT_LEAD_MS, notBefore, next ?? Number.NEGATIVE_INFINITY, backlog ?? Number.NEGATIVE_INFINITY);
  if (at - now > maxSleepMs) return { kind: 'wait', retryInMs: at - now };
  return { kind: 'grant', at, next: at + intervalMs };
}

/**
 * The host's backlog, in turns. Without it, every URL that finds its host busy is told the same
 * next free instant, they all come back then, one gets the slot and the rest are sent back again:
 * with the ceiling at 2/s and 50 tabs, most deliveries are such round trips (issue 27: "politeness
 * churns"). So a URL that must wait takes a turn (a ticket): the gate keeps, beside the host's next
 * free slot, `backlogUntil`, the end of the turns given out, and moves it one interval on per
 * ticket. The URL waits in the queue until its turn (up to SQS's 900 s; then, its turn still ahead,
 * it is sent back again without asking the gate). Coming back near its turn, it is served before
 * URLs that did not wait: a URL holding a due ticket is granted against the next free slot alone,
 * any other one also waits for the backlog. Slots, not turns, space the navigations: a turn grants
 * nothing, so a URL that comes back late (SQS delays are whole seconds, polling adds more) or never
 * (its job was cancelled) cannot bunch navigations; a turn nobody uses is a slot left idle once.
 */
export const HostTicket = {
  /** a URL that comes back later than this past its turn has lost it, and queues again like any other */
  graceMs: 30_000,
  /**
   * A URL on its turn may sleep this much longer for a slot than others (HOST_SLOT_MAX_SLEEP_MS)
   * before it is sent back to the end of the line: the URL before it may have come back late (SQS
   * delays are whole seconds, the poller adds its own), and pushed the next free slot on by as much.
   */
  extraSleepMs: 2_000,
  /** whether a turn given at `ticketAt` is due at `now`: near enough to be slept for, and not long gone */
  isDue(ticketAt: number | undefined, now: number, maxSleepMs: number): boolean {
    return ticketAt !== undefined && ticketAt <= now + maxSleepMs && ticketAt >= now - HostTicket.graceMs;
  },
  /** the next turn: after the last turn given out, the host's next free slot, and now (with the lead) */
  next(now: number, nextSlot: number | undefined, backlog: number | undefined): number {
    return Math.max(now + SLOT_LEAD_MS, nextSlot ?? Number.NEGATIVE_INFINITY, backlog ?? Number.NEGATIVE_INFINITY);
  },
};

/**
 * A granted slot further ahead than this is slept for before the tab is opened, until this long
 * before it: time enough for a warm browser to open and prepare a tab (tens to a few hundred ms
 * on a loaded 2-core machine), so the tab is ready at the slot without being held open idle for
 * seconds. A tab that is not ready in time asks again (SLOT_LATE_TOLERANCE_MS).
 */
export const TAB_OPEN_AHEAD_MS = 500;

/**
 * A navigation that starts this much after its slot (its tab opened slowly: a cold browser, a busy
 * CPU) has lost the slot: the next holder's navigation could follow it closer than the interval.
 * It asks the gate again (one more write, the tab stays open). Within it, the interval's allowance
 * (HOST_RATE_JITTER_MS) absorbs the lateness.
 */
export const SLOT_LATE_TOLERANCE_MS = 25;

/** The DelaySeconds that brings a URL back when its host's slot may be free: whole seconds, 1–900. */
export function queueDelaySecondsFor(waitMs: number): number {
  return Math.min(MAX_QUEUE_DELAY_SECONDS, Math.max(1, Math.ceil(waitMs / 1000)));
}

/**
 * Thrown before a navigation whose host has no slot soon: nothing was requested of the host. The
 * renderer lets it through unchanged; the crawl sends its URL back to the queue to wait.
 */
export class HostSlotDeferredError extends Error {
  override name = 'HostSlotDeferredError';
  constructor(
    readonly retryInMs: number,
    /** the URL's turn in the host's backlog, when the gate gave one */
    readonly ticketAt?: number,
  ) {
    super(`no navigation slot for ${retryInMs} ms`);
  }
}
